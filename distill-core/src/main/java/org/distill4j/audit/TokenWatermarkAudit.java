package org.distill4j.audit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.guard.TokenWatermark;
import org.distill4j.guard.TokenWatermarkResidual;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.token.Tokenizer;

/**
 * Tests a language model for a {@link TokenWatermark}: teacher-forces it over probe texts (each
 * encoded after BOS, cut into windows of its context) and takes its most likely next token at each
 * position for {@link TokenWatermark#test} (exact under H0). Given the clean model that served the
 * watermarked outputs as a baseline, it also takes both models' log-probabilities of the baseline's
 * {@value #TOP_K} most likely tokens for {@link TokenWatermarkResidual}, the far stronger test, and
 * the verdict is that test's. Reports name the key by its fingerprint only.
 */
public final class TokenWatermarkAudit {

    /** File name of the JSON result. */
    public static final String JSON = "watermark.json";

    /** Tokens per position the residual test weighs: the most an OpenAI-compatible API returns. */
    public static final int TOP_K = 20;

    private TokenWatermarkAudit() {}

    /**
     * The result.
     *
     * @param suspect the suspect's name
     * @param keyFingerprint {@link TokenWatermark#fingerprint()}
     * @param test the argmax test's numbers
     * @param residual the residual test's numbers, or null without a baseline
     * @param positions positions the suspect predicted
     * @param queries windows the suspect was asked to read (for an API: requests, retries not counted)
     * @param alpha the significance level
     * @param watermarked the verdict: the residual test's p-value (the argmax test's without a
     *     baseline) below alpha
     */
    public record Result(
            String suspect,
            String keyFingerprint,
            TokenWatermark.Detection test,
            TokenWatermarkResidual.Detection residual,
            long positions,
            long queries,
            double alpha,
            boolean watermarked) {

        /** The p-value the verdict rests on. */
        public double pValue() {
            return residual == null ? test.pValue() : residual.pValue();
        }

        /** Its base-10 logarithm, finite where {@link #pValue()} underflows. */
        public double log10PValue() {
            return residual == null ? test.log10PValue() : residual.log10PValue();
        }

        /** The verdict as a sentence. */
        public String verdict() {
            String p = pValue() > 0
                    ? String.format(Locale.ROOT, "%.3g", pValue())
                    : String.format(Locale.ROOT, "10^%.1f", log10PValue());
            String against = residual == null ? "" : " against the clean baseline";
            return watermarked
                    ? String.format(
                            Locale.ROOT,
                            "WATERMARKED: the suspect prefers key %s's green tokens%s (p = %s < alpha = %s)",
                            keyFingerprint,
                            against,
                            p,
                            alpha)
                    : String.format(
                            Locale.ROOT,
                            "NOT SHOWN: no preference for key %s's green tokens%s at alpha = %s (p = %s)",
                            keyFingerprint,
                            against,
                            alpha,
                            p);
        }

        /** JSON-ready values. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("suspect", suspect);
            m.put("key_fingerprint", keyFingerprint);
            m.put(
                    "test",
                    residual == null
                            ? ARGMAX_TEST
                            : "residual: at each position the suspect's log-probabilities of the clean baseline's "
                                    + TOP_K + " most likely tokens minus the baseline's, centred and weighted by the "
                                    + "baseline's probability, summed per distinct (context, token) cell; S = the "
                                    + "weights of the green cells; p = Chernoff's bound on P(S' >= S) for the exact "
                                    + "null (independent cells, each green with probability gamma): valid, "
                                    + "conservative");
            m.put("verdict", watermarked ? "watermarked" : "not_shown");
            m.put("verdict_text", verdict());
            m.put("alpha", alpha);
            m.put("p_value", pValue());
            m.put("log10_p_value", log10PValue());
            m.put("positions", positions);
            m.put("queries", queries);
            if (residual != null) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("cells", residual.cells());
                r.put("positions", residual.positions());
                r.put("score", residual.score());
                r.put("expected", residual.expected());
                r.put("z", residual.z());
                r.put("p_value", residual.pValue());
                r.put("log10_p_value", residual.log10PValue());
                m.put("residual", r);
            }
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("test", ARGMAX_TEST);
            a.put("pairs", test.pairs());
            a.put("green", test.green());
            a.put("z", test.z());
            a.put("p_value", test.pValue());
            a.put("log10_p_value", test.log10PValue());
            m.put("argmax", a);
            return m;
        }

        /** Writes {@value #JSON} into {@code dir}, atomically. */
        public void write(Path dir) throws IOException {
            WatermarkAudit.writeJson(dir.resolve(JSON), toMap());
        }
    }

