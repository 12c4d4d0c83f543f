package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embeddings (RoFormer, in the GPT-NeoX "rotate half" layout): the two halves of
 * each head's D features form D/2 planes, and plane k of position p is rotated by the angle
 * {@code p * 10000^(-2k/D)}. Scores then depend on relative positions only.
 */
final class Rotary {

    private static final double BASE = 10000.0;

    private Rotary() {}

    /**
     * Returns the (T, D) cosine and sine tables for positions offset..offset+T-1.
     *
     * @return {@code [cos, sin]}, attached to {@code manager}
     */
    static NDArray[] tables(NDManager manager, int offset, int t, int d) {
        int[] positions = new int[t];
        for (int p = 0; p < t; p++) {
            positions[p] = offset + p;
        }
        return tables(manager, positions, d);
    }

    /**
     * Returns the (N, D) cosine and sine tables, row i for position {@code positions[i]}.
     *
     * @return {@code [cos, sin]}, attached to {@code manager}
     */
    static NDArray[] tables(NDManager manager, int[] positions, int d) {
        int half = d / 2;
        int t = positions.length;
        float[] cos = new float[t * d];
        float[] sin = new float[t * d];
        for (int p = 0; p < t; p++) {
            for (int k = 0; k < half; k++) {
                double angle = positions[p] * Math.pow(BASE, -2.0 * k / d);
                float c = (float) Math.cos(angle);
                float sn = (float) Math.sin(angle);
                cos[p * d + k] = c;
                cos[p * d + k + half] = c;
                sin[p * d + k] = sn;
                sin[p * d + k + half] = sn;
            }
        }
        return new NDArray[] {manager.create(cos, new Shape(t, d)), manager.create(sin, new Shape(t, d))};
    }

    /**
     * Rotates x by its positions.
     *
     * @param x (B, H, T, D), D even
     * @param cos (T, D) from {@link #tables}
     * @param sin (T, D) from {@link #tables}
     * @return (B, H, T, D)
     */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
