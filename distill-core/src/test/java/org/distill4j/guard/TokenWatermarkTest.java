package org.distill4j.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.distill4j.audit.TokenWatermarkAudit;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.teacher.TeacherIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TokenWatermark}: green lists, the served logits, the exact test and its validity, the key file. */
class TokenWatermarkTest {

    static final byte[] SECRET =
            HexFormat.of().parseHex("00112233445566778899aabbccddeeff102132435465768798a9bacbdcedfe0f");

    static TokenWatermark key(long seed) {
        byte[] s = new byte[32];
        new Random(seed).nextBytes(s);
        return new TokenWatermark(s, 0.25, 1.0);
    }

    @Test
    void greenListsTakeGammaOfTheVocabularyAndDependOnTheKeyAndTheContext() {
        TokenWatermark k = new TokenWatermark(SECRET, 0.25, 1.0);
        TokenWatermark one = new TokenWatermark(SECRET, 0.25, 1.0, 1);
        int v = 258;
        int green = 0;
        int sameAsOtherKey = 0;
        int sameAsOtherBefore = 0;
        int sameAsOtherPrevious = 0;
        TokenWatermark other = key(7);
        for (int prev = 0; prev < v; prev++) {
            for (int t = 0; t < v; t++) {
                boolean g = k.green(3, prev, t);
                green += g ? 1 : 0;
                sameAsOtherKey += g && other.green(3, prev, t) ? 1 : 0;
                sameAsOtherBefore += g && k.green(4, prev, t) ? 1 : 0;
                sameAsOtherPrevious += g && k.green(3, (prev + 1) % v, t) ? 1 : 0;
                assertThat(k.green(3, prev, t)).isEqualTo(g); // deterministic
                // A key of context 1 ignores the token before.
                assertThat(one.green(3, prev, t)).isEqualTo(one.green(-1, prev, t));
            }
        }
        double n = (double) v * v;
        // Binomial(66,564, 0.25): sd 112; 5 sd either way.
        assertThat(green).isBetween((int) (0.25 * n - 560), (int) (0.25 * n + 560));
        // Independent lists overlap on gamma^2 of the pairs.
        for (int same : new int[] {sameAsOtherKey, sameAsOtherBefore, sameAsOtherPrevious}) {
            assertThat(same).isBetween((int) (0.0625 * n - 400), (int) (0.0625 * n + 400));
        }
        assertThat(TokenWatermark.contexts(new int[] {256, 7, 9})).containsExactly(-1, 256, 256, 7, 7, 9);
    }

