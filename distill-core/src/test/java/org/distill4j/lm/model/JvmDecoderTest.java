package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.List;
import java.util.Random;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JvmDecoderTest {

    private static final int[] PROMPT = {256, 'T', 'h', 'e', ' '};

    /**
     * A tiny model whose weights are far from their N(0, 0.02) start (N(0, 0.3), LayerNorm gains
     * around 1 and shifts around 0), so that the logits spread over several units and a wrong
     * formula (epsilon, GELU form, rotation, a transposed weight) shows.
     */
    static LanguageModel roughModel(DecoderConfig config, long seed) {
        LanguageModel lm = LanguageModel.create(config, ByteTokenizer.INSTANCE, seed);
        Random random = new Random(seed);
        for (Pair<String, Parameter> p : lm.decoder().getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] values = new float[(int) a.size()];
            boolean gain = p.getKey().endsWith("gamma");
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((gain ? 1 : 0) + 0.3 * random.nextGaussian());
            }
            a.set(values);
        }
        return lm;
    }

    @ParameterizedTest
    @CsvSource({"LEARNED, false", "LEARNED, true", "ROTARY, false", "ROTARY, true"})
    void logitsEqualTheDjlDecodersAtEveryPosition(Positions positions, boolean tied) {
        DecoderConfig config = new DecoderConfig(258, 2, 32, 4, 16, 0.0, positions, tied);
        try (LanguageModel lm = roughModel(config, 3);
                NDManager manager = lm.model().getNDManager().newSubManager()) {
            int[] ids = new int[16];
            Random random = new Random(4);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(258);
            }
            float[] djl = lm.logits(manager.create(ids, new Shape(1, 16))).toFloatArray(); // (1, 16, V)
            JvmDecoder.Session session = JvmDecoder.of(lm.decoder()).newSession();
            double maxDiff = 0;
            double spread = 0;
            for (int t = 0; t < 16; t++) {
                float[] jvm = session.next(ids[t]);
                assertThat(session.length()).isEqualTo(t + 1);
                for (int v = 0; v < 258; v++) {
                    float ref = djl[t * 258 + v];
                    maxDiff = Math.max(maxDiff, Math.abs(jvm[v] - ref));
                    spread = Math.max(spread, Math.abs(ref));
                }
            }
            assertThat(spread).as("the rough model's logits spread").isGreaterThan(3);
            assertThat(maxDiff).as("max |JVM - DJL| logit over 16 positions").isLessThan(2e-4 * spread);
        }
    }

    @Test
    void aSessionResetsAndRefusesWhatItCannotHold() {
        DecoderConfig config = new DecoderConfig(258, 1, 16, 2, 4, 0.0, Positions.ROTARY, false);
        try (LanguageModel lm = roughModel(config, 5)) {
            JvmDecoder decoder = JvmDecoder.of(lm.decoder());
            JvmDecoder.Session s = decoder.newSession();
            float[] first = s.next(7);
            s.next(8);
            s.reset();
            assertThat(s.length()).isZero();
            assertThat(s.next(7)).containsExactly(first);
            s.next(1);
            s.next(2);
            s.next(3);
            assertThatThrownBy(() -> s.next(4))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("position 4 exceeds the context length 4");
            JvmDecoder.Session fresh = decoder.newSession();
            assertThatThrownBy(() -> fresh.next(258))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token id 258 is not in [0, 258)");
            assertThat(fresh.length()).isZero();
        }
    }

    @ParameterizedTest
    @CsvSource({"LEARNED, false", "ROTARY, true"})
    void aSequenceMovesBetweenTheDjlCacheAndASession(Positions positions, boolean tied) {
        DecoderConfig config = new DecoderConfig(258, 2, 32, 4, 16, 0.0, positions, tied);
        try (LanguageModel lm = roughModel(config, 9);
                NDManager m = lm.model().getNDManager().newSubManager();
                KvCache prefix = lm.decoder().newCache(m)) {
            ai.djl.training.ParameterStore ps = new ai.djl.training.ParameterStore(m, false);
            int[] prompt = {256, 'a', 'b', 'c', 'd', 'e'};
            lm.decoder().forward(ps, m.create(prompt, new Shape(1, prompt.length)), prefix, false);
            JvmDecoder.Session session = JvmDecoder.of(lm.decoder()).newSession();
            session.load(prefix); // DJL prefill to the JVM
            assertThat(session.length()).isEqualTo(prompt.length);
            float[] jvm = session.next('f');
            float[] djl = lm.decoder()
                    .forward(ps, m.create(new int[] {'f'}, new Shape(1, 1)), prefix, false)
                    .toFloatArray();
            assertThat(jvm).containsExactly(djl, within(1e-3f));
            try (KvCache back = session.toKvCache(m)) { // and from the JVM back to DJL
                assertThat(back.length()).isEqualTo(prompt.length + 1);
                float[] fromBack = lm.decoder()
                        .forward(ps, m.create(new int[] {'g'}, new Shape(1, 1)), back, false)
                        .toFloatArray();
                assertThat(fromBack).containsExactly(session.next('g'), within(1e-3f));
            }
        }
    }

    @Test
    void geluIsTheExactErfForm() {
        // erf values from Python's math.erf; GELU(x) = x/2 (1 + erf(x / sqrt 2)) as torch's default.
        assertThat(JvmDecoder.erf(0.5)).isCloseTo(0.5204998778130465, within(2e-7));
        assertThat(JvmDecoder.erf(1.0)).isCloseTo(0.8427007929497149, within(2e-7));
        assertThat(JvmDecoder.erf(-2.0)).isCloseTo(-0.9953222650189527, within(2e-7));
        assertThat(JvmDecoder.erf(0.0)).isCloseTo(0.0, within(2e-7));
        // torch.nn.functional.gelu(torch.tensor([1.0, -0.5, 3.0])) = [0.8413447, -0.1542687, 2.9959502]
        assertThat(JvmDecoder.gelu(1.0f)).isCloseTo(0.8413447f, within(1e-6f));
        assertThat(JvmDecoder.gelu(-0.5f)).isCloseTo(-0.1542687f, within(1e-6f));
        assertThat(JvmDecoder.gelu(3.0f)).isCloseTo(2.9959502f, within(1e-6f));
        // the tanh approximation differs here by 1.7e-4: the test tells the two forms apart
        assertThat(JvmDecoder.gelu(-2.0f)).isCloseTo(-0.04550026f, within(1e-6f));
    }

    @ParameterizedTest
    @CsvSource({"LEARNED, false", "ROTARY, true"})
    void theJvmEngineGeneratesWhatTheDjlEngineDoes(Positions positions, boolean tied) {
        // Context 16 and 40 new tokens: the window moves (cache reset and prefill) twice.
        DecoderConfig config = new DecoderConfig(258, 2, 32, 4, 16, 0.0, positions, tied);
        try (LanguageModel lm = roughModel(config, 6)) {
            Generator djl = new Generator(lm, Generator.Engine.DJL);
            Generator jvm = new Generator(lm, Generator.Engine.JVM);
            for (SamplingConfig s : List.of(
                    SamplingConfig.greedy(40).withStopAtEos(false),
                    SamplingConfig.sample(40, 1.0, 11).withStopAtEos(false),
                    SamplingConfig.sample(40, 0.8, 12)
                            .withTopK(20)
                            .withTopP(0.9)
                            .withStopAtEos(false))) {
                Generator.Result a = djl.generate(PROMPT, s, true, true);
                for (boolean useCache : new boolean[] {true, false}) {
                    Generator.Result b = jvm.generate(PROMPT, s, useCache, true);
                    assertThat(b.tokens())
                            .as("%s, cache %s", s, useCache)
                            .hasSize(40)
                            .containsExactly(a.tokens());
                    for (int t = 0; t < 40; t++) {
                        float[] x = a.stepLogits().get(t);
                        float[] y = b.stepLogits().get(t);
                        for (int v = 0; v < x.length; v++) {
                            assertThat(y[v]).as("step %d logit %d", t, v).isCloseTo(x[v], within(2e-3f));
                        }
                    }
                }
            }
            // a batch on the JVM engine runs its rows in parallel, each as it runs alone
            List<SamplingConfig> three = List.of(
                    SamplingConfig.greedy(40).withStopAtEos(false),
                    SamplingConfig.sample(40, 1.0, 11).withStopAtEos(false),
                    SamplingConfig.sample(25, 0.8, 12).withTopK(20).withStopAtEos(false));
            int[][] prompts = {PROMPT, {256, 'G', 'N', 'U', ' '}, {256, 'a', 'b', 'c', 'd'}};
            List<Generator.Result> batch = jvm.generate(List.of(prompts), three, true, false);
            for (int i = 0; i < 3; i++) {
                assertThat(batch.get(i).tokens())
                        .as("JVM batch row %d", i)
                        .containsExactly(djl.generate(prompts[i], three.get(i), true, false)
                                .tokens());
            }
            // AUTO: one prompt on the JVM (bit for bit the JVM engine's logits, which differ from
            // DJL's in the last bits), several prompts on DJL (bit for bit DJL's batch)
            SamplingConfig greedy = SamplingConfig.greedy(40).withStopAtEos(false);
            Generator auto = new Generator(lm);
            float[] autoOne =
                    auto.generate(PROMPT, greedy, true, true).stepLogits().get(39);
            assertThat(autoOne)
                    .containsExactly(jvm.generate(PROMPT, greedy, true, true)
                            .stepLogits()
                            .get(39));
            assertThat(autoOne)
                    .isNotEqualTo(djl.generate(PROMPT, greedy, true, true)
                            .stepLogits()
                            .get(39));
            List<int[]> two = List.of(PROMPT, prompts[1]);
            List<SamplingConfig> twoGreedy = List.of(greedy, greedy);
            float[] autoBatch = auto.generate(two, twoGreedy, true, true)
                    .get(1)
                    .stepLogits()
                    .get(39);
            assertThat(autoBatch)
                    .containsExactly(djl.generate(two, twoGreedy, true, true)
                            .get(1)
                            .stepLogits()
                            .get(39));
        }
    }

    @Test
    void aJvmRowEndsAtEos() {
        DecoderConfig config = new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.LEARNED, false);
        try (LanguageModel lm = roughModel(config, 8)) {
            Generator djl = new Generator(lm, Generator.Engine.DJL);
            Generator jvm = new Generator(lm, Generator.Engine.JVM);
            // sample until some seed emits EOS within 30 tokens; both engines must stop right there
            int checked = 0;
            for (long seed = 0; seed < 200 && checked < 3; seed++) {
                SamplingConfig s = SamplingConfig.sample(30, 3.0, seed);
                int[] a = djl.generate(PROMPT, s, true, false).tokens();
                int[] b = jvm.generate(PROMPT, s, true, false).tokens();
                assertThat(b).as("seed %d", seed).containsExactly(a);
                if (a.length < 30) {
                    assertThat(a[a.length - 1]).isEqualTo(ByteTokenizer.EOS);
                    checked++;
                }
            }
            assertThat(checked).as("sequences that ended at EOS").isEqualTo(3);
        }
    }
}
