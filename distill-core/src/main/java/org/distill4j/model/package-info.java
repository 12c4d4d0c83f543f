/**
 * Architectures declared as data ({@link org.distill4j.model.ModelSpec}) and models saved with
 * their architecture so they reload with no code ({@link org.distill4j.model.SavedModel}).
 */
package org.distill4j.model;
