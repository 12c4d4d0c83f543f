package org.distill4j.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Random;

/**
 * Random augmentation applied to each training batch, before both the student's and (with
 * online distillation) the teacher's forward pass, so the teacher scores exactly the view the
 * student sees. Per row: a translation by up to {@code shift} pixels in each direction with zero
 * fill (the same as padding by {@code shift} and taking a random crop of the original size) and,
 * if {@code flip}, a horizontal flip with probability 1/2. Then, per batch, if {@code mixup} or
 * {@code cutmix} is set, every row is mixed with another row of the same batch (a seeded
 * permutation): mixup blends the two images with weight lambda ~ Beta(mixup, mixup); cutmix pastes
 * a rectangle of the partner covering a fraction 1 - lambda of the image, lambda ~ Beta(cutmix,
 * cutmix). With both set, each batch uses one of the two, chosen with probability 1/2.
 *
 * <p>A mixed image has no single label, so mixing is only allowed when the hard-label term is off
 * (pure distillation, alpha = 1) and the teacher scores the mixed batch (online targets); {@link
 * ClassifierTrainer} checks both.
 *
 * <p>Shift, flip and mixing apply to image features of shape (channels, height, width). {@code
 * drop} applies to text rows (a row of hashed n-gram ids, shape (n), 0 = padding; see {@code
 * data.TextFeatures}): each id is set to 0 with probability {@code drop}, keeping at least one of
 * the row's ids, a feature-level word dropout. Its point for distillation: a teacher that has
 * memorised its training texts answers them with near one-hot targets, but scores a text with a
 * fifth of its n-grams missing with the uncertainty that is worth distilling. On text rows
 * {@code mixup} mixes ids instead of pixels: a row keeps a random {@code round(lambda * n_a)} of
 * its own n_a ids and takes a random {@code round((1 - lambda) * n_b)} of its partner's n_b (the
 * row's length caps the partner's share), so the bag a fastText-style model averages over is about
 * {@code lambda} of one text and {@code 1 - lambda} of the other; the teacher then says how it
 * weighs two texts against each other, which no training row's near one-hot target does. {@code
 * cutmix} applies to images only.
 *
 * @param shift maximum translation in pixels, in [0, 8]; 0 = none
 * @param flip whether to flip horizontally at random
 * @param mixup Beta parameter a of mixup's lambda ~ Beta(a, a), finite and in [0, 100]; 0 = off;
 *     on text rows it mixes ids (above)
 * @param cutmix images only: Beta parameter a of cutmix's area ratio ~ Beta(a, a), finite and in
 *     [0, 100]; 0 = off
 * @param drop text rows only: probability that each id is dropped, in [0, 0.9]; 0 = off
 */
public record Augmentation(int shift, boolean flip, double mixup, double cutmix, double drop) {

    /** No augmentation. */
    public static final Augmentation NONE = new Augmentation(0, false);

    /** Validates every field. */
    public Augmentation {
        if (shift < 0 || shift > 8) {
            throw new IllegalArgumentException("illegal shift value: " + shift + ", must be in [0, 8]");
        }
        checkBeta("mixup", mixup);
        checkBeta("cutmix", cutmix);
        if (!(drop >= 0 && drop <= 0.9)) {
            throw new IllegalArgumentException("illegal drop value: " + drop + ", must be in [0, 0.9]");
        }
        if (drop > 0 && (shift > 0 || flip || cutmix > 0)) {
            throw new IllegalArgumentException("augment drop applies to text rows and shift, flip and cutmix "
                    + "to images: set one kind, not both");
        }
    }

    /** Image augmentation: shift, flip and mixing, no dropping. */
    public Augmentation(int shift, boolean flip, double mixup, double cutmix) {
        this(shift, flip, mixup, cutmix, 0);
    }

    /** Shift and flip only, no mixing. */
    public Augmentation(int shift, boolean flip) {
        this(shift, flip, 0, 0);
    }

    /** Text augmentation: each id of a row dropped with probability {@code drop}. */
    public static Augmentation dropping(double drop) {
        return new Augmentation(0, false, 0, 0, drop);
    }

    /** Reads the recipe's {@code augment} section; absent keys are off. */
    @JsonCreator
    static Augmentation fromJson(
            @JsonProperty("shift") Integer shift,
            @JsonProperty("flip") Boolean flip,
            @JsonProperty("mixup") Double mixup,
            @JsonProperty("cutmix") Double cutmix,
            @JsonProperty("drop") Double drop) {
        return new Augmentation(
                shift == null ? 0 : shift,
                flip != null && flip,
                mixup == null ? 0 : mixup,
                cutmix == null ? 0 : cutmix,
                drop == null ? 0 : drop);
    }

