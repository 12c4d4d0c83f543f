package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Locale;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GeneratorTest {

    private static final int[] PROMPT = {256, 'T', 'h', 'e', ' '};

    /** Three prompts of one length for batched generation. */
    private static final int[][] BATCH_PROMPTS = {
        {256, 'T', 'h', 'e', ' '}, {256, 'G', 'N', 'U', ' '}, {256, 'a', 'b', 'c', 'd'}
    };

    /** Their samplings: greedy, sampled and shorter, top-k and top-p; 40 tokens move a 16-token window twice. */
    private static List<SamplingConfig> batchSamplings() {
        return List.of(
                SamplingConfig.greedy(40).withStopAtEos(false),
                SamplingConfig.sample(25, 1.0, 11).withStopAtEos(false),
                SamplingConfig.sample(40, 0.8, 12).withTopK(20).withTopP(0.9).withStopAtEos(false));
    }

    @ParameterizedTest
    @EnumSource(Positions.class)
    void cachedAndUncachedGenerationGiveTheSameTokensAndLogits(Positions positions) {
        // Context 16 and 40 new tokens: the window moves (cache reset and prefill) twice.
        try (LanguageModel lm = LanguageModel.create(DecoderTest.tiny(positions, false), ByteTokenizer.INSTANCE, 5)) {
            for (Generator.Engine engine : new Generator.Engine[] {Generator.Engine.DJL, Generator.Engine.JVM}) {
                cachedEqualsUncached(new Generator(lm, engine), engine);
            }
        }
    }

    private static void cachedEqualsUncached(Generator g, Generator.Engine engine) {
        for (SamplingConfig s : new SamplingConfig[] {
            SamplingConfig.greedy(40).withStopAtEos(false),
            SamplingConfig.sample(40, 1.0, 11).withStopAtEos(false),
            SamplingConfig.sample(40, 0.8, 12).withTopK(20).withTopP(0.9).withStopAtEos(false)
        }) {
            Generator.Result cached = g.generate(PROMPT, s, true, true);
            Generator.Result plain = g.generate(PROMPT, s, false, true);
            assertThat(cached.tokens()).as("%s, %s", engine, s).hasSize(40).containsExactly(plain.tokens());
            double maxDiff = 0;
            for (int i = 0; i < 40; i++) {
                float[] a = cached.stepLogits().get(i);
                float[] b = plain.stepLogits().get(i);
                for (int v = 0; v < a.length; v++) {
                    maxDiff = Math.max(maxDiff, Math.abs(a[v] - b[v]));
                }
            }
            assertThat(maxDiff)
                    .as("max |cached - uncached| logit, %s, %s", engine, s)
                    .isLessThanOrEqualTo(1e-5);
        }
    }

    @ParameterizedTest
    @EnumSource(Positions.class)
    void aBatchGivesEachRowWhatItWouldGetAlone(Positions positions) {
        // Context 16 and 40 tokens: the batch's window moves twice, as each row's does alone.
        int[][] prompts = BATCH_PROMPTS;
        List<SamplingConfig> samplings = batchSamplings();
        try (LanguageModel lm = LanguageModel.create(DecoderTest.tiny(positions, false), ByteTokenizer.INSTANCE, 5)) {
            Generator g = new Generator(lm, Generator.Engine.DJL);
            for (boolean useCache : new boolean[] {true, false}) {
                List<Generator.Result> batch = g.generate(List.of(prompts), samplings, useCache, true);
                assertThat(batch).hasSize(3);
                for (int i = 0; i < 3; i++) {
                    Generator.Result alone = g.generate(prompts[i], samplings.get(i), true, true);
                    assertThat(batch.get(i).tokens())
                            .as("row %d, cache %s", i, useCache)
                            .hasSize(samplings.get(i).maxNewTokens())
                            .containsExactly(alone.tokens());
                    for (int t = 0; t < alone.tokens().length; t++) {
                        float[] a = alone.stepLogits().get(t);
                        float[] b = batch.get(i).stepLogits().get(t);
                        for (int v = 0; v < a.length; v++) {
                            assertThat(b[v])
                                    .as("row %d step %d logit %d", i, t, v)
                                    .isCloseTo(a[v], within(1e-4f));
                        }
                    }
                }
            }
        }
    }

    @Test
    void aBatchRowEndsAtItsOwnEosAndPromptsOfOtherLengthsAreRefused() {
        try (LanguageModel lm =
                LanguageModel.create(DecoderTest.tiny(Positions.ROTARY, false), ByteTokenizer.INSTANCE, 8)) {
            Generator g = new Generator(lm, Generator.Engine.DJL);
            int eos = lm.tokenizer().eos();
            // Find a seed whose sample reaches EOS early, then batch it with one that runs to its limit.
            SamplingConfig ending = null;
            int[] endingAlone = null;
            for (long seed = 0; seed < 500 && ending == null; seed++) {
                SamplingConfig s = SamplingConfig.sample(30, 3.0, seed);
                int[] t = g.generate(PROMPT, s, true, false).tokens();
                if (t.length < 30) {
                    ending = s;
                    endingAlone = t;
                }
            }
            assertThat(ending)
                    .as("a seed that samples EOS within 30 tokens at temperature 3")
                    .isNotNull();
            assertThat(endingAlone[endingAlone.length - 1]).isEqualTo(eos);
            SamplingConfig full = SamplingConfig.greedy(30).withStopAtEos(false);
            List<Generator.Result> r = g.generate(List.of(PROMPT, PROMPT), List.of(ending, full), true, false);
            assertThat(r.get(0).tokens()).containsExactly(endingAlone);
            assertThat(r.get(1).tokens())
                    .hasSize(30)
                    .containsExactly(g.generate(PROMPT, full, true, false).tokens());
            assertThatThrownBy(() ->
                            g.generate(List.of(PROMPT, new int[] {256, 'x'}), List.of(full, full), true, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("row 1 has 2");
            assertThatThrownBy(() -> g.generate(List.of(PROMPT), List.of(full, full), true, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1 prompts and 2 configurations");
        }
    }

    /**
     * Batched generation's throughput against one sequence at a time (printed; asserted only as
     * "a batch of 16 makes more tokens per second" since the machine is shared).
     */
    @ParameterizedTest
    @EnumSource(Positions.class)
    void aModuleWithoutACacheGeneratesWhatTheModelGenerates(Positions positions) {
        // Context 16 and 40 tokens: the recomputed window moves twice, by the rule the model's cache follows.
        int[][] prompts = BATCH_PROMPTS;
        List<SamplingConfig> samplings = batchSamplings();
        try (LanguageModel lm = LanguageModel.create(DecoderTest.tiny(positions, false), ByteTokenizer.INSTANCE, 5)) {
            // The module is seen only through its logits, as a TorchScript teacher is.
            Generator module = Generator.recomputing(lm::logits, ByteTokenizer.INSTANCE, 16);
            Generator model = new Generator(lm, Generator.Engine.DJL);
            List<Generator.Result> fromModule = module.generate(List.of(prompts), samplings, true, true);
            List<Generator.Result> fromModel = model.generate(List.of(prompts), samplings, true, true);
            for (int i = 0; i < 3; i++) {
                assertThat(fromModule.get(i).tokens())
                        .as("row %d", i)
                        .hasSize(samplings.get(i).maxNewTokens())
                        .containsExactly(fromModel.get(i).tokens());
                for (int t = 0; t < fromModule.get(i).stepLogits().size(); t++) {
                    float[] a = fromModule.get(i).stepLogits().get(t);
                    float[] b = fromModel.get(i).stepLogits().get(t);
                    for (int v = 0; v < a.length; v++) {
                        assertThat(a[v]).as("row %d step %d id %d", i, t, v).isCloseTo(b[v], within(1e-5f));
                    }
                }
            }
            assertThat(module.complete("GNU ", SamplingConfig.greedy(10)))
                    .isEqualTo(model.complete("GNU ", SamplingConfig.greedy(10)));
        }
    }

    @Test
    void aModuleWhoseLogitsAreNotTheTokenizersVocabularyIsRefused() {
        try (LanguageModel lm =
                LanguageModel.create(DecoderTest.tiny(Positions.ROTARY, false), ByteTokenizer.INSTANCE, 5)) {
            Generator narrow = Generator.recomputing(
                    ids -> lm.logits(ids).get(new ai.djl.ndarray.index.NDIndex(":, :, :100")),
                    ByteTokenizer.INSTANCE,
                    16);
            assertThatThrownBy(() -> narrow.generate(PROMPT, SamplingConfig.greedy(3), false, false))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("100 logits per position")
                    .hasMessageContaining("(258)");
            assertThatThrownBy(() -> Generator.recomputing(lm::logits, ByteTokenizer.INSTANCE, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("context length must be >= 1");
        }
    }

    @Test
    void aBatchMakesMoreTokensPerSecondThanOneSequence() {
        DecoderConfig c = new DecoderConfig(258, 2, 48, 4, 128, 0.0, Positions.ROTARY, false);
        try (LanguageModel lm = LanguageModel.create(c, ByteTokenizer.INSTANCE, 9)) {
            Generator g = new Generator(lm, Generator.Engine.DJL);
            SamplingConfig s = SamplingConfig.greedy(64).withStopAtEos(false);
            List<int[]> prompts = java.util.Collections.nCopies(16, PROMPT);
            List<SamplingConfig> samplings = java.util.Collections.nCopies(16, s);
            g.generate(prompts, samplings, true, false);
            g.generate(PROMPT, s, true, false);
            long t0 = System.nanoTime();
            g.generate(prompts, samplings, true, false);
            long t1 = System.nanoTime();
            g.generate(PROMPT, s, true, false);
            long t2 = System.nanoTime();
            double batched = 16 * 64 / ((t1 - t0) / 1e9);
            double single = 64 / ((t2 - t1) / 1e9);
            System.out.printf(
                    Locale.ROOT,
                    "generation %s: %.0f tokens/s in a batch of 16, %.0f tokens/s alone (x%.1f)%n",
                    c,
                    batched,
                    single,
                    batched / single);
            assertThat(batched).isGreaterThan(single);
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
            Generator g = new Generator(lm, Generator.Engine.DJL);
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
