package org.distill4j.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * An {@link ExampleSet} of texts: each row is a text, its optional id and label, and as features
 * the {@link TextFeatures} ids of the text.
 *
 * <p>Contract: {@link #featureShape()} is {@code [features.maxFeatures()]}; the features of row
 * {@code i} are {@code features.featurize(text(i))} (hashed n-gram ids as exact floats, 0 =
 * padding), computed once on construction. {@link #text(int)} returns the raw text and {@link
 * #id(int)} the row's id (null when the source had none). The {@link #contentHash()} covers the
 * texts, the labels, the class names, the row order and the featurisation, not the ids (they
 * never reach a model). Immutable and thread-safe; the lists are copied.
 */
public final class TextExampleSet implements ExampleSet {

    private final String name;
    private final List<String> texts;
    private final List<String> ids;
    private final int[] labels;
    private final List<String> classNames;
    private final TextFeatures features;
    private final float[] rows;
    private final String hash;

    /**
     * Creates the set, featurising every text.
     *
     * @param name a short name, e.g. {@code debian-descriptions/train}
     * @param texts one text per row, none null
     * @param ids one id per row (entries may be null), or null for no ids at all
     * @param labels one label per row, in [0, classNames.size()) or {@link #UNLABELED}
     * @param classNames class names in id order, at least 2
     * @param features how a text becomes a row of features
     */
    public TextExampleSet(
            String name,
            List<String> texts,
            List<String> ids,
            int[] labels,
            List<String> classNames,
            TextFeatures features) {
        this.name = Objects.requireNonNull(name, "name");
        this.texts = List.copyOf(texts);
        if (ids != null && ids.size() != texts.size()) {
            throw new IllegalArgumentException(ids.size() + " ids for " + texts.size() + " texts");
        }
        this.ids = ids == null ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(ids));
        if (labels.length != texts.size()) {
            throw new IllegalArgumentException(labels.length + " labels for " + texts.size() + " texts");
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
        this.labels = labels.clone();
        this.classNames = List.copyOf(classNames);
        this.features = Objects.requireNonNull(features, "features");
        int width = features.maxFeatures();
        this.rows = new float[Math.multiplyExact(this.texts.size(), width)];
        // Featurising is pure per row, so rows are done in parallel; each writes its own slice.
        IntStream.range(0, this.texts.size())
                .parallel()
                .forEach(i -> features.featurize(this.texts.get(i), rows, i * width));
        this.hash = hash();
    }

    private String hash() {
        MessageDigest md = DigestFields.sha256();
        md.update("distill4j-text-v1\n".getBytes(StandardCharsets.UTF_8));
        // Every setting, as fixed-width ints, so a changed featurisation is a changed set.
        for (int v : new int[] {
            features.maxFeatures(),
            features.wordNgrams(),
            features.charNgramMin(),
            features.charNgramMax(),
            features.lowercase() ? 1 : 0
        }) {
            DigestFields.updateInt(md, v);
        }
        DigestFields.updateInt(md, classNames.size());
        for (String c : classNames) {
            byte[] b = c.getBytes(StandardCharsets.UTF_8);
            DigestFields.updateInt(md, b.length);
            md.update(b);
        }
        DigestFields.updateInt(md, texts.size());
        for (int i = 0; i < texts.size(); i++) {
            // Length-prefixed, so no two sequences of texts hash alike by shifting a boundary.
            byte[] b = texts.get(i).getBytes(StandardCharsets.UTF_8);
            DigestFields.updateInt(md, b.length);
            md.update(b);
            DigestFields.updateInt(md, labels[i]);
        }
        return HexFormat.of().formatHex(md.digest());
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
        return new long[] {features.maxFeatures()};
    }

    @Override
    public int featureSize() {
        return features.maxFeatures();
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
    public void copyFeatures(int[] rowIds, float[] dst) {
        int width = features.maxFeatures();
        for (int i = 0; i < rowIds.length; i++) {
            System.arraycopy(rows, rowIds[i] * width, dst, i * width, width);
        }
    }

    @Override
    public String contentHash() {
        return hash;
    }

    @Override
    public String text(int i) {
        return texts.get(i);
    }

    /** Returns the id of row {@code i} as the source gave it, or null when it had none. */
    public String id(int i) {
        Objects.checkIndex(i, labels.length);
        return ids == null ? null : ids.get(i);
    }

    /** Returns how texts are featurised. */
    public TextFeatures features() {
        return features;
    }

    @Override
    public String toString() {
        return "TextExampleSet(" + name + ", " + size() + " rows, " + numClasses() + " classes, " + features + ")";
    }
}
