import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.distill4j.guard.TokenWatermark;
import org.distill4j.guard.TokenWatermarkResidual;
import org.distill4j.lm.model.LanguageModel;

/**
 * Calibration of the language-model watermark tests (docs/audit.md): a model's teacher-forced
 * predictions on POSITIONS positions of a JSON Lines file's texts, as TokenWatermarkAudit takes
 * them, tested against KEYS random keys it never saw (context 2, gamma 0.25): under H0 at most
 * alpha of the p-values fall below alpha, and z averages 0. With BASELINE_DIR (the clean model a
 * provider served) the residual test too, on the baseline's 20 most likely tokens at each position.
 * Usage: java -cp distill.jar tools/LmWatermarkNull.java LM_DIR TEXTS.jsonl[.gz] [POSITIONS] [KEYS] [BASELINE_DIR]
 */
public class LmWatermarkNull {
    public static void main(String[] a) throws Exception {
        int want = a.length > 2 ? Integer.parseInt(a[2]) : 10_000;
        int keys = a.length > 3 ? Integer.parseInt(a[3]) : 1000;
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        int k = 20;
        int[] history = new int[2 * want];
        int[] predicted = new int[want];
        int[] tokens = new int[k * want];
        float[] base = new float[k * want];
        float[] suspect = new float[k * want];
        boolean residual = a.length > 4;
        int n = 0;
        try (LanguageModel lm = LanguageModel.load(Path.of(a[0]));
                LanguageModel bl = residual ? LanguageModel.load(Path.of(a[4])) : null;
                NDManager m = NDManager.newBaseManager();
                BufferedReader r = new BufferedReader(new InputStreamReader(
                        a[1].endsWith(".gz")
                                ? new GZIPInputStream(Files.newInputStream(Path.of(a[1])))
                                : Files.newInputStream(Path.of(a[1])),
                        StandardCharsets.UTF_8))) {
            int ctx = lm.config().contextLength();
            if (residual) {
                ctx = Math.min(ctx, bl.config().contextLength());
            }
            for (String line; (line = r.readLine()) != null && n < want; ) {
                int[] enc = lm.tokenizer().encode(json.readTree(line).get("text").asText());
                int[] ids = new int[enc.length + 1];
                ids[0] = lm.tokenizer().bos();
                System.arraycopy(enc, 0, ids, 1, enc.length);
                int[] contexts = TokenWatermark.contexts(ids);
                for (int from = 0; from < ids.length && n < want; from += ctx) {
                    int[] w = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + ctx));
                    try (NDManager sub = m.newSubManager()) {
                        NDArray in = sub.create(w, new Shape(1, w.length));
                        NDArray z = lm.logits(in);
                        int[] top = z.argMax(-1).toType(DataType.INT32, false).toIntArray();
                        int[] ids20 = null;
                        float[] b20 = null;
                        float[] s20 = null;
                        if (residual) {
                            ai.djl.ndarray.NDList best = bl.logits(in).logSoftmax(2).topK(k, 2, true, true);
                            NDArray order = best.get(1).toType(DataType.INT64, false);
                            ids20 = order.toType(DataType.INT32, false).toIntArray();
                            b20 = best.get(0).toFloatArray();
                            s20 = z.logSoftmax(2).gather(order, 2).toFloatArray();
                        }
                        for (int i = 0; i < w.length && n < want; i++, n++) {
                            history[2 * n] = contexts[2 * (from + i)];
                            history[2 * n + 1] = contexts[2 * (from + i) + 1];
                            predicted[n] = top[i];
                            if (residual) {
                                System.arraycopy(ids20, i * k, tokens, n * k, k);
                                System.arraycopy(b20, i * k, base, n * k, k);
                                System.arraycopy(s20, i * k, suspect, n * k, k);
                            }
                        }
                    }
                }
            }
        }
        int[] h = Arrays.copyOf(history, 2 * n);
        int[] p = Arrays.copyOf(predicted, n);
        int b05 = 0, b01 = 0, b001 = 0, pairs = 0;
        int r05 = 0, r01 = 0, r001 = 0;
        double zSum = 0, zSq = 0, rzSum = 0, rzSq = 0, smallest = 0;
        int[] tk = Arrays.copyOf(tokens, k * n);
        float[] bs = Arrays.copyOf(base, k * n);
        float[] ss = Arrays.copyOf(suspect, k * n);
        Random rng = new Random(2026);
        for (int q = 0; q < keys; q++) {
            byte[] s = new byte[32];
            rng.nextBytes(s);
            TokenWatermark key = new TokenWatermark(s, 0.25, 1.0, 2);
            TokenWatermark.Detection d = key.test(h, p);
            pairs = d.pairs();
            b05 += d.pValue() < 0.05 ? 1 : 0;
            b01 += d.pValue() < 0.01 ? 1 : 0;
            b001 += d.pValue() < 0.001 ? 1 : 0;
            zSum += d.z();
            zSq += d.z() * d.z();
            if (residual) {
                TokenWatermarkResidual.Detection e = TokenWatermarkResidual.test(key, h, k, tk, bs, ss);
                r05 += e.pValue() < 0.05 ? 1 : 0;
                r01 += e.pValue() < 0.01 ? 1 : 0;
                r001 += e.pValue() < 0.001 ? 1 : 0;
                rzSum += e.z();
                rzSq += e.z() * e.z();
                smallest = Math.min(smallest, e.log10PValue());
            }
        }
        System.out.printf("%s: %d positions, %d distinct pairs, %d keys: below 0.05 %d, below 0.01 %d, below 0.001 %d;"
                + " z mean %.3f, sd %.3f%n", a[0], n, pairs, keys, b05, b01, b001, zSum / keys,
                Math.sqrt(zSq / keys - (zSum / keys) * (zSum / keys)));
        if (residual) {
            System.out.printf("  residual against %s: below 0.05 %d, below 0.01 %d, below 0.001 %d; z mean %.3f, sd %.3f;"
                    + " smallest p %.3g%n", a[4], r05, r01, r001, rzSum / keys,
                    Math.sqrt(rzSq / keys - (rzSum / keys) * (rzSum / keys)), Math.pow(10, smallest));
        }
    }
}
