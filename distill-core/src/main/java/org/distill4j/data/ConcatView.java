package org.distill4j.data;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.distill4j.io.Hashing;

/**
 * Two example sets of the same feature shape and classes read as one: the rows of {@code first},
 * then those of {@code second}, features, labels and texts unchanged ({@link ExampleSets#concat}).
 * Why a view: a transfer set is the training rows plus extra ones, and copying 50,000 rows of
 * features to append a few thousand is waste. Immutable when its parts are.
 */
final class ConcatView implements ExampleSet {

    private final ExampleSet first;
    private final ExampleSet second;
    private final String name;
    private final String hash;

    ConcatView(ExampleSet first, ExampleSet second, String name) {
        this.first = Objects.requireNonNull(first, "first");
        this.second = Objects.requireNonNull(second, "second");
        this.name = Objects.requireNonNull(name, "name");
        if (!Arrays.equals(first.featureShape(), second.featureShape())) {
            throw new IllegalArgumentException("cannot join " + first.name() + " (rows of shape "
                    + Arrays.toString(first.featureShape()) + ") and " + second.name() + " (rows of shape "
                    + Arrays.toString(second.featureShape()) + ")");
        }
        if (!first.classNames().equals(second.classNames())) {
            throw new IllegalArgumentException("cannot join " + first.name() + " and " + second.name()
                    + ": their classes differ (" + first.numClasses() + " and " + second.numClasses() + ")");
        }
        this.hash = Hashing.sha256("concat\n" + first.contentHash() + "\n" + second.contentHash());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return first.size() + second.size();
    }

    @Override
    public long[] featureShape() {
        return first.featureShape();
    }

    @Override
    public int numClasses() {
        return first.numClasses();
    }

    @Override
    public List<String> classNames() {
        return first.classNames();
    }

    @Override
    public int label(int i) {
        Objects.checkIndex(i, size());
        return i < first.size() ? first.label(i) : second.label(i - first.size());
    }

    @Override
    public String text(int i) {
        Objects.checkIndex(i, size());
        return i < first.size() ? first.text(i) : second.text(i - first.size());
    }

    @Override
    public void copyFeatures(int[] rows, float[] dst) {
        int width = featureSize();
        // Each run of consecutive requested rows from one part is copied in one call to that part.
        for (int k = 0; k < rows.length; ) {
            Objects.checkIndex(rows[k], size());
            boolean inFirst = rows[k] < first.size();
            int end = k + 1;
            while (end < rows.length && rows[end] >= 0 && rows[end] < size() && (rows[end] < first.size()) == inFirst) {
                end++;
            }
            int[] local = new int[end - k];
            for (int j = 0; j < local.length; j++) {
                local[j] = inFirst ? rows[k + j] : rows[k + j] - first.size();
            }
            float[] out = new float[local.length * width];
            (inFirst ? first : second).copyFeatures(local, out);
            System.arraycopy(out, 0, dst, k * width, out.length);
            k = end;
        }
    }

    @Override
    public String contentHash() {
        return hash;
    }

    @Override
    public String toString() {
        return "ConcatView(" + name + ": " + first.name() + " + " + second.name() + ", " + size() + " rows)";
    }
}
