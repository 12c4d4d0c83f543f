package org.distill4j.data;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * An in-memory {@link ExampleSet} as an {@link ExampleStream}: an epoch is a permutation of the
 * rows drawn from {@code new Random(seed)} (Fisher-Yates, the trainer's order since its first
 * version), cut into batches; each batch carries its row indices, features and labels, no logits.
 */
final class ExampleSetStream implements ExampleStream {

    private final ExampleSet set;

    ExampleSetStream(ExampleSet set) {
        this.set = set;
    }

    @Override
    public String name() {
        return set.name();
    }

    @Override
    public long size() {
        return set.size();
    }

    @Override
    public long[] featureShape() {
        return set.featureShape();
    }

    @Override
    public int featureSize() {
        return set.featureSize();
    }

    @Override
    public int numClasses() {
        return set.numClasses();
    }

    @Override
    public List<String> classNames() {
        return set.classNames();
    }

    @Override
    public boolean hasLabels() {
        for (int i = 0; i < set.size(); i++) {
            if (set.label(i) >= 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String contentHash() {
        return set.contentHash();
    }

    @Override
    public String teacherKey() {
        return null;
    }

    @Override
    public Epoch open(long seed, int batchSize) {
        int n = set.size();
        int[] order = permutation(n, new Random(seed));
        return new Epoch() {
            private int from;

            @Override
            public int next(Batch batch) {
                if (from >= n) {
                    batch.set(0, new int[0]);
                    return 0;
                }
                int count = Math.min(Math.min(batchSize, batch.capacity()), n - from);
                int[] rows = Arrays.copyOfRange(order, from, from + count);
                from += count;
                set.copyFeatures(rows, batch.features());
                long[] labels = batch.labels();
                long[] keys = batch.keys();
                for (int i = 0; i < count; i++) {
                    labels[i] = set.label(rows[i]);
                    keys[i] = rows[i];
                }
                batch.set(count, rows);
                return count;
            }

            @Override
            public void close() {}
        };
    }

    /** Fisher-Yates from the end, as the trainer always drew its epochs' orders. */
    static int[] permutation(int n, Random rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
