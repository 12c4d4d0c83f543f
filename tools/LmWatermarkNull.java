import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.distill4j.audit.AuditedLm;
import org.distill4j.audit.TokenWatermarkAudit;
import org.distill4j.guard.TokenWatermark;
import org.distill4j.lm.teacher.LocalLmTeacher;

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
        boolean residual = a.length > 4;
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> texts = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                a[1].endsWith(".gz")
                        ? new GZIPInputStream(Files.newInputStream(Path.of(a[1])))
                        : Files.newInputStream(Path.of(a[1])),
                StandardCharsets.UTF_8))) {
            // Enough texts for the positions (each gives at least one), read as the audit reads them.
            for (String line; (line = r.readLine()) != null && texts.size() < want; ) {
                texts.add(json.readTree(line).get("text").asText());
            }
        }
        TokenWatermarkAudit.Probe probe;
        try (LocalLmTeacher lm = LocalLmTeacher.load(Path.of(a[0]));
                LocalLmTeacher bl = residual ? LocalLmTeacher.load(Path.of(a[4])) : null) {
            probe = TokenWatermarkAudit.probe(
                    AuditedLm.of(lm, a[0]),
                    residual ? AuditedLm.of(bl, a[4]) : null,
                    lm.model().tokenizer(),
                    texts,
                    want);
        }
        int b05 = 0, b01 = 0, b001 = 0, pairs = 0;
        int r05 = 0, r01 = 0, r001 = 0;
        double zSum = 0, zSq = 0, rzSum = 0, rzSq = 0, smallest = 0;
        Random rng = new Random(2026);
        for (int q = 0; q < keys; q++) {
            byte[] s = new byte[32];
            rng.nextBytes(s);
            TokenWatermarkAudit.Result result = probe.test(new TokenWatermark(s, 0.25, 1.0, 2), a[0], 0.01);
            TokenWatermark.Detection d = result.test();
            pairs = d.pairs();
            b05 += d.pValue() < 0.05 ? 1 : 0;
            b01 += d.pValue() < 0.01 ? 1 : 0;
            b001 += d.pValue() < 0.001 ? 1 : 0;
            zSum += d.z();
            zSq += d.z() * d.z();
            if (residual) {
                var e = result.residual();
                r05 += e.pValue() < 0.05 ? 1 : 0;
                r01 += e.pValue() < 0.01 ? 1 : 0;
                r001 += e.pValue() < 0.001 ? 1 : 0;
                rzSum += e.z();
                rzSq += e.z() * e.z();
                smallest = Math.min(smallest, e.log10PValue());
            }
        }
        int n = probe.positions();
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
