package org.distill4j.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.distill4j.audit.AuditException;
import org.distill4j.audit.TokenWatermarkAudit;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;

/**
 * {@link TokenWatermarkResidual} and its bound: the bound is never below the exact tail, the test
 * is valid for suspects that never saw the key, it finds a shift of green log-probabilities that
 * changes no top token, and the audit runs it on real decoders against a clean baseline.
 */
class TokenWatermarkResidualTest {

    static TokenWatermark key(long seed, double delta) {
        byte[] s = new byte[32];
        new Random(seed).nextBytes(s);
        return new TokenWatermark(s, 0.25, delta);
    }

    @Test
    void theStatisticIsTheGreenShareOfTheCentredProbabilityWeightedShifts() {
        // Three positions by hand: each token's weight is p (d - mean d), d = suspect - baseline log-prob,
        // the mean weighted by p over the tokens the suspect gave; weights add up per (context, token)
        // cell. Position 2 repeats position 0's context and token 10, so they share a cell; position 1's
        // third token is missing in the suspect's answer (NaN) and left out.
        TokenWatermark key = key(15, 1);
        int[] history = {5, 7, 7, 10, 5, 7};
        int[] tokens = {10, 11, 12, 10, 20, 30, 10, 13, 14};
        double[] p = {0.5, 0.3, 0.2, 0.6, 0.25, 0.15, 0.4, 0.35, 0.25};
        double[] d = {0.2, -0.1, 0.0, -0.05, 0.3, Double.NaN, 0.1, 0.0, -0.2};
        float[] baseline = new float[9];
        float[] suspect = new float[9];
        for (int j = 0; j < 9; j++) {
            baseline[j] = (float) Math.log(p[j]);
            suspect[j] = Double.isNaN(d[j]) ? Float.NaN : (float) (baseline[j] + d[j]);
        }
        java.util.Map<String, Double> weight = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            double mass = 0;
            double mean = 0;
            for (int j = 3 * i; j < 3 * i + 3; j++) {
                if (!Double.isNaN(d[j])) {
                    double pj = Math.exp(baseline[j]);
                    mass += pj;
                    mean += pj * (suspect[j] - baseline[j]);
                }
            }
            mean /= mass;
            for (int j = 3 * i; j < 3 * i + 3; j++) {
                if (!Double.isNaN(d[j])) {
                    double w = Math.exp(baseline[j]) * (suspect[j] - baseline[j] - mean);
                    weight.merge(history[2 * i] + "," + history[2 * i + 1] + "," + tokens[j], w, Double::sum);
                }
            }
        }
        assertThat(weight).hasSize(7);
        double score = 0;
        double total = 0;
        double squares = 0;
        int greens = 0;
        for (var e : weight.entrySet()) {
            String[] c = e.getKey().split(",");
            boolean green = key.green(Integer.parseInt(c[0]), Integer.parseInt(c[1]), Integer.parseInt(c[2]));
            score += green ? e.getValue() : 0;
            greens += green ? 1 : 0;
            total += e.getValue();
            squares += e.getValue() * e.getValue();
        }
        // The weights of each position sum to 0 (centred), so the expected score is 0 up to rounding;
        // what the test can see is the green cells' weight, which must not cancel (this key's green
        // cells are 3 of the 7, weighing 0.157).
        assertThat(greens).as("green cells of 7").isBetween(1, 6);
        assertThat(Math.abs(score)).as("the green cells' weight").isGreaterThan(0.05);
        double gamma = key.gamma();
        TokenWatermarkResidual.Detection det = TokenWatermarkResidual.test(key, history, 3, tokens, baseline, suspect);
        assertThat(det.positions()).isEqualTo(3);
        assertThat(det.cells()).isEqualTo(7);
        assertThat(det.score()).isCloseTo(score, within(1e-12));
        assertThat(det.expected()).isCloseTo(gamma * total, within(1e-12));
        assertThat(det.z()).isCloseTo((score - gamma * total) / Math.sqrt(gamma * (1 - gamma) * squares), within(1e-9));
        double largest = weight.values().stream().mapToDouble(Math::abs).max().orElseThrow();
        double[] scaled = weight.values().stream().mapToDouble(v -> v / largest).toArray();
        assertThat(det.log10PValue())
                .isCloseTo(WeightedBernoulliTail.log10UpperBound(scaled, score / largest, gamma), within(1e-9));
        assertThat(det.pValue()).isCloseTo(Math.pow(10, det.log10PValue()), within(1e-12));
    }

    @Test
    void theChernoffBoundIsNeverBelowTheExactTailAndCloseToIt() {
        // Weighted: the exact tail by enumerating all 2^14 colourings.
        Random rng = new Random(3);
        double gamma = 0.25;
        for (int trial = 0; trial < 5; trial++) {
            double[] w = new double[14];
            for (int i = 0; i < w.length; i++) {
                w[i] = rng.nextGaussian() + (trial % 2 == 0 ? 0 : 0.5);
            }
            for (double s : new double[] {0.5, 1.5, 2.5, 4, 6}) {
                double exact = 0;
                for (int m = 0; m < 1 << w.length; m++) {
                    double sum = 0;
                    int greens = Integer.bitCount(m);
                    for (int i = 0; i < w.length; i++) {
                        sum += (m >> i & 1) == 1 ? w[i] : 0;
                    }
                    if (sum >= s) {
                        exact += Math.pow(gamma, greens) * Math.pow(1 - gamma, w.length - greens);
                    }
                }
                double bound = WeightedBernoulliTail.log10UpperBound(w, s, gamma);
                if (exact == 0) {
                    assertThat(bound).as("trial %d, s %s", trial, s).isLessThan(-0.5);
                } else {
                    assertThat(bound).as("trial %d, s %s", trial, s).isGreaterThanOrEqualTo(Math.log10(exact) - 1e-9);
                }
            }
        }
        // Unit weights: the binomial tail, exact in TokenWatermark; the bound is above it, by less
        // than z sqrt(2 pi) times (about 12 at p = 1e-6) plus a little.
        double[] ones = new double[4000];
        java.util.Arrays.fill(ones, 1);
        for (int green : new int[] {1100, 1150, 1200}) {
            double exact = org.distill4j.eval.BinomialTail.log10UpperTail(4000, green, gamma);
            double bound = WeightedBernoulliTail.log10UpperBound(ones, green, gamma);
            double z = (green - 1000) / Math.sqrt(4000 * gamma * (1 - gamma));
            assertThat(bound).as("green %d", green).isGreaterThanOrEqualTo(exact);
            assertThat(bound - exact).as("green %d", green).isLessThan(Math.log10(z * Math.sqrt(2 * Math.PI)) + 0.3);
        }
        // At or below the mean: 1; above what any colouring reaches: 0.
        assertThat(WeightedBernoulliTail.log10UpperBound(ones, 1000, gamma)).isZero();
        assertThat(WeightedBernoulliTail.log10UpperBound(new double[] {1, -1}, 1.5, gamma))
                .isEqualTo(Double.NEGATIVE_INFINITY);
    }

    /** Synthetic log-probabilities: k tokens per position, normalised over a vocabulary of 258. */
    record Probe(int[] history, int[] tokens, float[] baseline, float[] suspect) {}

    static Probe probe(int positions, int k, long seed, TokenWatermark shiftBy, double shift, double noise) {
        Random rng = new Random(seed);
        int[] history = new int[2 * positions];
        int[] tokens = new int[k * positions];
        float[] base = new float[k * positions];
        float[] sus = new float[k * positions];
        for (int i = 0; i < positions; i++) {
            // Few contexts, so cells repeat: the weights of a cell's positions add up.
            history[2 * i] = rng.nextInt(8);
            history[2 * i + 1] = rng.nextInt(30);
            int start = (history[2 * i + 1] * 31) % 200;
            double[] b = new double[k];
            double[] s = new double[k];
            double zb = 0;
            double zs = 0;
            for (int j = 0; j < k; j++) {
                int t = start + j;
                tokens[i * k + j] = t;
                b[j] = -0.3 * j + 0.2 * Math.sin(history[2 * i] + t);
                s[j] = b[j] + noise * rng.nextGaussian();
                if (shiftBy != null && shiftBy.green(history[2 * i], history[2 * i + 1], t)) {
                    s[j] += shift;
                }
                zb += Math.exp(b[j]);
                zs += Math.exp(s[j]);
            }
            for (int j = 0; j < k; j++) {
                base[i * k + j] = (float) (b[j] - Math.log(zb + 2));
                sus[i * k + j] = (float) (s[j] - Math.log(zs + 2));
            }
        }
        return new Probe(history, tokens, base, sus);
    }

    @Test
    void pValuesOfSuspectsThatNeverSawTheKeyAreValid() {
        int keys = 400;
        int below05 = 0;
        int below01 = 0;
        double zSum = 0;
        double zSquares = 0;
        Probe p = probe(3000, 20, 7, null, 0, 0.3);
        for (int s = 0; s < keys; s++) {
            TokenWatermarkResidual.Detection d = TokenWatermarkResidual.test(
                    key(1000 + s, 1), p.history(), 20, p.tokens(), p.baseline(), p.suspect());
            assertThat(d.cells()).isLessThanOrEqualTo(8 * 30 * 20);
            assertThat(d.positions()).isEqualTo(3000);
            below05 += d.pValue() < 0.05 ? 1 : 0;
            below01 += d.pValue() < 0.01 ? 1 : 0;
            zSum += d.z();
            zSquares += d.z() * d.z();
        }
        assertThat(below05).isLessThanOrEqualTo((int) (0.05 * keys + 3 * Math.sqrt(0.05 * 0.95 * keys)));
        assertThat(below01).isLessThanOrEqualTo((int) (0.01 * keys + 3 * Math.sqrt(0.01 * 0.99 * keys)));
        assertThat(below05).as("not degenerate").isPositive();
        assertThat(zSum / keys).isCloseTo(0, within(0.2));
        assertThat(Math.sqrt(zSquares / keys - Math.pow(zSum / keys, 2))).isCloseTo(1, within(0.15));
    }

    @Test
    void findsAShiftOfGreenLogProbabilitiesThatMovesNoTopTokenAndSkipsWhatTheSuspectDidNotSay() {
        TokenWatermark k = key(5, 1);
        // A shift of 0.05 nats under noise of 0.3: hardly any top token changes.
        Probe p = probe(3000, 20, 8, k, 0.05, 0.3);
        TokenWatermarkResidual.Detection found =
                TokenWatermarkResidual.test(k, p.history(), 20, p.tokens(), p.baseline(), p.suspect());
        assertThat(found.log10PValue()).isLessThan(-6);
        assertThat(found.z()).isGreaterThan(5);
        assertThat(found.score()).isGreaterThan(found.expected());
        assertThat(TokenWatermarkResidual.test(key(6, 1), p.history(), 20, p.tokens(), p.baseline(), p.suspect())
                        .pValue())
                .isGreaterThan(1e-4);
        // Tokens the suspect's answer left out (non-finite) are skipped, not read as evidence.
        float[] partial = p.suspect().clone();
        for (int i = 0; i < partial.length; i += 2) {
            partial[i] = Float.NEGATIVE_INFINITY;
        }
        TokenWatermarkResidual.Detection half =
                TokenWatermarkResidual.test(k, p.history(), 20, p.tokens(), p.baseline(), partial);
        assertThat(half.cells()).isLessThan(found.cells());
        assertThat(half.log10PValue()).isLessThan(-3);
        // A suspect equal to the baseline: nothing to weigh.
        TokenWatermarkResidual.Detection same =
                TokenWatermarkResidual.test(k, p.history(), 20, p.tokens(), p.baseline(), p.baseline());
        assertThat(same.pValue()).isEqualTo(1.0);
        assertThat(same.z()).isZero();
        assertThatThrownBy(
                        () -> TokenWatermarkResidual.test(k, p.history(), 20, p.tokens(), p.baseline(), new float[3]))
                .hasMessageContaining("3 suspect log-probabilities");
        assertThatThrownBy(() -> TokenWatermarkResidual.test(
                        k, new int[] {0, 1}, 1, new int[] {1 << 22}, new float[] {-1}, new float[] {-1}))
                .hasMessageContaining("token ids must be in");
    }

    @Test
    void theAuditWeighsRealDecodersAgainstTheCleanBaseline() throws Exception {
        List<String> texts = TokenWatermarkTest.probeTexts();
        // A faint watermark (0.04 nats) on another model's outputs: the suspect differs from the
        // baseline everywhere, and learnt only a faint preference for the green tokens.
        TokenWatermark k = key(21, 0.04);
        DecoderConfig config = new DecoderConfig(258, 1, 32, 2, 64, 0.0, Positions.ROTARY, false);
        try (LanguageModel cleanModel = LanguageModel.create(config, ByteTokenizer.INSTANCE, 3);
                LanguageModel otherModel = LanguageModel.create(config, ByteTokenizer.INSTANCE, 4);
                LmTeacher clean = LocalLmTeacher.of(cleanModel, "clean");
                LmTeacher other = LocalLmTeacher.of(otherModel, "other")) {
            LmTeacher suspect = TokenWatermarkTest.served(other, k);
            TokenWatermarkAudit.Result withBaseline =
                    TokenWatermarkAudit.run(k, "suspect", suspect, clean, ByteTokenizer.INSTANCE, texts, 3000, 1e-6);
            TokenWatermarkAudit.Result argmaxOnly =
                    TokenWatermarkAudit.run(k, "suspect", suspect, ByteTokenizer.INSTANCE, texts, 3000, 1e-6);
            TokenWatermarkAudit.Result never =
                    TokenWatermarkAudit.run(k, "other", other, clean, ByteTokenizer.INSTANCE, texts, 3000, 1e-4);
            System.out.println(withBaseline.verdict() + " / " + argmaxOnly.verdict() + " / " + never.verdict());
            assertThat(withBaseline.residual().positions()).isEqualTo(3000);
            assertThat(withBaseline.watermarked()).isTrue();
            assertThat(withBaseline.verdict()).contains("against the clean baseline");
            assertThat(withBaseline.toMap()).containsKeys("residual", "argmax");
            assertThat(argmaxOnly.residual()).isNull();
            assertThat(withBaseline.log10PValue())
                    .as("far stronger than the argmax test")
                    .isLessThan(argmaxOnly.log10PValue() - 2);
            assertThat(withBaseline.test().pairs()).isEqualTo(argmaxOnly.test().pairs());
            assertThat(never.watermarked()).isFalse();
            assertThat(never.residual().cells()).isGreaterThan(1000);

            // The baseline must speak the suspect's tokens.
            LmTeacher otherVocabulary = new LmTeacher() {
                @Override
                public ai.djl.ndarray.NDArray logits(ai.djl.ndarray.NDArray ids) {
                    return clean.logits(ids);
                }

                @Override
                public org.distill4j.lm.token.TokenizerIdentity tokenizer() {
                    org.distill4j.lm.token.TokenizerIdentity t = clean.tokenizer();
                    return new org.distill4j.lm.token.TokenizerIdentity(
                            "bpe", t.version(), 512, t.bos(), t.eos(), "ab".repeat(32));
                }

                @Override
                public int contextLength() {
                    return clean.contextLength();
                }

                @Override
                public org.distill4j.teacher.TeacherIdentity identity() {
                    return clean.identity();
                }

                @Override
                public void close() {}
            };
            assertThatThrownBy(() -> TokenWatermarkAudit.run(
                            k, "s", suspect, otherVocabulary, ByteTokenizer.INSTANCE, texts, 3000, 0.01))
                    .isInstanceOf(AuditException.class)
                    .hasMessageContaining("is not the suspect's");
        }
    }
}
