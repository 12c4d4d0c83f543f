package org.distill4j.data;

import java.io.IOException;
import java.util.List;

/**
 * Training rows read one batch at a time, for sets that need not fit in memory: an epoch ({@link
 * #open}) yields every row exactly once, in an order drawn from the epoch's seed (the same seed
 * gives the same order), as batches of features, labels and, where the stream carries them, the
 * teacher's logits for each row ({@link #teacherKey()} not null).
 *
 * <p>Implementations: {@link #of(ExampleSet)} (an in-memory set; batches carry the set's row
 * indices and no logits, and the order is the trainer's historical permutation) and {@link
 * ShardStream} (feature shards on disk joined by key with teacher outputs, shuffled by shards and
 * a buffer, with memory bounded independently of the data's size).
 */
public interface ExampleStream {

    /** Returns a short name, e.g. the directory of the shards. */
    String name();

    /** Returns the rows of one epoch. */
    long size();

    /** Returns the shape of one row's features. */
    long[] featureShape();

    /** Returns the floats in one row (the product of {@link #featureShape()}). */
    default int featureSize() {
        long n = 1;
        for (long d : featureShape()) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    /** Returns the number of classes. */
    int numClasses();

    /** Returns the class names, in id order. */
    List<String> classNames();

    /** Returns whether any row has a label. */
    boolean hasLabels();

    /** Returns a hex SHA-256 that changes with any feature, label, key or the rows' order on disk. */
    String contentHash();

    /**
     * Returns the cache key of the teacher whose logits every batch carries ({@link
     * Batch#teacherLogits()}), or null when batches carry none.
     */
    String teacherKey();

    /**
     * Starts an epoch.
     *
     * @param seed the epoch's seed: the same seed gives the same order
     * @param batchSize the most rows a batch holds
     * @return the epoch's batches; close it when done
     * @throws IOException if the data cannot be read
     */
    Epoch open(long seed, int batchSize) throws IOException;

    /** Returns a stream over an in-memory set (see the class comment). */
    static ExampleStream of(ExampleSet set) {
        return new ExampleSetStream(set);
    }

    /** One epoch's batches. */
    interface Epoch extends AutoCloseable {
        /**
         * Fills {@code batch} with the next rows (at most its capacity).
         *
         * @return the rows filled; 0 once the epoch is over
         * @throws IOException if the data cannot be read (naming the file)
         */
        int next(Batch batch) throws IOException;

        /** Releases what the epoch holds open (mapped files). */
        @Override
        void close();
    }

    /**
     * A batch's buffers, reused from batch to batch: the first {@link #count()} rows are valid.
     * Features are row-major ({@code count * featureSize} floats), labels are class ids or {@link
     * ExampleSet#UNLABELED}, teacher logits ({@code count * classes}) and keys are filled by
     * streams that carry them, and {@link #rows()} holds an in-memory set's row indices (exactly
     * {@code count} of them) or null.
     */
    final class Batch {
        private final int capacity;
        private final float[] features;
        private final long[] labels;
        private final float[] teacherLogits;
        private final long[] keys;
        private int[] rows;
        private int count;

        /**
         * Allocates the buffers.
         *
         * @param capacity the most rows a batch holds
         * @param featureSize floats per row
         * @param classes logits per row
         */
        public Batch(int capacity, int featureSize, int classes) {
            this.capacity = capacity;
            this.features = new float[Math.max(1, Math.multiplyExact(capacity, featureSize))];
            this.labels = new long[capacity];
            this.teacherLogits = new float[Math.multiplyExact(capacity, classes)];
            this.keys = new long[capacity];
        }

        /** Returns the most rows a batch holds. */
        public int capacity() {
            return capacity;
        }

        /** Returns the valid rows. */
        public int count() {
            return count;
        }

        /** Returns the features buffer. */
        public float[] features() {
            return features;
        }

        /** Returns the labels buffer. */
        public long[] labels() {
            return labels;
        }

        /** Returns the teacher-logits buffer. */
        public float[] teacherLogits() {
            return teacherLogits;
        }

        /** Returns the keys buffer. */
        public long[] keys() {
            return keys;
        }

        /** Returns the in-memory row indices of the batch ({@link #count()} of them), or null. */
        public int[] rows() {
            return rows;
        }

        /** Sets the valid rows and the in-memory row indices (null for none); for implementations. */
        public void set(int count, int[] rows) {
            if (count < 0 || count > capacity || (rows != null && rows.length != count)) {
                throw new IllegalArgumentException("illegal batch: " + count + " rows of capacity " + capacity);
            }
            this.count = count;
            this.rows = rows;
        }
    }
}