    private static void checkBeta(String field, double a) {
        if (!(a >= 0 && a <= 100)) {
            throw new IllegalArgumentException(
                    "illegal " + field + " value: " + a + ", must be in [0, 100] (the Beta(a, a) parameter; 0 = off)");
        }
    }

    /**
     * The record's form, with {@code drop} only when set: this string is part of every training
     * fingerprint, so models trained before {@code drop} existed are still recognised and reused.
     */
    @Override
    public String toString() {
        return "Augmentation[shift=" + shift + ", flip=" + flip + ", mixup=" + mixup + ", cutmix=" + cutmix
                + (drop > 0 ? ", drop=" + drop : "") + "]";
    }

    /** Returns whether this augmentation changes anything. */
    public boolean enabled() {
        return shift > 0 || flip || mixes() || drop > 0;
    }

    /** Returns whether rows are mixed in pairs (mixup or cutmix), so hard labels no longer apply. */
    public boolean mixes() {
        return mixup > 0 || cutmix > 0;
    }

    /** Returns this augmentation without its mixing part (the per-row shift, flip and drop only). */
    public Augmentation perRow() {
        return new Augmentation(shift, flip, 0, 0, drop);
    }

    /**
     * How a batch was mixed.
     *
     * @param kind "mixup", "cutmix" or "none"
     * @param partner for each row, the row of the (pre-mixing) batch it was mixed with
     * @param lambda weight of each row's own image: its blend weight (mixup) or the fraction of its
     *     pixels kept (cutmix), in [0, 1]; 1 when not mixed
     */
    public record Mix(String kind, int[] partner, double lambda) {}

    /**
     * Augments a batch in place: shift and flip per row, then mixing per batch.
     *
     * @param batch rows of {@code c * h * w} floats each
     * @param rows number of rows in the batch
     * @param featureShape (c, h, w)
     * @param rng source of randomness (seeded by the caller for reproducibility)
     * @return how the batch was mixed
     */
    public Mix apply(float[] batch, int rows, long[] featureShape, Random rng) {
        if (!enabled()) {
            return new Mix("none", identity(rows), 1);
        }
        if (featureShape.length == 1) {
            if (shift > 0 || flip) {
                checkShape(featureShape); // shift and flip move pixels: refused on rows of ids
            }
            if (drop > 0) {
                for (int r = 0; r < rows; r++) {
                    dropIds(batch, r, featureShape, rng);
                }
            }
            return mixIds(batch, rows, (int) featureShape[0], rng);
        }
        if (drop > 0) {
            throw dropNeedsText(featureShape);
        }
        checkShape(featureShape);
        if (shift > 0 || flip) {
            float[] tmp = new float[(int) (featureShape[1] * featureShape[2])];
            for (int r = 0; r < rows; r++) {
                applyRow(batch, r, featureShape, rng, tmp);
            }
        }
        return mix(batch, rows, featureShape, rng);
    }

    /**
     * Shifts and flips one row in place (no mixing), drawing its parameters from {@code rng}.
     *
     * @param batch rows of {@code c * h * w} floats each
     * @param r the row to change
     * @param featureShape (c, h, w)
     * @param rng source of randomness
     */
    public void applyRow(float[] batch, int r, long[] featureShape, Random rng) {
        if (drop > 0) {
            dropIds(batch, r, featureShape, rng);
            return;
        }
        if (featureShape.length == 1 && !(shift > 0 || flip)) {
            return; // a text row: its only per-row change is drop
        }
        checkShape(featureShape);
        applyRow(batch, r, featureShape, rng, new float[(int) (featureShape[1] * featureShape[2])]);
    }

