package org.distill4j.teacher.http;

import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.io.Hashing;

/** A small text data set for tests: one text per row, two dummy features, no labels. */
final class TextSet implements ExampleSet {

    private final String name;
    private final List<String> texts;
    private final List<String> classes;

    TextSet(String name, List<String> texts, List<String> classes) {
        this.name = name;
        this.texts = List.copyOf(texts);
        this.classes = List.copyOf(classes);
    }

    /** {@code rows} rows cycling over {@code unique} distinct texts. */
    static TextSet cycling(int rows, int unique, List<String> classes) {
        List<String> t = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            t.add("review number " + (i % unique) + ": it was {labels} fine, <b>really</b>");
        }
        return new TextSet("reviews", t, classes);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return texts.size();
    }

    @Override
    public long[] featureShape() {
        return new long[] {2};
    }

    @Override
    public int numClasses() {
        return classes.size();
    }

    @Override
    public List<String> classNames() {
        return classes;
    }

    @Override
    public int label(int i) {
        return UNLABELED;
    }

    @Override
    public void copyFeatures(int[] rows, float[] dst) {
        for (int i = 0; i < rows.length; i++) {
            dst[2 * i] = texts.get(rows[i]).length();
            dst[2 * i + 1] = texts.get(rows[i]).hashCode();
        }
    }

    @Override
    public String contentHash() {
        return Hashing.sha256(name + "\n" + String.join("\n", classes) + "\n" + String.join("\n", texts));
    }

    @Override
    public String text(int i) {
        return texts.get(i);
    }
}
