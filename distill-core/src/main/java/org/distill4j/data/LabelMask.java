package org.distill4j.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * All rows of a base set, in order, with the labels of some rows hidden: a transfer set of which
 * only part is labelled. The hash is the SHA-256 of the base's hash and the hidden rows, so it
 * differs from the base's whenever a label is hidden and needs no pass over the features.
 */
final class LabelMask implements ExampleSet {

    private final ExampleSet base;
    private final BitSet hidden;
    private final String name;
    private volatile String contentHash;

    /**
     * @param hidden rows of {@code base} whose labels read as {@link #UNLABELED} (owned by the view)
     */
    LabelMask(ExampleSet base, BitSet hidden, String name) {
        this.base = Objects.requireNonNull(base, "base");
        this.hidden = Objects.requireNonNull(hidden, "hidden");
        this.name = Objects.requireNonNull(name, "name");
        if (hidden.length() > base.size()) {
            throw new IndexOutOfBoundsException(
                    "hidden row " + (hidden.length() - 1) + " is out of [0, " + base.size() + ") in " + base.name());
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return base.size();
    }

    @Override
    public long[] featureShape() {
        return base.featureShape();
    }

    @Override
    public int featureSize() {
        return base.featureSize();
    }

    @Override
    public int numClasses() {
        return base.numClasses();
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }

    @Override
    public int label(int i) {
        Objects.checkIndex(i, base.size());
        return hidden.get(i) ? UNLABELED : base.label(i);
    }

    @Override
    public String text(int i) {
        return base.text(i);
    }

    @Override
    public void copyFeatures(int[] rows, float[] dst) {
        base.copyFeatures(rows, dst);
    }

    @Override
    public String contentHash() {
        String h = contentHash;
        if (h == null) {
            MessageDigest sha = DigestFields.sha256();
            sha.update("distill4j/LabelMask/v1\0".getBytes(StandardCharsets.UTF_8));
            sha.update(base.contentHash().getBytes(StandardCharsets.UTF_8));
            DigestFields.updateInt(sha, base.size());
            sha.update(hidden.toByteArray());
            h = HexFormat.of().formatHex(sha.digest());
            contentHash = h;
        }
        return h;
    }

    @Override
    public String toString() {
        return name + " (" + size() + " rows of " + base.name() + ", " + hidden.cardinality() + " unlabeled)";
    }
}
