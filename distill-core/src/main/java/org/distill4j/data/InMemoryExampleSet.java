package org.distill4j.data;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

/**
 * An {@link ExampleSet} over float features already in memory: for data a program builds itself
 * and for tests. The arrays are copied on construction.
 */
public final class InMemoryExampleSet implements ExampleSet {

    private final String name;
    private final long[] featureShape;
    private final int featureSize;
    private final float[] features;
    private final int[] labels;
    private final List<String> classNames;
    private final String hash;

    /**
     * Creates the set.
     *
     * @param name a short name
     * @param featureShape shape of one row
     * @param features row-major features, a multiple of the row size
     * @param labels one label per row, in [0, classes) or {@link #UNLABELED}
     * @param classNames class names, at least 2
     */
    public InMemoryExampleSet(
            String name, long[] featureShape, float[] features, int[] labels, List<String> classNames) {
        this.name = name;
        this.featureShape = featureShape.clone();
        long size = 1;
        for (long d : featureShape) {
            if (d <= 0) {
                throw new IllegalArgumentException("feature shape dimensions must be > 0, got " + d);
            }
            size *= d;
        }
        this.featureSize = Math.toIntExact(size);
        if (features.length != (long) labels.length * featureSize) {
            throw new IllegalArgumentException(
                    features.length + " features for " + labels.length + " rows of " + featureSize);
        }
        if (classNames.size() < 2) {
            throw new IllegalArgumentException("need at least 2 classes, got " + classNames);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < UNLABELED || labels[i] >= classNames.size()) {
                throw new IllegalArgumentException(
                        "label " + labels[i] + " of row " + i + " is not in [0, " + classNames.size() + ") or -1");
            }
        }
        this.features = features.clone();
        this.labels = labels.clone();
        this.classNames = List.copyOf(classNames);
        var md = DigestFields.sha256();
        ByteBuffer bb = ByteBuffer.allocate(8 * featureShape.length + 4 * features.length + 4 * labels.length);
        for (long d : featureShape) {
            bb.putLong(d);
        }
        bb.asFloatBuffer().put(features);
        bb.position(bb.position() + 4 * features.length);
        bb.asIntBuffer().put(labels);
        md.update(bb.array());
        md.update(String.join("\n", classNames).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        this.hash = HexFormat.of().formatHex(md.digest());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public long[] featureShape() {
        return featureShape.clone();
    }

    @Override
    public int featureSize() {
        return featureSize;
    }

    @Override
    public int numClasses() {
        return classNames.size();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    @Override
    public void copyFeatures(int[] rows, float[] dst) {
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(features, rows[i] * featureSize, dst, i * featureSize, featureSize);
        }
    }

    @Override
    public String contentHash() {
        return hash;
    }
}
