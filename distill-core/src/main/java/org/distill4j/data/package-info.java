/**
 * Example sets: the {@link org.distill4j.data.ExampleSet} contract, MNIST-family IDX loading
 * ({@link org.distill4j.data.IdxDataset}), byte-backed sets ({@link
 * org.distill4j.data.ByteExampleSet}) and cheap, hash-tracked views ({@link
 * org.distill4j.data.ExampleSets}), and labelled texts: JSON Lines loading ({@link
 * org.distill4j.data.JsonlTextDataset}) into {@link org.distill4j.data.TextExampleSet}s whose
 * features are hashed n-gram ids ({@link org.distill4j.data.TextFeatures}). Loading failures are {@link
 * org.distill4j.data.DataException}s that name the file and say what was expected.
 */
package org.distill4j.data;
