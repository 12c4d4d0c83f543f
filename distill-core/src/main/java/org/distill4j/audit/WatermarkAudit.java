package org.distill4j.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.data.TextExampleSet;
import org.distill4j.guard.WatermarkDetector;
import org.distill4j.guard.WatermarkKey;
import org.distill4j.io.AtomicFiles;

/**
 * Tests a suspect for the watermark of a key: queries it on random rows of the data and runs {@link
 * WatermarkDetector#test}, with the clean teacher's outputs as a baseline when the teacher is given.
 * The p-value is exact under H0 at any depth (the key's phases are uniform and independent of a
 * suspect that never saw its outputs). Reports name the key by its fingerprint only.
 */
public final class WatermarkAudit {

    /** File name of the JSON result. */
    public static final String JSON = "watermark.json";

    private WatermarkAudit() {}

    /** Writes a result's values as indented JSON to {@code file} (its directory created), atomically. */
    static void writeJson(Path file, Map<String, Object> values) throws IOException {
        Files.createDirectories(file.getParent());
        AtomicFiles.write(
                file,
                new ObjectMapper()
                        .enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(values)
                        .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The result.
     *
     * @param suspect the suspect's name
     * @param keyFingerprint {@link WatermarkKey#fingerprint()}
     * @param baseline whether the clean teacher's outputs were subtracted
     * @param test the detector's numbers
     * @param queries rows the suspect was asked about
     * @param alpha the significance level
     * @param watermarked the verdict, {@code pValue < alpha}
     */
    public record Result(
            String suspect,
            String keyFingerprint,
            boolean baseline,
            WatermarkDetector.Detection test,
            long queries,
            double alpha,
            boolean watermarked) {

        /** Returns the verdict as a sentence. */
        public String verdict() {
            return watermarked
                    ? String.format(
                            Locale.ROOT,
                            "WATERMARKED: the suspect's outputs carry key %s's signal (p = %.3g < alpha = %s)",
                            keyFingerprint,
                            test.pValue(),
                            alpha)
                    : String.format(
                            Locale.ROOT,
                            "NOT SHOWN: no signal of key %s at alpha = %s (p = %.3g)",
                            keyFingerprint,
                            alpha,
                            test.pValue());
        }

        /** Returns JSON-ready values. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("suspect", suspect);
            m.put("key_fingerprint", keyFingerprint);
            boolean compact = test.regressors() == WatermarkDetector.Regressors.COMPACT;
            m.put(
                    "test",
                    "S = sum over the key's components of " + (compact ? "rows" : "sqrt(rows)")
                            + " * correlation of the suspect's target-class log-probability (residualised on "
                            + (compact
                                    ? "a constant, the clean teacher's log-probabilities of the target and the top "
                                            + "class, and the suspect's of the top class against the mean of its "
                                            + "non-target ones"
                                    : "a constant, the clean teacher's log-probabilities when given, and the "
                                            + "suspect's other log-probabilities centred")
                            + ") with the component's cosine at the key's phase; p = P(sum_j R_j cos U_j >= S) "
                            + "for independent uniform phases U_j, R_j the components' amplitudes: exact under H0 "
                            + "(the key's phases are uniform and independent of a suspect that never learnt from "
                            + "its outputs)");
            m.put("regressors", test.regressors().name().toLowerCase(Locale.ROOT));
            m.put("baseline_teacher", baseline);
            m.put("verdict", watermarked ? "watermarked" : "not_shown");
            m.put("verdict_text", verdict());
            m.put("alpha", alpha);
            m.put("p_value", test.pValue());
            m.put("statistic", test.statistic());
            m.put("null_sd", test.nullSd());
            m.put("standardised_statistic", test.standardised());
            m.put("components", test.components());
            m.put("rows", test.rows());
            m.put("queries", queries);
            return m;
        }

        /** Writes {@value #JSON} into {@code dir}, atomically. */
        public void write(Path dir) throws IOException {
            writeJson(dir.resolve(JSON), toMap());
        }
    }

    /**
     * Runs the test. The decision uses {@code pValue < alpha}.
     *
     * @param key the watermark key
     * @param suspect the suspect
     * @param teacher the clean teacher, for a baseline, or null
     * @param data rows to probe with (its class names are the label set)
     * @param queries rows to ask about, at most the data's size
     * @param alpha significance level in (0, 1)
     * @param seed which rows
     */
    public static Result run(
            WatermarkKey key,
            AuditedModel suspect,
            AuditedModel teacher,
            ExampleSet data,
            int queries,
            double alpha,
            long seed)
            throws IOException {
        return run(key, suspect, teacher, data, queries, alpha, seed, null);
    }

    /**
     * Runs the test with a chosen statistic.
     *
     * @param regressors the detector's design, or null for its default ({@link
     *     WatermarkDetector.Regressors#defaultFor}: compact with a teacher, full without)
     * @throws AuditException for the compact design without a teacher, and as {@link #run(WatermarkKey,
     *     AuditedModel, AuditedModel, ExampleSet, int, double, long)}
     */
    public static Result run(
            WatermarkKey key,
            AuditedModel suspect,
            AuditedModel teacher,
            ExampleSet data,
            int queries,
            double alpha,
            long seed,
            WatermarkDetector.Regressors regressors)
            throws IOException {
        WatermarkDetector.Regressors design =
                regressors != null ? regressors : WatermarkDetector.Regressors.defaultFor(teacher != null);
        // The detector refuses this too, but only after the suspect has been queried: refuse first.
        if (design == WatermarkDetector.Regressors.COMPACT && teacher == null) {
            throw new AuditException("watermark audit: the compact statistic needs the clean teacher (--teacher) as "
                    + "baseline; without it use the full one");
        }
        if (queries < 16 || queries > data.size()) {
            throw new AuditException("watermark audit: queries must be in [16, " + data.size() + "] (rows of "
                    + data.name() + "), got " + queries);
        }
        if (suspect.classNames() != null && !suspect.classNames().equals(data.classNames())) {
            throw new AuditException("suspect " + suspect.name() + " has classes " + suspect.classNames()
                    + ", expected " + data.classNames());
        }
        if (suspect.featureShape() != null && !Arrays.equals(suspect.featureShape(), data.featureShape())) {
            throw new AuditException("suspect " + suspect.name() + " takes inputs of shape "
                    + Arrays.toString(suspect.featureShape()) + ", but data " + data.name() + " has rows of shape "
                    + Arrays.toString(data.featureShape()));
        }
        boolean text = data instanceof TextExampleSet;
        if (text != (key.input() == WatermarkKey.Input.NGRAM_IDS)) {
            throw new AuditException("watermark key " + key.fingerprint() + " was drawn for "
                    + (text ? "dense inputs (pixels or features)" : "texts (hashed n-gram ids)") + ", but data "
                    + data.name() + " holds " + (text ? "texts" : "dense inputs")
                    + ": test the suspect on the kind of data the key was made for");
        }
        if (suspect.textFeatures() != null
                && (!text || !suspect.textFeatures().equals(((TextExampleSet) data).features()))) {
            throw new AuditException("suspect " + suspect.name() + " reads text as " + suspect.textFeatures()
                    + ", but data " + data.name()
                    + (text ? " was featurised as " + ((TextExampleSet) data).features() : " is not text"));
        }
        int[] rows = new int[data.size()];
        Arrays.setAll(rows, i -> i);
        Random rng = new Random(seed);
        for (int i = rows.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = rows[i];
            rows[i] = rows[j];
            rows[j] = t;
        }
        rows = Arrays.copyOf(rows, queries);
        ExampleSet probes = subset(data, rows, "/watermark-probes");
        float[] x = new float[queries * data.featureSize()];
        data.copyFeatures(rows, x);
        float[] s = flatten(suspect.logProbabilities(probes));
        float[] b = teacher == null ? null : flatten(teacher.logProbabilities(probes));
        WatermarkDetector.Detection t;
        try {
            t = WatermarkDetector.test(key, data.featureSize(), data.numClasses(), x, s, b, design);
        } catch (IllegalArgumentException e) {
            // A key drawn for another input size or label set: a clear error, not a p-value.
            throw new AuditException("watermark audit: " + e.getMessage());
        }
        return new Result(
                suspect.name(), key.fingerprint(), teacher != null, t, suspect.queries(), alpha, t.pValue() < alpha);
    }

    private static ExampleSet subset(ExampleSet data, int[] rows, String suffix) {
        float[] x = new float[rows.length * data.featureSize()];
        data.copyFeatures(rows, x);
        int[] labels = new int[rows.length];
        Arrays.fill(labels, ExampleSet.UNLABELED);
        return new InMemoryExampleSet(data.name() + suffix, data.featureShape(), x, labels, data.classNames());
    }

    private static float[] flatten(float[][] rows) {
        int c = rows[0].length;
        float[] out = new float[rows.length * c];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * c, c);
        }
        return out;
    }
}
