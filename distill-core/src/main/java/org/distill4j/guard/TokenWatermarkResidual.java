package org.distill4j.guard;

import java.util.HashMap;
import java.util.Map;

/**
 * The stronger test for a {@link TokenWatermark}, for the provider who holds the clean model it
 * served: how far the suspect's next-token log-probabilities move, against the clean model's, toward
 * the key's green tokens. A student distilled from watermarked outputs learns a shift of its green
 * log-probabilities that is far too small to change many of its top tokens (the argmax test of
 * {@link TokenWatermark#test} sees only those), but shows in the log-probabilities of every likely
 * token; subtracting the clean model's removes what suspect and teacher share, so what is left is
 * the shift plus the suspect's own, key-independent, errors.
 *
 * <p><b>Statistic.</b> At each probe position take the baseline's k most likely next tokens (those
 * whose log-probabilities an API returns, and where a distilled student was taught), the residual
 * {@code d(t) = log p_suspect(t) - log p_baseline(t)}, centred by its baseline-probability-weighted
 * mean (a suspect's normalisation moves all of a position's residuals together), and weighted by the
 * baseline's probability (a rare token's log-probability is mostly noise). Each distinct (context,
 * token) cell, the context as the key reads it, sums its positions' weights {@code w_c}; the score
 * is {@code S = sum of w_c over green cells}.
 *
 * <p><b>p-value.</b> Under H0 (the suspect never learnt from outputs with this key) the weights are
 * functions of the suspect, the baseline and the probe texts alone, and each cell's colour is an
 * independent draw, green with probability gamma, so S is a sum of independent weighted Bernoulli
 * variables. The p-value is Chernoff's bound on its upper tail, {@code inf over lambda >= 0 of
 * exp(-lambda S) E exp(lambda S)}, computed from that exact moment-generating function: an upper
 * bound on the exact tail at any lambda, so valid, and conservative by a factor of about {@code z
 * sqrt(2 pi)} (about 12 at p = 1e-6). {@code z} is given for reading.
 */
public final class TokenWatermarkResidual {

    private TokenWatermarkResidual() {}

    /**
     * A test's outcome.
     *
     * @param positions probe positions that contributed
     * @param cells distinct (context, token) cells weighed
     * @param score S, the weights summed over green cells
     * @param expected its mean under H0, gamma times the sum of all weights
     * @param z (S - expected) / its standard deviation under H0, for reading (0 if every weight is 0)
     * @param pValue Chernoff's bound on P(S' >= S) under H0; 0 where it underflows a double
     * @param log10PValue its base-10 logarithm, finite where {@code pValue} underflows
     */
    public record Detection(
            int positions, int cells, double score, double expected, double z, double pValue, double log10PValue) {}

    /**
     * Tests a suspect against the clean baseline for {@code key}.
     *
     * @param key the watermark key
     * @param history the two tokens each position follows, as {@link TokenWatermark#contexts} lays them out
     *     ({@code 2 * positions} entries)
     * @param k tokens per position
     * @param tokens the baseline's k most likely next tokens at each position ({@code k * positions} ids,
     *     each in [0, 2^21 - 1))
     * @param baseline the baseline's log-probabilities of those tokens, in nats
     * @param suspect the suspect's log-probabilities of the same tokens, in nats; a non-finite entry
     *     (a token the suspect's answer did not include) leaves that token out
     */
    public static Detection test(
            TokenWatermark key, int[] history, int k, int[] tokens, float[] baseline, float[] suspect) {
        if (k < 1 || tokens.length % k != 0) {
            throw new IllegalArgumentException(tokens.length + " tokens is not a multiple of k = " + k);
        }
        int n = tokens.length / k;
        if (history.length != 2 * n || baseline.length != tokens.length || suspect.length != tokens.length) {
            throw new IllegalArgumentException(history.length / 2 + " contexts, " + n + " positions of " + k
                    + " tokens, " + baseline.length + " baseline and " + suspect.length + " suspect log-probabilities");
        }
        Map<Long, Integer> index = new HashMap<>();
        double[] weight = new double[Math.max(16, tokens.length)];
        long[] cell = new long[weight.length];
        int cells = 0;
        int used = 0;
        for (int i = 0; i < n; i++) {
            double mass = 0;
            double mean = 0;
            for (int j = i * k; j < (i + 1) * k; j++) {
                if (Double.isFinite(suspect[j]) && Double.isFinite(baseline[j])) {
                    double p = Math.exp(baseline[j]);
                    mass += p;
                    mean += p * (suspect[j] - baseline[j]);
                }
            }
            if (mass == 0) {
                continue;
            }
            used++;
            mean /= mass;
            int before = key.context() == 1 ? -1 : history[2 * i];
            int previous = history[2 * i + 1];
            for (int j = i * k; j < (i + 1) * k; j++) {
                if (!(Double.isFinite(suspect[j]) && Double.isFinite(baseline[j]))) {
                    continue;
                }
                long c = pack(before, previous, tokens[j]);
                Integer at = index.putIfAbsent(c, cells);
                int slot = at == null ? cells++ : at;
                cell[slot] = c;
                weight[slot] += Math.exp(baseline[j]) * (suspect[j] - baseline[j] - mean);
            }
        }
        double gamma = key.gamma();
        double[] w = new double[cells];
        boolean[] green = new boolean[cells];
        double largest = 0;
        for (int c = 0; c < cells; c++) {
            largest = Math.max(largest, Math.abs(weight[c]));
        }
        double score = 0;
        double sum = 0;
        double squares = 0;
        for (int c = 0; c < cells; c++) {
            // Scaled to a largest weight of 1: the bound does not depend on the scale, its search does.
            w[c] = largest == 0 ? 0 : weight[c] / largest;
            green[c] = key.green((int) (cell[c] >>> 42) - 1, (int) ((cell[c] >>> 21) & MASK), (int) (cell[c] & MASK));
            score += green[c] ? w[c] : 0;
            sum += w[c];
            squares += w[c] * w[c];
        }
        double expected = gamma * sum;
        double z = squares == 0 ? 0 : (score - expected) / Math.sqrt(gamma * (1 - gamma) * squares);
        double log10 = WeightedBernoulliTail.log10UpperBound(w, score, gamma);
        return new Detection(used, cells, score * largest, expected * largest, z, Math.pow(10, log10), log10);
    }

    private static final long MASK = (1L << 21) - 1;

    private static long pack(int before, int previous, int token) {
        if (before < -1 || before >= MASK - 1 || previous < 0 || previous >= MASK || token < 0 || token >= MASK) {
            throw new IllegalArgumentException(
                    "token ids must be in [0, " + (MASK - 1) + "): " + before + ", " + previous + ", " + token);
        }
        return ((long) (before + 1) << 42) | ((long) previous << 21) | token;
    }
}
