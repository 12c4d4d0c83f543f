package org.distill4j.audit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.guard.TokenWatermark;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.token.Tokenizer;

/**
 * Tests a language model for a {@link TokenWatermark}: teacher-forces it over probe texts (each
 * encoded after BOS, cut into windows of its context), takes its most likely next token at each
 * position, and runs {@link TokenWatermark#test} on the (context, predicted token) pairs. The
 * p-value is exact under H0 (see there). Reports name the key by its fingerprint only.
 */
public final class TokenWatermarkAudit {

    /** File name of the JSON result. */
    public static final String JSON = "watermark.json";

    private TokenWatermarkAudit() {}

    /**
     * The result.
     *
     * @param suspect the suspect's name
     * @param keyFingerprint {@link TokenWatermark#fingerprint()}
     * @param test the test's numbers
     * @param positions positions the suspect predicted
     * @param alpha the significance level
     * @param watermarked the verdict, {@code pValue < alpha}
     */
    public record Result(
            String suspect,
            String keyFingerprint,
            TokenWatermark.Detection test,
            long positions,
            double alpha,
            boolean watermarked) {

        /** The verdict as a sentence. */
        public String verdict() {
            String p = test.pValue() > 0
                    ? String.format(Locale.ROOT, "%.3g", test.pValue())
                    : String.format(Locale.ROOT, "10^%.1f", test.log10PValue());
            return watermarked
                    ? String.format(
                            Locale.ROOT,
                            "WATERMARKED: the suspect prefers key %s's green tokens (p = %s < alpha = %s)",
                            keyFingerprint,
                            p,
                            alpha)
                    : String.format(
                            Locale.ROOT,
                            "NOT SHOWN: no preference for key %s's green tokens at alpha = %s (p = %s)",
                            keyFingerprint,
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
                    "green = distinct (context of the key's length, suspect's most likely next token) pairs on the probe texts whose "
                            + "next token is in the key's green list of the last token; p = P(Binomial(pairs, gamma) "
                            + ">= green): exact under H0 (the green lists are independent of a suspect that never "
                            + "learnt from outputs watermarked with this key)");
            m.put("verdict", watermarked ? "watermarked" : "not_shown");
            m.put("verdict_text", verdict());
            m.put("alpha", alpha);
            m.put("p_value", test.pValue());
            m.put("log10_p_value", test.log10PValue());
            m.put("pairs", test.pairs());
            m.put("green", test.green());
            m.put("z", test.z());
            m.put("positions", positions);
            return m;
        }

        /** Writes {@value #JSON} into {@code dir}, atomically. */
        public void write(Path dir) throws IOException {
            WatermarkAudit.writeJson(dir.resolve(JSON), toMap());
        }
    }

    /**
     * Runs the test.
     *
     * @param key the watermark key
     * @param name the suspect's name, for the report
     * @param suspect the suspect (its logits)
     * @param tokenizer the suspect's tokenizer
     * @param texts probe texts
     * @param positions positions to predict, at least 100; fewer if the texts run out
     * @param alpha significance level in (0, 1)
     * @throws AuditException if the texts give fewer than 100 positions
     */
    public static Result run(
            TokenWatermark key,
            String name,
            LmTeacher suspect,
            Tokenizer tokenizer,
            List<String> texts,
            int positions,
            double alpha) {
        if (positions < 100) {
            throw new AuditException("watermark audit: --queries must be at least 100 positions, got " + positions);
        }
        if (!(alpha > 0 && alpha < 1)) {
            throw new AuditException("watermark audit: alpha must be in (0, 1), got " + alpha);
        }
        int window = suspect.contextLength();
        int[] history = new int[2 * positions];
        int[] predicted = new int[positions];
        int n = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (String text : texts) {
                int[] enc = tokenizer.encode(text);
                int[] ids = new int[enc.length + 1];
                ids[0] = tokenizer.bos();
                System.arraycopy(enc, 0, ids, 1, enc.length);
                int[] contexts = TokenWatermark.contexts(ids);
                for (int from = 0; from < ids.length && n < positions; from += window) {
                    int[] w = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + window));
                    try (NDManager sub = manager.newSubManager()) {
                        NDArray logits = suspect.logits(sub.create(w, new Shape(1, w.length)));
                        int[] top = logits.argMax(-1)
                                .toType(ai.djl.ndarray.types.DataType.INT32, false)
                                .toIntArray();
                        for (int i = 0; i < w.length && n < positions; i++, n++) {
                            history[2 * n] = contexts[2 * (from + i)];
                            history[2 * n + 1] = contexts[2 * (from + i) + 1];
                            predicted[n] = top[i];
                        }
                    }
                }
                if (n >= positions) {
                    break;
                }
            }
        }
        if (n < 100) {
            throw new AuditException("watermark audit: the probe texts give " + n
                    + " positions, at least 100 are needed: give more or longer texts");
        }
        TokenWatermark.Detection t = key.test(Arrays.copyOf(history, 2 * n), Arrays.copyOf(predicted, n));
        return new Result(name, key.fingerprint(), t, n, alpha, t.log10PValue() < Math.log10(alpha));
    }
}