    private void applyRow(float[] batch, int r, long[] featureShape, Random rng, float[] tmp) {
        int c = (int) featureShape[0];
        int h = (int) featureShape[1];
        int w = (int) featureShape[2];
        int dy = shift > 0 ? rng.nextInt(2 * shift + 1) - shift : 0;
        int dx = shift > 0 ? rng.nextInt(2 * shift + 1) - shift : 0;
        boolean mirror = flip && rng.nextBoolean();
        for (int ch = 0; ch < c; ch++) {
            int base = (r * c + ch) * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y - dy;
                for (int x = 0; x < w; x++) {
                    int sx0 = x - dx;
                    int sx = mirror ? w - 1 - sx0 : sx0;
                    tmp[y * w + x] = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w ? batch[base + sy * w + sx] : 0f;
                }
            }
            System.arraycopy(tmp, 0, batch, base, h * w);
        }
    }

    /**
     * Mixes one image with another in place, as a cached view does (a partner per row, drawn from
     * the whole training set, rather than a permutation of the batch): mixup or cutmix as {@link
     * #apply} chooses between them, with its own lambda.
     *
     * @param batch rows of {@code c * h * w} floats each
     * @param r the row to mix (already shifted and flipped)
     * @param other the partner image, {@code c * h * w} floats (already shifted and flipped)
     * @param featureShape (c, h, w)
     * @param rng source of randomness
     * @return the weight of row {@code r}'s own image, in [0, 1]: its blend weight (mixup) or the
     *     fraction of its pixels kept (cutmix)
     */
    public double mixRow(float[] batch, int r, float[] other, long[] featureShape, Random rng) {
        if (!mixes()) {
            throw new IllegalStateException("no mixup or cutmix to apply: " + this);
        }
        if (featureShape.length == 1) {
            checkTextMix();
            double lambda = beta(mixup, rng);
            int n = (int) featureShape[0];
            float[] own = java.util.Arrays.copyOfRange(batch, r * n, (r + 1) * n);
            mixIdRow(batch, r * n, own, 0, other, 0, n, lambda, rng);
            return lambda;
        }
        checkShape(featureShape);
        int size = (int) (featureShape[0] * featureShape[1] * featureShape[2]);
        if (!cuts(rng)) {
            double lambda = beta(mixup, rng);
            blend(batch, r * size, other, 0, size, lambda);
            return lambda;
        }
        int[] box = box(beta(cutmix, rng), featureShape, rng);
        paste(batch, r * size, other, 0, box, featureShape);
        return boxLambda(box, featureShape);
    }

    /** Whether a mixing step uses cutmix (else mixup): cutmix alone, or a fair coin with both. */
    private boolean cuts(Random rng) {
        return mixup == 0 || (cutmix > 0 && rng.nextBoolean());
    }

    private static void blend(float[] dst, int at, float[] src, int from, int size, double lambda) {
        float a = (float) lambda;
        float b = (float) (1 - lambda);
        for (int i = 0; i < size; i++) {
            dst[at + i] = a * dst[at + i] + b * src[from + i];
        }
    }

    /**
     * The box of a cutmix step, {y0, y1, x0, x1}: it covers 1 - lambda of the area, centred
     * anywhere and clipped at the edges; lambda is then recomputed from the clipped box, as in Yun
     * et al. (2019).
     */
    private static int[] box(double lambda, long[] featureShape, Random rng) {
        int h = (int) featureShape[1];
        int w = (int) featureShape[2];
        double side = Math.sqrt(1 - lambda);
        int bh = (int) Math.round(h * side);
        int bw = (int) Math.round(w * side);
        int cy = rng.nextInt(h);
        int cx = rng.nextInt(w);
        return new int[] {
            Math.max(0, cy - bh / 2),
            Math.min(h, cy + bh - bh / 2),
            Math.max(0, cx - bw / 2),
            Math.min(w, cx + bw - bw / 2)
        };
    }

    private static double boxLambda(int[] box, long[] featureShape) {
        return 1 - (double) (box[1] - box[0]) * (box[3] - box[2]) / (featureShape[1] * featureShape[2]);
    }

    private static void paste(float[] dst, int at, float[] src, int from, int[] box, long[] featureShape) {
        int c = (int) featureShape[0];
        int h = (int) featureShape[1];
        int w = (int) featureShape[2];
        for (int ch = 0; ch < c; ch++) {
            int own = at + ch * h * w;
            int other = from + ch * h * w;
            for (int y = box[0]; y < box[1]; y++) {
                System.arraycopy(src, other + y * w + box[2], dst, own + y * w + box[2], box[3] - box[2]);
            }
        }
    }

    private Mix mix(float[] batch, int rows, long[] featureShape, Random rng) {
        if (!mixes() || rows < 2) {
            return new Mix("none", identity(rows), 1);
        }
        boolean cut = cuts(rng);
        int[] partner = permutation(rows, rng);
        int size = (int) (featureShape[0] * featureShape[1] * featureShape[2]);
        float[] original = java.util.Arrays.copyOf(batch, rows * size);
        if (!cut) {
            double lambda = beta(mixup, rng);
            for (int r = 0; r < rows; r++) {
                blend(batch, r * size, original, partner[r] * size, size, lambda);
            }
            return new Mix("mixup", partner, lambda);
        }
        int[] box = box(beta(cutmix, rng), featureShape, rng);
        for (int r = 0; r < rows; r++) {
            paste(batch, r * size, original, partner[r] * size, box, featureShape);
        }
        return new Mix("cutmix", partner, boxLambda(box, featureShape));
    }

    private Mix mixIds(float[] batch, int rows, int n, Random rng) {
        if (!mixes() || rows < 2) {
            return new Mix("none", identity(rows), 1);
        }
        checkTextMix();
        int[] partner = permutation(rows, rng);
        double lambda = beta(mixup, rng);
        float[] original = java.util.Arrays.copyOf(batch, rows * n);
        for (int r = 0; r < rows; r++) {
            mixIdRow(batch, r * n, original, r * n, original, partner[r] * n, n, lambda, rng);
        }
        return new Mix("mixup", partner, lambda);
    }

    private void checkTextMix() {
        if (cutmix > 0) {
            throw new IllegalArgumentException("augment cutmix pastes a rectangle of an image; text rows of ids take "
                    + "mixup (which mixes ids) and drop, not cutmix " + cutmix);
        }
    }

    /**
     * Writes at {@code dst[at..at+n)} a random {@code round(lambda * n_a)} (at least one) of row a's
     * ids followed by a random {@code round((1 - lambda) * n_b)} of row b's, capped at n, then
     * padding (id 0).
     */
    private static void mixIdRow(
            float[] dst, int at, float[] a, int fromA, float[] b, int fromB, int n, double lambda, Random rng) {
        float[] idsA = ids(a, fromA, n);
        float[] idsB = ids(b, fromB, n);
        int keepA = idsA.length == 0 ? 0 : Math.max(1, (int) Math.round(lambda * idsA.length));
        int keepB = Math.min(n - keepA, (int) Math.round((1 - lambda) * idsB.length));
        sample(idsA, keepA, rng);
        sample(idsB, keepB, rng);
        java.util.Arrays.fill(dst, at, at + n, 0f);
        System.arraycopy(idsA, 0, dst, at, keepA);
        System.arraycopy(idsB, 0, dst, at + keepA, keepB);
    }

    private static float[] ids(float[] row, int from, int n) {
        int count = 0;
        for (int i = from; i < from + n; i++) {
            count += row[i] != 0f ? 1 : 0;
        }
        float[] out = new float[count];
        int j = 0;
        for (int i = from; i < from + n; i++) {
            if (row[i] != 0f) {
                out[j++] = row[i];
            }
        }
        return out;
    }

    /** Moves a uniform random {@code k} of {@code v}'s values to its front (a partial shuffle). */
    private static void sample(float[] v, int k, Random rng) {
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(v.length - i);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
    }

    private static int[] permutation(int rows, Random rng) {
        int[] partner = identity(rows);
        for (int i = rows - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = partner[i];
            partner[i] = partner[j];
            partner[j] = t;
        }
        return partner;
    }

    private void dropIds(float[] batch, int r, long[] featureShape, Random rng) {
        if (featureShape.length != 1) {
            throw dropNeedsText(featureShape);
        }
        int n = (int) featureShape[0];
        int base = r * n;
        int kept = 0;
        int firstDropped = -1;
        for (int i = base; i < base + n; i++) {
            if (batch[i] == 0f) {
                continue;
            }
            if (rng.nextDouble() < drop) {
                if (firstDropped < 0) {
                    firstDropped = i;
                }
                batch[i] = -batch[i]; // marked, restored below if the row would lose every id
            } else {
                kept++;
            }
        }
        for (int i = base; i < base + n; i++) {
            if (batch[i] < 0f) {
                batch[i] = kept == 0 && i == firstDropped ? -batch[i] : 0f;
            }
        }
    }

    private static IllegalArgumentException dropNeedsText(long[] featureShape) {
        return new IllegalArgumentException("augment drop needs text rows of ids (shape (n)), got features of shape "
                + java.util.Arrays.toString(featureShape) + "; images take shift, flip, mixup or cutmix");
    }

    private static void checkShape(long[] featureShape) {
        if (featureShape.length != 3) {
            throw new IllegalArgumentException("augmentation needs image features (c, h, w)");
        }
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    /** A draw from Beta(a, a) as X / (X + Y) with X, Y ~ Gamma(a, 1). */
    static double beta(double a, Random rng) {
        double x = gamma(a, rng);
        double y = gamma(a, rng);
        return x + y == 0 ? 0.5 : x / (x + y);
    }

    /** Marsaglia and Tsang (2000); for a &lt; 1, Gamma(a + 1) * U^(1/a). */
    private static double gamma(double a, Random rng) {
        if (a < 1) {
            double u = rng.nextDouble();
            return gamma(a + 1, rng) * Math.pow(u, 1 / a);
        }
        double d = a - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double z = rng.nextGaussian();
            double v = 1 + c * z;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = rng.nextDouble();
            if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
                return d * v;
            }
        }
    }
}
