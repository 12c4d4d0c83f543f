package org.distill4j.lm.model;

/**
 * How {@link Generator} picks each next token. Temperature 0 is greedy (argmax; top-k, top-p and
 * seed are then irrelevant). Otherwise logits are divided by the temperature, only the {@code topK}
 * most likely tokens are kept (0 = all), then only the smallest set of most likely tokens whose
 * probability reaches {@code topP} (1 = all), and a token is drawn from what remains, renormalised,
 * with a generator seeded by {@code seed}.
 *
 * @param maxNewTokens how many tokens to generate at most, &gt;= 0
 * @param temperature &gt;= 0, finite
 * @param topK &gt;= 0
 * @param topP in (0, 1]
 * @param seed the sampling seed
 * @param stopAtEos whether generation ends after an EOS token
 */
public record SamplingConfig(
        int maxNewTokens, double temperature, int topK, double topP, long seed, boolean stopAtEos) {

    /** Validates every field. */
    public SamplingConfig {
        if (maxNewTokens < 0
                || !(temperature >= 0)
                || Double.isInfinite(temperature)
                || topK < 0
                || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("illegal sampling: maxNewTokens=" + maxNewTokens + ", temperature="
                    + temperature + ", topK=" + topK + ", topP=" + topP
                    + " (need maxNewTokens >= 0, finite temperature >= 0, topK >= 0, topP in (0, 1])");
        }
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, stopping at EOS. */
    public static SamplingConfig greedy(int maxNewTokens) {
        return new SamplingConfig(maxNewTokens, 0, 0, 1, 0, true);
    }

    /** Sampling at {@code temperature} from the full distribution, stopping at EOS. */
    public static SamplingConfig sample(int maxNewTokens, double temperature, long seed) {
        return new SamplingConfig(maxNewTokens, temperature, 0, 1, seed, true);
    }

    /** Returns a copy with top-k filtering. */
    public SamplingConfig withTopK(int k) {
        return new SamplingConfig(maxNewTokens, temperature, k, topP, seed, stopAtEos);
    }

    /** Returns a copy with nucleus (top-p) filtering. */
    public SamplingConfig withTopP(double p) {
        return new SamplingConfig(maxNewTokens, temperature, topK, p, seed, stopAtEos);
    }

    /** Returns a copy that does or does not stop at EOS. */
    public SamplingConfig withStopAtEos(boolean stop) {
        return new SamplingConfig(maxNewTokens, temperature, topK, topP, seed, stop);
    }
}