    private static final String ARGMAX_TEST =
            "argmax: green = distinct (context of the key's length, suspect's most likely next token) pairs on the "
                    + "probe texts whose next token is in the key's green list of that context; p = "
                    + "P(Binomial(pairs, gamma) >= green): exact under H0 (the green lists are independent of a "
                    + "suspect that never learnt from outputs watermarked with this key)";

    /** As {@link #run(TokenWatermark, AuditedLm, AuditedLm, Tokenizer, List, int, double)}, in process, without a baseline. */
    public static Result run(
            TokenWatermark key,
            String name,
            LmTeacher suspect,
            Tokenizer tokenizer,
            List<String> texts,
            int positions,
            double alpha) {
        return run(key, name, suspect, null, tokenizer, texts, positions, alpha);
    }

    /** As {@link #run(TokenWatermark, AuditedLm, AuditedLm, Tokenizer, List, int, double)}, in process. */
    public static Result run(
            TokenWatermark key,
            String name,
            LmTeacher suspect,
            LmTeacher baseline,
            Tokenizer tokenizer,
            List<String> texts,
            int positions,
            double alpha) {
        return run(
                key,
                AuditedLm.of(suspect, name),
                baseline == null ? null : AuditedLm.of(baseline, "baseline"),
                tokenizer,
                texts,
                positions,
                alpha);
    }

    /**
     * Runs the test.
     *
     * @param key the watermark key
     * @param suspect the suspect, in process or behind an API
     * @param baseline the clean model that served the watermarked outputs, or null; it must share the
     *     suspect's tokenizer
     * @param tokenizer the suspect's tokenizer
     * @param texts probe texts
     * @param positions positions to predict, at least 100; fewer if the texts run out
     * @param alpha significance level in (0, 1)
     * @throws AuditException if the texts give fewer than 100 positions, the baseline's tokenizer
     *     differs, or an API suspect fails for good
     */
    public static Result run(
            TokenWatermark key,
            AuditedLm suspect,
            AuditedLm baseline,
            Tokenizer tokenizer,
            List<String> texts,
            int positions,
            double alpha) {
        if (!(alpha > 0 && alpha < 1)) {
            throw new AuditException("watermark audit: alpha must be in (0, 1), got " + alpha);
        }
        Probe probe = probe(suspect, baseline, tokenizer, texts, positions);
        return probe.test(key, suspect.name(), alpha);
    }

    /**
     * What the suspect (and the baseline) said on the probe texts, read once, key-independent: each
     * key's test is then arithmetic ({@link #test}), so one reading serves many keys (the calibration
     * in {@code tools/LmWatermarkNull.java} tests 1,000).
     *
     * @param history the two tokens each position follows ({@link TokenWatermark#contexts} layout)
     * @param argmaxHistory the same for the positions whose argmax the suspect gave
     * @param predicted the suspect's most likely next token there
     * @param k tokens per position of the residual arrays
     * @param tokens the baseline's k most likely tokens per position, or null without a baseline
     * @param baseLogProbs their log-probabilities under the baseline (NaN where unknown), or null
     * @param suspectLogProbs under the suspect, or null
     * @param queries windows the suspect read
     */
    public record Probe(
            int[] history,
            int[] argmaxHistory,
            int[] predicted,
            int k,
            int[] tokens,
            float[] baseLogProbs,
            float[] suspectLogProbs,
            long queries) {

        /** Positions read. */
        public int positions() {
            return history.length / 2;
        }

        /** Tests these readings for {@code key}. */
        public Result test(TokenWatermark key, String suspect, double alpha) {
            TokenWatermark.Detection t = key.test(argmaxHistory, predicted);
            TokenWatermarkResidual.Detection r = tokens == null
                    ? null
                    : TokenWatermarkResidual.test(key, history, k, tokens, baseLogProbs, suspectLogProbs);
            double log10 = r == null ? t.log10PValue() : r.log10PValue();
            return new Result(suspect, key.fingerprint(), t, r, positions(), queries, alpha, log10 < Math.log10(alpha));
        }
    }

