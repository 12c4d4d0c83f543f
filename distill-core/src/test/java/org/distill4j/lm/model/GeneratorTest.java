package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Locale;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GeneratorTest {

    private static final int[] PROMPT = {256, 'T', 'h', 'e', ' '};

    @ParameterizedTest
    @EnumSource(Positions.class)
    void cachedAndUncachedGenerationGiveTheSameTokensAndLogits(Positions positions) {
        // Context 16 and 40 new tokens: the window moves (cache reset and prefill) twice.
        try (LanguageModel lm = LanguageModel.create(DecoderTest.tiny(positions, false), ByteTokenizer.INSTANCE, 5)) {
            Generator g = new Generator(lm);
            for (SamplingConfig s : new SamplingConfig[] {
                SamplingConfig.greedy(40).withStopAtEos(false),
                SamplingConfig.sample(40, 1.0, 11).withStopAtEos(false),
                SamplingConfig.sample(40, 0.8, 12).withTopK(20).withTopP(0.9).withStopAtEos(false)
            }) {
                Generator.Result cached = g.generate(PROMPT, s, true, true);
                Generator.Result plain = g.generate(PROMPT, s, false, true);
                assertThat(cached.tokens()).as(s.toString()).hasSize(40).containsExactly(plain.tokens());
                double maxDiff = 0;
                for (int i = 0; i < 40; i++) {
                    float[] a = cached.stepLogits().get(i);
                    float[] b = plain.stepLogits().get(i);
                    for (int v = 0; v < a.length; v++) {
                        maxDiff = Math.max(maxDiff, Math.abs(a[v] - b[v]));
                    }
                }
                assertThat(maxDiff).as("max |cached - uncached| logit, %s", s).isLessThanOrEqualTo(1e-5);
            }
        }
    }

    @Test
    void samplingIsSeededAndGreedyEqualsTopOne() {
        try (LanguageModel lm =
                LanguageModel.create(DecoderTest.tiny(Positions.ROTARY, true), ByteTokenizer.INSTANCE, 6)) {
            Generator g = new Generator(lm);
            SamplingConfig s = SamplingConfig.sample(30, 1.0, 99).withStopAtEos(false);
            int[] a = g.generate(PROMPT, s, true, false).tokens();
            assertThat(g.generate(PROMPT, s, true, false).tokens()).containsExactly(a);
            SamplingConfig other = new SamplingConfig(30, 1.0, 0, 1, 100, false);
            assertThat(g.generate(PROMPT, other, true, false).tokens()).isNotEqualTo(a);
            int[] greedy = g.generate(PROMPT, SamplingConfig.greedy(30).withStopAtEos(false), true, false)
                    .tokens();
            int[] topOne = g.generate(PROMPT, s.withTopK(1), true, false).tokens();
            assertThat(topOne).containsExactly(greedy);
        }
    }

    @Test
    void topKAndTopPKeepOnlyTheMostLikelyTokens() {
        float[] logits = {2f, 1f, 0f, -1f, 3f};
        double[] all = TokenSampler.probabilities(logits, 1.0, 0, 1.0);
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l);
        }
        assertThat(all[4]).isCloseTo(Math.exp(3) / z, within(1e-12));
        double[] k2 = TokenSampler.probabilities(logits, 1.0, 2, 1.0);
        assertThat(k2[4] + k2[0]).isCloseTo(1.0, within(1e-12));
        assertThat(k2[1]).isZero();
        // p(3)=0.64, p(2)=0.24 of the full softmax: top-p 0.6 keeps one token, 0.7 keeps two.
        assertThat(TokenSampler.probabilities(logits, 1.0, 0, 0.6)[4]).isEqualTo(1.0);
        double[] p7 = TokenSampler.probabilities(logits, 1.0, 0, 0.7);
        assertThat(p7[0]).isGreaterThan(0);
        assertThat(p7[1]).isZero();
        double[] hot = TokenSampler.probabilities(logits, 100.0, 0, 1.0);
        assertThat(hot[3]).isCloseTo(0.2, within(0.01));
    }

    /**
     * Generation speed with and without the cache (a short measurement, printed; asserted only as
     * "the cache is faster" since the machine is shared).
     */
    @Test
    void theCacheMakesEachNewTokenCheaperThanRecomputingThePrefix() {
        DecoderConfig c = new DecoderConfig(258, 4, 128, 4, 256, 0.0, Positions.LEARNED, true);
        try (LanguageModel lm = LanguageModel.create(c, ByteTokenizer.INSTANCE, 7)) {
            Generator g = new Generator(lm);
            SamplingConfig s = SamplingConfig.greedy(200).withStopAtEos(false);
            g.generate(PROMPT, SamplingConfig.greedy(20).withStopAtEos(false), true, false);
            g.generate(PROMPT, SamplingConfig.greedy(20).withStopAtEos(false), false, false);
            long t0 = System.nanoTime();
            int[] cached = g.generate(PROMPT, s, true, false).tokens();
            long t1 = System.nanoTime();
            int[] plain = g.generate(PROMPT, s, false, false).tokens();
            long t2 = System.nanoTime();
            double cachedRate = 200 / ((t1 - t0) / 1e9);
            double plainRate = 200 / ((t2 - t1) / 1e9);
            System.out.printf(
                    Locale.ROOT,
                    "generation %s, 200 tokens after a 5-token prompt: %.0f tokens/s with KV cache,"
                            + " %.0f tokens/s recomputing the prefix (x%.1f)%n",
                    c,
                    cachedRate,
                    plainRate,
                    cachedRate / plainRate);
            assertThat(cached).containsExactly(plain);
            assertThat(cachedRate).isGreaterThan(plainRate);
        }
    }
}
