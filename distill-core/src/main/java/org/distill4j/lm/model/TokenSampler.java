package org.distill4j.lm.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one position's logits as a {@link SamplingConfig} says; pure Java, so
 * a seed gives the same tokens on every engine. Not thread-safe (it owns its random generator).
 */
public final class TokenSampler {

    private final SamplingConfig config;
    private final SplittableRandom random;

    /** @param config the sampling configuration; its seed seeds this sampler */
    public TokenSampler(SamplingConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    /**
     * Returns the next token id.
     *
     * @param logits (V) logits of one position
     */
    public int next(float[] logits) {
        if (config.temperature() == 0) {
            return argmax(logits);
        }
        double[] p = probabilities(logits, config.temperature(), config.topK(), config.topP());
        double u = random.nextDouble();
        double cum = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                cum += p[i];
                last = i;
                if (u < cum) {
                    return i;
                }
            }
        }
        return last;
    }

    /** Returns the index of the largest logit (the first on ties). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The indices of {@code logits} from the largest value to the smallest, ties in index order,
     * in {@link Float#compare} order: what a stable sort of boxed indices gives, at a fraction of
     * its cost (it was a quarter of a served student's generation thread). Each value's sortable
     * bits, inverted so that larger values come first, sit above its index in one long.
     */
    static int[] descending(float[] logits) {
        int v = logits.length;
        long[] keys = new long[v];
        for (int i = 0; i < v; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff); // signed order = Float.compare order
            keys[i] = ((long) ~sortable << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[v];
        for (int r = 0; r < v; r++) {
            order[r] = (int) keys[r];
        }
        return order;
    }

    /**
     * Returns the filtered, renormalised distribution: softmax(logits / temperature), restricted to
     * the top k (k = 0: all), then to the smallest most-likely set of mass &gt;= topP.
     */
    public static double[] probabilities(float[] logits, double temperature, int topK, double topP) {
        int v = logits.length;
        int[] order = descending(logits);
        int keep = topK == 0 ? v : Math.min(topK, v);
        double max = logits[order[0]] / temperature;
        double[] p = new double[v];
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            int i = order[r];
            p[i] = Math.exp(logits[i] / temperature - max);
            sum += p[i];
        }
        double cum = 0;
        int r = 0;
        for (; r < keep; r++) {
            cum += p[order[r]] / sum;
            if (cum >= topP) {
                r++;
                break;
            }
        }
        double kept = 0;
        for (int q = 0; q < v; q++) {
            int i = order[q];
            if (q >= r) {
                p[i] = 0;
            } else {
                kept += p[i];
            }
        }
        for (int i = 0; i < v; i++) {
            p[i] /= kept;
        }
        return p;
    }
}
