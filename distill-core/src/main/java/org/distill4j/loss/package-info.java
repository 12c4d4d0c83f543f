/** Distillation losses: {@link org.distill4j.loss.DistillationLoss} and its parameters. */
package org.distill4j.loss;
