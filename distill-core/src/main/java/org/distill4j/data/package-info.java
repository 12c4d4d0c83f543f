/**
 * Example sets: the {@link org.distill4j.data.ExampleSet} contract, MNIST-family IDX loading
 * ({@link org.distill4j.data.IdxDataset}), byte-backed sets ({@link
 * org.distill4j.data.ByteExampleSet}) and cheap, hash-tracked views ({@link
 * org.distill4j.data.ExampleSets}), and labelled texts: JSON Lines loading ({@link
 * org.distill4j.data.JsonlTextDataset}) into {@link org.distill4j.data.TextExampleSet}s whose
 * features are hashed n-gram ids ({@link org.distill4j.data.TextFeatures}). For data larger than
 * memory: feature shards on disk ({@link org.distill4j.data.FeatureShards}, written by {@link
 * org.distill4j.data.FeatureShardWriter}) read as an {@link org.distill4j.data.ExampleStream} of
 * batches ({@link org.distill4j.data.ShardStream}: memory-mapped, joined by key with a teacher's
 * logits, seeded shard-and-buffer shuffle). Loading failures are {@link
 * org.distill4j.data.DataException}s that name the file and say what was expected.
 */
package org.distill4j.data;
