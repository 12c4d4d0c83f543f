package org.distill4j.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.LongConsumer;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.FeatureShardWriter;
import org.distill4j.data.FeatureShards;
import org.distill4j.train.Augmentation;

/**
 * Writes a transfer set as feature shards ({@link FeatureShards}): the given rows, then {@code
 * copies} augmented copies of them (random shifts of up to {@code shift} pixels, and flips if
 * asked, each row's drawn from a generator seeded by (seed, copy, row)), keyed 0, 1, 2, ... in
 * that order (copy-major). Augmenting the transfer set offline is a standard way to give a
 * student more of the teacher's function to learn from; the output can be far larger than the
 * heap, since one shard is held at a time.
 */
final class TransferSetShards {

    private TransferSetShards() {}

    static FeatureShards write(
            ExampleSet rows,
            Path dir,
            int copies,
            Augmentation augmentation,
            long seed,
            int rowsPerShard,
            LongConsumer progress)
            throws IOException {
        if (copies < 0) {
            throw new IllegalArgumentException("illegal copies value: " + copies + ", must be >= 0");
        }
        if (copies > 0 && !augmentation.enabled()) {
            throw new IllegalArgumentException(copies + " augmented copies need a shift or a flip");
        }
        if (augmentation.mixes()) {
            throw new IllegalArgumentException("augmented copies shift and flip rows; mixing is not supported");
        }
        int n = rows.size();
        int fs = rows.featureSize();
        long[] shape = rows.featureShape();
        float[] row = new float[fs];
        int[] one = new int[1];
        String name = rows.name() + (copies == 0 ? "" : " + " + copies + " augmented copies");
        try (FeatureShardWriter w = FeatureShardWriter.create(dir, name, shape, rows.classNames(), rowsPerShard)) {
            for (int c = 0; c <= copies; c++) {
                for (int i = 0; i < n; i++) {
                    one[0] = i;
                    rows.copyFeatures(one, row);
                    if (c > 0) {
                        long z = seed * 0x9E3779B97F4A7C15L ^ c * 0xBF58476D1CE4E5B9L ^ (i + 1) * 0x94D049BB133111EBL;
                        augmentation.applyRow(row, 0, shape, new Random(z));
                    }
                    w.add(rows.label(i), row, 0);
                }
                progress.accept(w.rows());
            }
            return w.finish();
        }
    }
}