    @Test
    void servedLogitsRaiseExactlyTheGreenTokensAndCostAtMostDelta() {
        TokenWatermark k = new TokenWatermark(SECRET, 0.25, 1.0);
        int v = 50;
        Random rng = new Random(3);
        int rows = 400;
        int[] prev = new int[2 * rows];
        float[] clean = new float[rows * v];
        for (int r = 0; r < rows; r++) {
            prev[2 * r] = rng.nextInt(v);
            prev[2 * r + 1] = rng.nextInt(v);
            for (int t = 0; t < v; t++) {
                clean[r * v + t] = (float) (3 * rng.nextGaussian());
            }
        }
        float[] served = k.apply(prev, clean.clone(), v);
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < v; t++) {
                float d = served[r * v + t] - clean[r * v + t];
                assertThat(d).isCloseTo(k.green(prev[2 * r], prev[2 * r + 1], t) ? 1f : 0f, within(1e-5f));
            }
        }
        TokenWatermark.Utility u = k.utility(prev, clean, v);
        assertThat(u.positions()).isEqualTo(rows);
        assertThat(u.maxKl()).isLessThanOrEqualTo(1.0).isGreaterThan(0);
        assertThat(u.meanKl()).isGreaterThan(0.01).isLessThan(u.maxKl());
        // Sharp rows keep their top token unless a green one is within delta: most do here.
        assertThat(u.top1Unchanged()).isBetween(0.5, 1.0);
        assertThatThrownBy(() -> k.apply(prev, new float[7], v)).hasMessageContaining("7 logits for 400 positions");
        assertThatThrownBy(() -> new TokenWatermark(SECRET, 0.25, 1.0, 3)).hasMessageContaining("context value: 3");

        // A key that keeps the top: the clean top token stays first on every row; a green token is
        // raised by delta or held just below the top, a red one never moves; it costs less.
        TokenWatermark keep = new TokenWatermark(SECRET, 0.25, 1.0, 2, true);
        assertThat(keep.keepsTop()).isTrue();
        float[] kept = keep.apply(prev, clean.clone(), v);
        int held = 0;
        for (int r = 0; r < rows; r++) {
            int top = 0;
            int servedTop = 0;
            for (int t = 1; t < v; t++) {
                top = clean[r * v + t] > clean[r * v + top] ? t : top;
                servedTop = kept[r * v + t] > kept[r * v + servedTop] ? t : servedTop;
            }
            assertThat(servedTop).as("row %d", r).isEqualTo(top);
            for (int t = 0; t < v; t++) {
                float d = kept[r * v + t] - clean[r * v + t];
                if (!keep.green(prev[2 * r], prev[2 * r + 1], t)) {
                    assertThat(d).isZero();
                } else if (Math.abs(d - 1f) > 1e-5f) {
                    assertThat(kept[r * v + t]).isLessThan(kept[r * v + top]).isGreaterThanOrEqualTo(clean[r * v + t]);
                    held++;
                }
            }
        }
        assertThat(held).as("green tokens held below the top").isPositive();
        TokenWatermark.Utility keptCost = keep.utility(prev, clean, v);
        assertThat(keptCost.top1Unchanged()).isEqualTo(1.0);
        assertThat(keptCost.meanKl()).isPositive().isLessThanOrEqualTo(u.meanKl());
    }

    @Test
    void theBinomialTailIsExact() {
        // Against an exact rational sum.
        int n = 60;
        double p = 0.25;
        for (int kk : new int[] {0, 1, 15, 25, 40, 60}) {
            BigDecimal sum = BigDecimal.ZERO;
            BigDecimal bp = BigDecimal.valueOf(p);
            BigDecimal bq = BigDecimal.ONE.subtract(bp);
            for (int i = kk; i <= n; i++) {
                sum = sum.add(
                        new BigDecimal(binomial(n, i)).multiply(bp.pow(i)).multiply(bq.pow(n - i)),
                        MathContext.DECIMAL128);
            }
            double expected = Math.log10(sum.doubleValue());
            assertThat(org.distill4j.eval.BinomialTail.log10UpperTail(n, kk, p))
                    .as("k = %d", kk)
                    .isCloseTo(expected, within(1e-9));
        }
        // Far in the tail it stays finite where the p-value underflows a double.
        assertThat(org.distill4j.eval.BinomialTail.log10UpperTail(100_000, 60_000, 0.25))
                .isLessThan(-400)
                .isFinite();
    }

    static java.math.BigInteger binomial(int n, int k) {
        java.math.BigInteger b = java.math.BigInteger.ONE;
        for (int i = 1; i <= k; i++) {
            b = b.multiply(java.math.BigInteger.valueOf(n - k + i)).divide(java.math.BigInteger.valueOf(i));
        }
        return b;
    }

    @Test
    void pValuesOfPredictionsThatNeverSawTheKeyAreValidAndRepeatsCountOnce() {
        // A "model" that predicts by a rule of its own, with many repeated pairs.
        Random rng = new Random(11);
        int positions = 5000;
        int[] history = new int[2 * positions];
        int[] pred = new int[positions];
        for (int i = 0; i < positions; i++) {
            history[2 * i] = rng.nextInt(5);
            history[2 * i + 1] = rng.nextInt(40);
            pred[i] = (history[2 * i + 1] * 7 + rng.nextInt(3)) % 258;
        }
        int below05 = 0;
        int below01 = 0;
        int keys = 400;
        for (int s = 0; s < keys; s++) {
            TokenWatermark.Detection d = key(1000 + s).test(history, pred);
            assertThat(d.pairs()).isLessThanOrEqualTo(5 * 40 * 3);
            below05 += d.pValue() < 0.05 ? 1 : 0;
            below01 += d.pValue() < 0.01 ? 1 : 0;
        }
        // A discrete test is conservative: at most alpha of the p-values below alpha (+ 3 sd).
        assertThat(below05).isLessThanOrEqualTo((int) (0.05 * keys + 3 * Math.sqrt(0.05 * 0.95 * keys)));
        assertThat(below01).isLessThanOrEqualTo((int) (0.01 * keys + 3 * Math.sqrt(0.01 * 0.99 * keys)));
        assertThat(below05).as("not degenerate").isGreaterThan(0);
        // A key of context 1 counts the pairs without the token before.
        assertThat(new TokenWatermark(SECRET, 0.25, 1.0, 1).test(history, pred).pairs())
                .isLessThanOrEqualTo(40 * 3);

        // The same positions, predicted by a model that prefers this key's green tokens.
        TokenWatermark k = key(5);
        for (int i = 0; i < positions; i++) {
            if (rng.nextDouble() < 0.5) {
                int t = rng.nextInt(258);
                while (!k.green(history[2 * i], history[2 * i + 1], t)) {
                    t = rng.nextInt(258);
                }
                pred[i] = t;
            }
        }
        TokenWatermark.Detection found = k.test(history, pred);
        assertThat(found.pValue()).isLessThan(1e-12);
        assertThat(key(6).test(history, pred).pValue()).isGreaterThan(1e-4);
    }

    @Test
    void theKeyFileRoundTripsIsOwnerOnlyAndErrorsNeverQuoteIt(@TempDir Path tmp) throws Exception {
        TokenWatermark k = new TokenWatermark(SECRET, 0.3, 2.0, 1);
        Path f = tmp.resolve("lm.key");
        k.save(f);
        assertThat(Files.getPosixFilePermissions(f)).hasSize(2);
        assertThat(TokenWatermark.isTokenKey(f)).isTrue();
        TokenWatermark back = TokenWatermark.load(f);
        assertThat(back.fingerprint()).isEqualTo(k.fingerprint());
        assertThat(back.gamma()).isEqualTo(0.3);
        assertThat(back.delta()).isEqualTo(2.0);
        assertThat(back.context()).isEqualTo(1);
        assertThat(back.keepsTop()).isFalse();
        assertThat(back.green(4, 5, 9)).isEqualTo(k.green(4, 5, 9));
        Path kept = tmp.resolve("kept.key");
        new TokenWatermark(SECRET, 0.25, 0.3, 2, true).save(kept);
        assertThat(TokenWatermark.load(kept).keepsTop()).isTrue();
        Files.writeString(kept, Files.readString(kept).replace("\"keep_top\" : true", "\"keep_top\" : \"yes\""));
        assertThatThrownBy(() -> TokenWatermark.load(kept))
                .hasMessageContaining("field keep_top must be true or false");
        assertThat(back.toString()).doesNotContain(HexFormat.of().formatHex(SECRET));
        String hex = HexFormat.of().formatHex(SECRET);
        Files.writeString(f, Files.readString(f).replace("\"gamma\" : 0.3", "\"gamma\" : 1.5"));
        assertThatThrownBy(() -> TokenWatermark.load(f))
                .hasMessageContaining(f.toString())
                .hasMessageContaining("gamma")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(hex));
        Files.writeString(f, "{\"format\": \"" + TokenWatermark.FORMAT + "\", \"secret\": \"" + hex + "zz\"}");
        assertThatThrownBy(() -> TokenWatermark.load(f))
                .hasMessageContaining("field secret")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(hex));
        assertThat(TokenWatermark.isTokenKey(tmp.resolve("none"))).isFalse();
    }

    /** The served logits of a real (untrained) decoder, as a client sees them. */
    static LmTeacher served(LmTeacher model, TokenWatermark k) {
        return new LmTeacher() {
            @Override
            public NDArray logits(NDArray ids) {
                NDArray z = model.logits(ids);
                // Contexts within the window: the audit's first position of a continued window also
                // sees the token before it, so the served signal there is only approximate.
                int[] prev = TokenWatermark.contexts(
                        ids.toType(ai.djl.ndarray.types.DataType.INT32, false).toIntArray());
                int v = (int) z.getShape().get(2);
                float[] raised = k.apply(prev, z.toFloatArray(), v);
                return ids.getManager().create(raised, z.getShape());
            }

            @Override
            public org.distill4j.lm.token.TokenizerIdentity tokenizer() {
                return model.tokenizer();
            }

            @Override
            public int contextLength() {
                return model.contextLength();
            }

            @Override
            public TeacherIdentity identity() {
                return model.identity();
            }

            @Override
            public void close() {}
        };
    }

    /** 40 texts of 30 words from a package-description vocabulary, the same every run. */
    static List<String> probeTexts() {
        List<String> texts = new ArrayList<>();
        Random rng = new Random(2);
        String[] words = {"library", "for", "the", "python", "module", "data", "tools", "GNU", "package", "files"};
        for (int i = 0; i < 40; i++) {
            StringBuilder b = new StringBuilder();
            for (int w = 0; w < 30; w++) {
                b.append(words[rng.nextInt(words.length)]).append(' ');
            }
            texts.add(b.toString());
        }
        return texts;
    }

    @Test
    void theAuditFindsTheKeyInServedOutputsAndNotInTheCleanModel() throws Exception {
        List<String> texts = probeTexts();
        TokenWatermark k = key(21);
        try (LanguageModel lm = LanguageModel.create(
                        new DecoderConfig(258, 1, 32, 2, 64, 0.0, Positions.ROTARY, false), ByteTokenizer.INSTANCE, 3);
                LmTeacher clean = LocalLmTeacher.of(lm, "tiny")) {
            TokenWatermarkAudit.Result onServed =
                    TokenWatermarkAudit.run(k, "served", served(clean, k), ByteTokenizer.INSTANCE, texts, 4000, 0.01);
            TokenWatermarkAudit.Result onClean =
                    TokenWatermarkAudit.run(k, "clean", clean, ByteTokenizer.INSTANCE, texts, 4000, 1e-4);
            System.out.println(onServed.verdict() + " / " + onClean.verdict());
            assertThat(onServed.positions()).isEqualTo(4000);
            assertThat(onServed.watermarked()).isTrue();
            assertThat(onServed.test().log10PValue()).isLessThan(-6);
            assertThat(onClean.watermarked()).isFalse();
            assertThat(onClean.test().pairs()).isGreaterThan(30);
            assertThatThrownBy(() -> TokenWatermarkAudit.run(
                            k, "clean", clean, ByteTokenizer.INSTANCE, List.of("ab"), 4000, 0.01))
                    .hasMessageContaining("give 3 positions");
        }
    }
}
