package org.distill4j.data;

import java.util.List;

/**
 * A fixed, ordered set of examples with dense float features and optional class labels: what
 * teachers are run on and students are trained on.
 *
 * <p>Contract: {@link #size()} rows, each of {@link #featureSize()} floats laid out row-major in
 * the shape {@link #featureShape()} (for images: channels, height, width). Labels are class ids in
 * [0, {@link #numClasses()}), or {@link #UNLABELED} (-1) where a row has none. The {@link
 * #contentHash()} is a hex SHA-256 that changes whenever any feature, label or the row order
 * changes; caches of teacher outputs are keyed by it. Implementations are immutable and
 * thread-safe.
 */
public interface ExampleSet {

    /** The label of a row that has none. */
    int UNLABELED = -1;

    /** Returns a short human-readable name, e.g. {@code fashion-mnist/train}. */
    String name();

    /** Returns the number of rows. */
    int size();

    /** Returns the shape of one row's features, e.g. {@code [1, 28, 28]}. */
    long[] featureShape();

    /** Returns the number of floats in one row (the product of {@link #featureShape()}). */
    default int featureSize() {
        long n = 1;
        for (long d : featureShape()) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    /** Returns the number of classes. */
    int numClasses();

    /** Returns the class names, {@link #numClasses()} of them, in id order. */
    List<String> classNames();

    /** Returns the label of row {@code i}, or {@link #UNLABELED}. */
    int label(int i);

    /**
     * Copies the features of the given rows into {@code dst}, row after row.
     *
     * @param rows row indices in [0, size())
     * @param dst destination of at least {@code rows.length * featureSize()} floats
     */
    void copyFeatures(int[] rows, float[] dst);

    /** Returns the hex SHA-256 of this set's content (features, labels and order). */
    String contentHash();

    /**
     * Returns the raw text row {@code i}'s features were computed from, for sets built from text
     * (HTTP teachers that take text are sent this), or null for sets that have none (images).
     */
    default String text(int i) {
        return null;
    }
}
