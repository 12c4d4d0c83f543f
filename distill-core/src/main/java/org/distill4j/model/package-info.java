/**
 * Architectures declared as data ({@link org.distill4j.model.ModelSpec}) and models saved with
 * their architecture so they reload with no code ({@link org.distill4j.model.SavedModel}). The
 * architectures: {@link org.distill4j.model.MlpSpec}, {@link org.distill4j.model.CnnSpec} for
 * images, and the fastText-style {@link org.distill4j.model.BagSpec} for texts.
 */
package org.distill4j.model;
