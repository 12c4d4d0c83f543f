package org.distill4j.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * An {@link ExampleSet} of unsigned-byte features, held as bytes and scaled on the way out: the
 * float of byte {@code b} is {@code (b & 0xFF) / 255f}, in [0, 1]. Images from IDX files are of
 * this kind, with feature shape [1, rows, cols].
 *
 * <p>Holds at most 255 classes: labels are stored as one byte each, 0xFF meaning {@link
 * #UNLABELED}. Immutable and thread-safe; the {@link #contentHash()} is computed on first use and
 * cached. It covers the feature shape, the number of classes, the number of rows and every
 * feature and label byte in order, but not the name or the class names, which do not change what
 * a model computes.
 */
public final class ByteExampleSet implements ExampleSet {

    /** The most classes a byte-labelled set can hold (0xFF is reserved for UNLABELED). */
    public static final int MAX_CLASSES = 255;

    private static final byte NO_LABEL = (byte) 0xFF;

    // The float of every byte value, computed once: a table look-up is both exact and fast.
    private static final float[] SCALE = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            SCALE[i] = i / 255f;
        }
    }

    private final String name;
    private final long[] featureShape;
    private final int featureSize;
    private final ByteBlocks features;
    private final ByteBlocks labels;
    private final List<String> classNames;
    private volatile String contentHash;

    /** Takes ownership of the blocks; labels must be valid (checked by the caller). */
    ByteExampleSet(String name, long[] featureShape, ByteBlocks features, ByteBlocks labels, List<String> classNames) {
        this.name = Objects.requireNonNull(name, "name");
        this.featureShape = featureShape.clone();
        this.classNames = List.copyOf(classNames);
        this.features = features;
        this.labels = labels;
        long size = 1;
        for (long d : featureShape) {
            if (d < 1) {
                throw new IllegalArgumentException(
                        "feature shape " + Arrays.toString(featureShape) + " has a dimension < 1");
            }
            size *= d;
        }
        if (size != features.recordBytes()) {
            throw new IllegalArgumentException("feature shape " + Arrays.toString(featureShape) + " holds " + size
                    + " values, expected " + features.recordBytes());
        }
        this.featureSize = features.recordBytes();
        if (labels.recordBytes() != 1 || labels.count() != features.count()) {
            throw new IllegalArgumentException(labels.count() + " labels for " + features.count() + " rows");
        }
        if (this.classNames.isEmpty() || this.classNames.size() > MAX_CLASSES) {
            throw new IllegalArgumentException(this.classNames.size() + " classes, expected 1 to " + MAX_CLASSES);
        }
    }

    /**
     * Creates a set from row-major bytes.
     *
     * @param name a short human-readable name
     * @param featureShape the shape of one row, every dimension &ge; 1
     * @param features {@code labels.length * product(featureShape)} bytes, row after row
     *     (copied)
     * @param labels one per row, each in [0, classNames.size()) or {@link #UNLABELED}
     * @param classNames 1 to {@link #MAX_CLASSES} names, in id order
     * @throws IllegalArgumentException if the sizes disagree or a label is out of range
     */
    public static ByteExampleSet of(
            String name, long[] featureShape, byte[] features, int[] labels, List<String> classNames) {
        long rowBytes = 1;
        for (long d : featureShape) {
            rowBytes *= d;
        }
        if (rowBytes < 1 || rowBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "feature shape " + Arrays.toString(featureShape) + " is empty or too large");
        }
        byte[] labelBytes = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i];
            if (label != UNLABELED && (label < 0 || label >= classNames.size())) {
                throw new IllegalArgumentException("label " + label + " at row " + i + ", expected " + UNLABELED
                        + " or in [0, " + classNames.size() + ")");
            }
            labelBytes[i] = label == UNLABELED ? NO_LABEL : (byte) label;
        }
        return new ByteExampleSet(
                name,
                featureShape,
                ByteBlocks.copyOf(features, (int) rowBytes, labels.length),
                ByteBlocks.copyOf(labelBytes, 1, labels.length),
                classNames);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return features.count();
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
        Objects.checkIndex(i, size());
        byte b = labels.get(i, 0);
        return b == NO_LABEL ? UNLABELED : b & 0xFF;
    }

    @Override
    public void copyFeatures(int[] rows, float[] dst) {
        if ((long) rows.length * featureSize > dst.length) {
            throw new IllegalArgumentException("destination holds " + dst.length + " floats, expected at least "
                    + (long) rows.length * featureSize);
        }
        int size = size();
        for (int k = 0; k < rows.length; k++) {
            features.copyRecord(Objects.checkIndex(rows[k], size), SCALE, dst, k * featureSize);
        }
    }

    /** Returns the stored byte {@code j} (in [0, 255]) of row {@code i}'s features. */
    public int featureByte(int i, int j) {
        Objects.checkIndex(i, size());
        Objects.checkIndex(j, featureSize);
        return features.get(i, j) & 0xFF;
    }

    @Override
    public String contentHash() {
        String h = contentHash;
        if (h == null) {
            // Racing threads compute the same value; no lock needed.
            h = computeHash();
            contentHash = h;
        }
        return h;
    }

    private String computeHash() {
        MessageDigest sha = DigestFields.sha256();
        sha.update("distill4j/ByteExampleSet/v1\0".getBytes(StandardCharsets.UTF_8));
        DigestFields.updateInt(sha, featureShape.length);
        for (long d : featureShape) {
            DigestFields.updateLong(sha, d);
        }
        DigestFields.updateInt(sha, numClasses());
        DigestFields.updateInt(sha, size());
        features.update(sha);
        labels.update(sha);
        return HexFormat.of().formatHex(sha.digest());
    }

    @Override
    public String toString() {
        return name + " (" + size() + " x " + Arrays.toString(featureShape) + ", " + numClasses() + " classes)";
    }
}
