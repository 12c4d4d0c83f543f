import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.distill4j.guard.TokenWatermark;
import org.distill4j.lm.model.LanguageModel;

/**
 * The cost of a language-model watermark key to honest users (docs/audit.md, "Language models"):
 * the teacher's next-token distributions on the first POSITIONS byte positions of a JSON Lines
 * file's texts (each after BOS, in windows of the model's context), clean and watermarked: the share
 * whose top token is unchanged, the mean and largest KL(clean || served), and bits per byte of the
 * texts under each.
 * Usage: java -cp distill.jar tools/LmWatermarkCost.java KEY_FILE LM_DIR TEXTS.jsonl[.gz] [POSITIONS]
 */
public class LmWatermarkCost {
    public static void main(String[] a) throws Exception {
        TokenWatermark key = TokenWatermark.load(Path.of(a[0]));
        int want = a.length > 3 ? Integer.parseInt(a[3]) : 50_000;
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        try (LanguageModel lm = LanguageModel.load(Path.of(a[1]));
                NDManager m = NDManager.newBaseManager();
                BufferedReader r = new BufferedReader(new InputStreamReader(
                        a[2].endsWith(".gz")
                                ? new GZIPInputStream(Files.newInputStream(Path.of(a[2])))
                                : Files.newInputStream(Path.of(a[2])),
                        StandardCharsets.UTF_8))) {
            int v = lm.config().vocabSize();
            int ctx = lm.config().contextLength();
            long n = 0;
            double same = 0, kl = 0, maxKl = 0, nllClean = 0, nllServed = 0;
            for (String line; (line = r.readLine()) != null && n < want; ) {
                int[] enc = lm.tokenizer().encode(json.readTree(line).get("text").asText());
                int[] ids = new int[enc.length + 1];
                ids[0] = lm.tokenizer().bos();
                System.arraycopy(enc, 0, ids, 1, enc.length);
                int[] contexts = TokenWatermark.contexts(ids);
                for (int from = 0; from + 1 < ids.length && n < want; from += ctx) {
                    int[] w = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + ctx + 1));
                    int t = w.length - 1; // positions with a next token to score
                    try (NDManager sub = m.newSubManager()) {
                        NDArray z = lm.logits(sub.create(Arrays.copyOf(w, t), new Shape(1, t)));
                        float[] clean = z.toFloatArray();
                        int[] prev = Arrays.copyOfRange(contexts, 2 * from, 2 * (from + t));
                        TokenWatermark.Utility u = key.utility(prev, clean, v);
                        same += u.top1Unchanged() * t;
                        kl += u.meanKl() * t;
                        maxKl = Math.max(maxKl, u.maxKl());
                        float[] served = key.apply(prev, clean.clone(), v);
                        for (int i = 0; i < t; i++) {
                            nllClean -= logSoftmaxAt(clean, i * v, v, w[i + 1]);
                            nllServed -= logSoftmaxAt(served, i * v, v, w[i + 1]);
                        }
                        n += t;
                    }
                }
            }
            System.out.printf(
                    "key %s (gamma %s, delta %s, context %d%s) on %s, %d positions: top-1 unchanged %.2f%%, mean KL %.4f nats, max"
                            + " %.4f; bits/byte clean %.4f, watermarked %.4f%n",
                    key.fingerprint(), key.gamma(), key.delta(), key.context(), key.keepsTop() ? ", keeps the top token" : "", a[1], n, 100 * same / n, kl / n, maxKl,
                    nllClean / n / Math.log(2), nllServed / n / Math.log(2));
        }
    }

    static double logSoftmaxAt(float[] z, int from, int v, int t) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) max = Math.max(max, z[from + i]);
        double s = 0;
        for (int i = 0; i < v; i++) s += Math.exp(z[from + i] - max);
        return z[from + t] - max - Math.log(s);
    }
}
