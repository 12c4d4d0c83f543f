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

    /**
     * Turns row {@code r} of {@code batch}, holding training row {@code row}'s features, into its
     * view {@code k} in place: the row's shift and flip and, if the augmentation mixes, a partner
     * row drawn uniformly from {@code base} (shifted and flipped in turn) mixed in; every draw
     * comes from {@link #random}, in this order, which is what makes a view reproducible.
     */
    static void render(
            ExampleSet base, Augmentation augmentation, long seed, int row, int k, float[] batch, int r, long[] shape) {
        Random rng = random(seed, row, k);
        augmentation.applyRow(batch, r, shape, rng);
        if (augmentation.mixes()) {
            float[] partner = new float[base.featureSize()];
            base.copyFeatures(new int[] {rng.nextInt(base.size())}, partner);
            augmentation.applyRow(partner, 0, shape, rng);
            augmentation.mixRow(batch, r, partner, shape, rng);
        }
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
            render(base, augmentation, seed, baseRows[i], rows[i] % views, dst, i, featureShape());
        }
    }

    @Override
    public String contentHash() {
        return hash;
    }
}
