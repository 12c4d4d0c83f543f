package org.distill4j.train;

import java.util.Random;

/**
 * Random image augmentation applied to each training batch: a translation by up to {@code shift}
 * pixels in each direction (zero fill) and, if {@code flip}, a horizontal flip with probability
 * 1/2. Only meaningful for image features of shape (channels, height, width).
 *
 * @param shift maximum translation in pixels, in [0, 8]; 0 = none
 * @param flip whether to flip horizontally at random
 */
public record Augmentation(int shift, boolean flip) {

    /** No augmentation. */
    public static final Augmentation NONE = new Augmentation(0, false);

    /** Validates the shift. */
    public Augmentation {
        if (shift < 0 || shift > 8) {
            throw new IllegalArgumentException("illegal shift value: " + shift + ", must be in [0, 8]");
        }
    }

    /** Returns whether this augmentation changes anything. */
    public boolean enabled() {
        return shift > 0 || flip;
    }

    /**
     * Augments a batch in place.
     *
     * @param batch rows of {@code c * h * w} floats each
     * @param rows number of rows in the batch
     * @param featureShape (c, h, w)
     * @param rng source of randomness (seeded by the caller for reproducibility)
     */
    public void apply(float[] batch, int rows, long[] featureShape, Random rng) {
        if (!enabled()) {
            return;
        }
        if (featureShape.length != 3) {
            throw new IllegalArgumentException("augmentation needs image features (c, h, w)");
        }
        int c = (int) featureShape[0];
        int h = (int) featureShape[1];
        int w = (int) featureShape[2];
        float[] tmp = new float[h * w];
        for (int r = 0; r < rows; r++) {
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
    }
}
