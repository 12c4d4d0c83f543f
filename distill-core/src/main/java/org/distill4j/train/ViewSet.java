package org.distill4j.train;

import java.util.List;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.io.Hashing;

/**
 * The K views of every row as rows of their own, (row, view) in row-major order, so that the
 * teacher-output cache stores their logits like any data set's; its content hash names the rows,
 * the augmentation, K and the seed.
 */
final class ViewSet implements ExampleSet {
    private final ExampleSet base;
    private final Augmentation augmentation;
    private final int views;
    private final long seed;
    private final String hash;

    /** The seeded generator of view k of row i: what the teacher scored and the trainer rebuilds. */
    static Random random(long seed, int row, int k) {
        return new Random((seed * 0x9E3779B97F4A7C15L) ^ (row * 0xBF58476D1CE4E5B9L) ^ (k * 0x94D049BB133111EBL + 1));
    }

    ViewSet(ExampleSet base, Augmentation augmentation, int views, long seed) {
        Math.multiplyExact(base.size(), views);
        this.base = base;
        this.augmentation = augmentation;
        this.views = views;
        this.seed = seed;
        this.hash = Hashing.sha256("views\n" + base.contentHash() + "\n" + augmentation + "\n" + views + "\n" + seed);
    }

    @Override
    public String name() {
        return base.name() + " (" + views + " views, seed " + seed + ")";
    }

    @Override
    public int size() {
        return base.size() * views;
    }

    @Override
    public long[] featureShape() {
        return base.featureShape();
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
        return base.label(i / views);
    }

    @Override
    public void copyFeatures(int[] rows, float[] dst) {
        int[] baseRows = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            baseRows[i] = rows[i] / views;
        }
        base.copyFeatures(baseRows, dst);
        for (int i = 0; i < rows.length; i++) {
            augmentation.applyRow(dst, i, featureShape(), random(seed, baseRows[i], rows[i] % views));
        }
    }

    @Override
    public String contentHash() {
        return hash;
    }
}
