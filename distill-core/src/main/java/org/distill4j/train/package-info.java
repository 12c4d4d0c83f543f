/**
 * Training: the mini-batch loop ({@link org.distill4j.train.ClassifierTrainer}), its configuration,
 * soft-target sources, per-epoch checkpoints and resume.
 */
package org.distill4j.train;