    /**
     * Reads the suspect (and the baseline) on the probe texts, each encoded after BOS and cut into
     * windows of the shorter context.
     *
     * @throws AuditException as {@link #run(TokenWatermark, AuditedLm, AuditedLm, Tokenizer, List, int,
     *     double)}
     */
    public static Probe probe(
            AuditedLm suspect, AuditedLm baseline, Tokenizer tokenizer, List<String> texts, int positions) {
        if (positions < 100) {
            throw new AuditException("watermark audit: --queries must be at least 100 positions, got " + positions);
        }
        if (baseline != null && !baseline.tokenizer().equals(suspect.tokenizer())) {
            throw new AuditException("watermark audit: the baseline's tokenizer (" + baseline.tokenizer()
                    + ") is not the suspect's (" + suspect.tokenizer()
                    + "); the residual test compares their log-probabilities token by token");
        }
        int window = baseline == null
                ? suspect.contextLength()
                : Math.min(suspect.contextLength(), baseline.contextLength());
        int k = TOP_K;
        int[] history = new int[2 * positions];
        int[] argmaxHistory = new int[2 * positions];
        int[] predicted = new int[positions];
        int[] tokens = baseline == null ? null : new int[k * positions];
        float[] baseLogProbs = baseline == null ? null : new float[k * positions];
        float[] suspectLogProbs = baseline == null ? null : new float[k * positions];
        int n = 0;
        int argmaxes = 0;
        for (String text : texts) {
            int[] enc = tokenizer.encode(text);
            int[] ids = new int[enc.length + 1];
            ids[0] = tokenizer.bos();
            System.arraycopy(enc, 0, ids, 1, enc.length);
            int[] contexts = TokenWatermark.contexts(ids);
            for (int from = 0; from < ids.length && n < positions; from += window) {
                int[] w = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + window));
                AuditedLm.Reading s = suspect.read(w);
                AuditedLm.Reading b = baseline == null ? null : baseline.read(w);
                int rows = b == null ? s.rows() : Math.min(s.rows(), b.rows());
                for (int i = 0; i < rows && n < positions; i++, n++) {
                    int before = contexts[2 * (from + i)];
                    int previous = contexts[2 * (from + i) + 1];
                    history[2 * n] = before;
                    history[2 * n + 1] = previous;
                    int top = s.argmax(i);
                    if (top >= 0) {
                        argmaxHistory[2 * argmaxes] = before;
                        argmaxHistory[2 * argmaxes + 1] = previous;
                        predicted[argmaxes++] = top;
                    }
                    if (b != null) {
                        int[] best = b.top(i, k);
                        for (int j = 0; j < k; j++) {
                            // A row with fewer known tokens leaves the rest out (NaN), as the test reads it.
                            tokens[n * k + j] = j < best.length ? best[j] : 0;
                            baseLogProbs[n * k + j] = j < best.length ? b.logProb(i, best[j]) : Float.NaN;
                            suspectLogProbs[n * k + j] = j < best.length ? s.logProb(i, best[j]) : Float.NaN;
                        }
                    }
                }
            }
            if (n >= positions) {
                break;
            }
        }
        if (n < 100) {
            throw new AuditException("watermark audit: the probe texts give " + n
                    + " positions, at least 100 are needed: give more or longer texts");
        }
        return new Probe(
                Arrays.copyOf(history, 2 * n),
                Arrays.copyOf(argmaxHistory, 2 * argmaxes),
                Arrays.copyOf(predicted, argmaxes),
                k,
                baseline == null ? null : Arrays.copyOf(tokens, k * n),
                baseline == null ? null : Arrays.copyOf(baseLogProbs, k * n),
                baseline == null ? null : Arrays.copyOf(suspectLogProbs, k * n),
                suspect.windowsRead());
    }
}
