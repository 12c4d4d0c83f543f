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
     * Returns the filtered, renormalised distribution: softmax(logits / temperature), restricted to
     * the top k (k = 0: all), then to the smallest most-likely set of mass &gt;= topP.
     */
    public static double[] probabilities(float[] logits, double temperature, int topK, double topP) {
        int v = logits.length;
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
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
