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
     * Rotates x by its positions.
     *
     * @param x (B, H, T, D), D even
     * @param offset absolute position of x's first position
     * @return (B, H, T, D)
     */
    static NDArray apply(NDArray x, int offset) {
        Shape s = x.getShape();
        int t = (int) s.get(2);
        int d = (int) s.get(3);
        int half = d / 2;
        float[] cos = new float[t * d];
        float[] sin = new float[t * d];
        for (int p = 0; p < t; p++) {
            for (int k = 0; k < half; k++) {
                double angle = (offset + p) * Math.pow(BASE, -2.0 * k / d);
                float c = (float) Math.cos(angle);
                float sn = (float) Math.sin(angle);
                cos[p * d + k] = c;
                cos[p * d + k + half] = c;
                sin[p * d + k] = sn;
                sin[p * d + k + half] = sn;
            }
        }
        NDManager m = x.getManager();
        NDArray c = m.create(cos, new Shape(t, d));
        NDArray sn = m.create(sin, new Shape(t, d));
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(c).add(rotated.mul(sn));
    }
}
