package org.distill4j.guard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.data.JsonlTextDataset;
import org.distill4j.data.TextFeatures;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.BagSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The watermark's evaluation on Fashion-MNIST or ({@code -Dwatermark.eval.data=debian}) the Debian
 * descriptions (docs/audit.md section 2), off unless {@code
 * -Dwatermark.eval=true} (tools/watermark-eval.sh; about 20 minutes of one CPU core): a teacher
 * serves watermarked outputs; students distilled from them (100% of their transfer set from the
 * watermarked API, or 25% with the rest from another model) and 20 models that were not are tested
 * with the key, the clean teacher as baseline, at 1,000 and 10,000 queries; the cost to honest users
 * is measured on the test set. Writes {@code target/watermark-eval/results.json}.
 */
@EnabledIfSystemProperty(named = "watermark.eval", matches = "true")
class WatermarkEvaluation {

    static final TeacherIdentity API = new TeacherIdentity("eval", "/watermark-eval-api", "t", "an API's outputs");
    static final int TRAIN_TO = 30_000;
    static final int TRANSFER_FROM = 30_000;
    static final int TRANSFER_TO = 50_000;

    static int prop(String name, int def) {
        return Integer.getInteger("watermark.eval." + name, def);
    }

    /**
     * A model under test: its name, whether it learnt from watermarked outputs, its logits on the
     * probe pool (the test set, then the 10,000 training rows no model here was trained on).
     */
    record Suspect(String name, String kind, boolean distilled, float[] testLogits) {}

    /**
     * One data set's evaluation: the teacher's training rows, the transfer rows its (watermarked)
     * outputs are served on, the probe pool (test rows, then rows no model here trained on), the
     * models and their training, and the kind of input the key is drawn over.
     */
    record Setup(
            String name,
            Path out,
            ExampleSet train,
            ExampleSet transfer,
            ExampleSet test,
            ExampleSet extra,
            TextFeatures text,
            WatermarkKey.Input input,
            ModelSpec teacher,
            TrainingConfig teacherConfig,
            ModelSpec otherTeacher,
            List<ModelSpec> students,
            List<ModelSpec> archs,
            TrainingConfig scratchConfig,
            TrainingConfig studentConfig,
            TrainingConfig cleanStudentConfig) {}

    static Setup fashion() throws Exception {
        int epochs = prop("epochs", 15);
        int scratchEpochs = prop("scratch_epochs", 6);
        IdxDataset idx = IdxDataset.load(IdxDataset.DEBIAN_FASHION_MNIST);
        List<ModelSpec> archs = new ArrayList<>();
        for (int[] h : new int[][] {{64}, {128}, {256}, {128, 128}, {512}}) {
            archs.add(mlp(h));
        }
        return new Setup(
                "fashion-mnist",
                Path.of("target/watermark-eval"),
                ExampleSets.slice(idx.train(), 0, TRAIN_TO),
                ExampleSets.slice(idx.train(), TRANSFER_FROM, TRANSFER_TO),
                idx.test(),
                ExampleSets.slice(idx.train(), TRANSFER_TO, idx.train().size()),
                null,
                WatermarkKey.Input.DENSE,
                mlp(256),
                config(8, 128, 0.002),
                mlp(512),
                List.of(mlp(128, 128), mlp(128, 128), mlp(256)),
                archs,
                config(scratchEpochs, 128, 0.002),
                config(epochs, 128, 0.002),
                config(epochs / 2, 128, 0.002));
    }

    /**
     * The Debian descriptions (58 sections): the teacher trains on the first 25,000 training
     * descriptions, the other 25,922 are the transfer set, and the probes are the test split then
     * the validation split (12,756 descriptions no model here was trained on). fastText-style bag
     * models, as the audit's evaluation uses.
     */
    static Setup debian() throws Exception {
        int epochs = prop("epochs", 10);
        int scratchEpochs = prop("scratch_epochs", 5);
        Path dir = Path.of(JsonlTextDataset.BUNDLED);
        if (!Files.isDirectory(dir)) {
            dir = Path.of("../" + JsonlTextDataset.BUNDLED);
        }
        TextFeatures text = TextFeatures.defaults();
        JsonlTextDataset ds = JsonlTextDataset.load(dir, JsonlTextDataset.Fields.defaults(), text);
        int split = 25_000;
        return new Setup(
                "debian-descriptions",
                Path.of("target/watermark-eval-debian"),
                ExampleSets.slice(ds.train(), 0, split),
                ExampleSets.slice(ds.train(), split, ds.train().size()),
                ds.test(),
                ds.validation(),
                text,
                WatermarkKey.Input.NGRAM_IDS,
                bag(32768, 32, 64),
                config(6, 256, 0.005),
                bag(65536, 32, 128),
                // Students with a wide hidden layer: with 32 or 64 units none learnt the signal as a
                // function of the text (WatermarkTextTest#transferToBagStudents, docs/audit.md).
                List.of(bag(16384, 16, 256), bag(16384, 16, 256), bag(32768, 32, 256)),
                List.of(
                        bag(8192, 16, 0),
                        bag(16384, 16, 32),
                        bag(32768, 32, 64),
                        bag(16384, 16, 256),
                        bag(65536, 32, 128)),
                config(scratchEpochs, 256, 0.01),
                config(epochs, 256, 0.01),
                config(epochs / 2, 256, 0.01));
    }

    static ModelSpec mlp(int... hidden) {
        return new MlpSpec(list(hidden), null, 0);
    }

    static ModelSpec bag(int buckets, int dim, int hidden) {
        return BagSpec.of(buckets, dim, hidden == 0 ? List.of() : List.of(hidden), null, 0.0);
    }

    static String tag(ModelSpec spec) {
        if (spec instanceof MlpSpec m) {
            return m.hidden().toString();
        }
        BagSpec b = (BagSpec) spec;
        return "bag " + b.buckets() + " x " + b.dim() + (b.hidden().isEmpty() ? "" : ", hidden " + b.hidden());
    }

    /** The detector's design: -Dwatermark.eval.regressors=full|compact (default: the detector's, compact). */
    static final WatermarkDetector.Regressors REGRESSORS = WatermarkDetector.Regressors.valueOf(
            System.getProperty("watermark.eval.regressors", "compact").toUpperCase(Locale.ROOT));

    @Test
    void evaluate() throws Exception {
        long t0 = System.nanoTime();
        Setup s = System.getProperty("watermark.eval.data", "fashion").startsWith("debian") ? debian() : fashion();
        int extraKeys = prop("extra_keys", 100);
        // Students trained for other than the setup's epochs are cached under their own names.
        String epochsTag = System.getProperty("watermark.eval.epochs") == null ? "" : "-e" + prop("epochs", 0);
        Path out = s.out();
        Files.createDirectories(out);
        ExampleSet train = s.train();
        ExampleSet transfer = s.transfer();
        ExampleSet test = s.test();
        ExampleSet extra = s.extra();
        int d = test.featureSize();
        float[] testX = features(test, test.size());
        // The probe pool: the test rows, rows no model here trained on, then the transfer rows (the
        // API's served traffic, which a provider can log and probe with).
        int servedFrom = test.size() + extra.size();
        float[] poolX = concat(concat(testX, features(extra, extra.size())), features(transfer, transfer.size()));

        // The provider: a teacher, and a key drawn from 5,000 of its training rows.
        Path teacherDir = out.resolve("teacher");
        if (!Files.exists(teacherDir.resolve(SavedModel.DESCRIPTOR))) {
            scratch(s.teacher(), s.teacherConfig(), 1, train, s.text(), teacherDir)
                    .close();
        }
        byte[] secret = new byte[32];
        new Random(prop("key_seed", 1)).nextBytes(secret);
        float[] keyRows = features(train, 5000);
        WatermarkKey key =
                WatermarkKey.grouped(secret, keyRows, d, test.numClasses(), WatermarkKey.DEFAULT_AMPLITUDE, s.input());
        Watermark watermark = new Watermark(key, d, test.numClasses());

        float[] teacherTest;
        float[] cleanTransfer;
        float[] servedTransfer;
        try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir);
                WatermarkedTeacher api = new WatermarkedTeacher(SavedModelTeacher.load(teacherDir), watermark);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            cleanTransfer = TeacherOutputCache.compute(teacher, transfer, manager, 500, done -> {})
                    .logits();
            teacherTest =
                    concat(concat(logits(teacher, test, manager), logits(teacher, extra, manager)), cleanTransfer);
            servedTransfer = TeacherOutputCache.compute(api, transfer, manager, 500, done -> {})
                    .logits();
        }
        Watermark.Utility utility =
                watermark.measure(testX, Arrays.copyOf(teacherTest, test.size() * test.numClasses()));
        Watermark.Utility utilityTransfer = watermark.measure(features(transfer, transfer.size()), cleanTransfer);

        // Another source for the rest of a partly watermarked transfer set (also a negative).
        List<Suspect> suspects = new ArrayList<>();
        Path otherDir = out.resolve("other-teacher");
        float[] otherTransfer;
        if (!Files.exists(otherDir.resolve(SavedModel.DESCRIPTOR))) {
            scratch(s.otherTeacher(), s.scratchConfig(), 9, train, s.text(), otherDir)
                    .close();
        }
        try (SavedModel other = SavedModel.load(otherDir)) {
            otherTransfer = logits(other, transfer);
            suspects.add(new Suspect(
                    "other-teacher",
                    "other teacher, " + tag(s.otherTeacher()) + ", trained on labels",
                    false,
                    probeLogits(other, test, extra, transfer)));
        }
        boolean[] fromApi = new boolean[transfer.size()];
        Random pick = new Random(3);
        float[] mixed = otherTransfer.clone();
        int c = test.numClasses();
        for (int r = 0; r < fromApi.length; r++) {
            fromApi[r] = pick.nextDouble() < 0.25;
            if (fromApi[r]) {
                System.arraycopy(servedTransfer, r * c, mixed, r * c, c);
            }
        }

        // Distilled from the watermarked API: three students (architecture, temperature, seed), each
        // on the fully and on the 25% watermarked transfer set.
        double[] studentTemps = {4, 1, 2};
        for (int share : new int[] {100, 25}) {
            for (int i = 0; i < 3; i++) {
                ModelSpec a = s.students().get(i);
                double temp = studentTemps[i];
                long seed = 5 + i;
                String name = "wm" + share + "-" + i + "-T" + (int) temp + "-key" + prop("key_seed", 1) + epochsTag;
                float[] targets = share == 100 ? servedTransfer : mixed;
                suspects.add(cached(
                        out,
                        name,
                        () -> student(
                                name,
                                share + "% watermarked, T=" + (int) temp,
                                true,
                                targets,
                                a,
                                temp,
                                s.studentConfig(),
                                seed,
                                s.text(),
                                transfer,
                                test,
                                extra,
                                transfer)));
            }
        }

        // Not distilled from the watermarked API: 19 more negatives (20 with the other teacher).
        List<ModelSpec> archs = s.archs();
        for (int i = 0; i < 6; i++) {
            ModelSpec a = archs.get(i % archs.size());
            int seed = 20 + i;
            suspects.add(cached(out, "scratch-" + i, () -> {
                try (SavedModel m = scratch(a, s.scratchConfig(), seed, train, s.text(), null)) {
                    return new Suspect(
                            "scratch-" + seed % 20,
                            "trained on labels, " + tag(a),
                            false,
                            probeLogits(m, test, extra, transfer));
                }
            }));
        }
        for (int i = 0; i < 3; i++) {
            int seed = 40 + i;
            suspects.add(cached(out, "teacher-arch-seed" + seed, () -> {
                try (SavedModel m = scratch(s.teacher(), s.teacherConfig(), seed, train, s.text(), null)) {
                    return new Suspect(
                            "teacher-arch-seed" + seed,
                            "the teacher's recipe, another seed",
                            false,
                            probeLogits(m, test, extra, transfer));
                }
            }));
        }
        for (int i = 0; i < 3; i++) {
            int seed = 50 + i;
            ModelSpec a = archs.get(i + 1);
            suspects.add(cached(out, "scratch-transfer-" + i, () -> {
                try (SavedModel m = scratch(a, s.scratchConfig(), seed, transfer, s.text(), null)) {
                    return new Suspect(
                            "scratch-transfer-" + (seed - 50),
                            "trained on the transfer rows' labels, " + tag(a),
                            false,
                            probeLogits(m, test, extra, transfer));
                }
            }));
        }
        double[] temps = {1, 4, 2, 4};
        for (int i = 0; i < 4; i++) {
            ModelSpec a = archs.get((i + 2) % archs.size());
            int j = i;
            suspects.add(cached(
                    out,
                    "clean-teacher-" + i + epochsTag,
                    () -> student(
                            "clean-teacher-" + j,
                            "distilled from the clean teacher, T=" + temps[j],
                            false,
                            cleanTransfer,
                            a,
                            temps[j],
                            s.cleanStudentConfig(),
                            60 + j,
                            s.text(),
                            transfer,
                            test,
                            extra,
                            transfer)));
        }
        for (int i = 0; i < 3; i++) {
            ModelSpec a = archs.get((i + 3) % archs.size());
            int j = i;
            suspects.add(cached(
                    out,
                    "other-teacher-student-" + i + epochsTag,
                    () -> student(
                            "other-teacher-student-" + j,
                            "distilled from the other teacher, T=" + temps[j],
                            false,
                            otherTransfer,
                            a,
                            temps[j],
                            s.cleanStudentConfig(),
                            70 + j,
                            s.text(),
                            transfer,
                            test,
                            extra,
                            transfer)));
        }
        double trainSeconds = (System.nanoTime() - t0) / 1e9;
        String dump = System.getProperty("watermark.eval.dump");
        if (dump != null) {
            dumpForAnalysis(
                    Path.of(dump), watermark, suspects, poolX, teacherTest, d, c, servedFrom, fromApi, test.size());
        }

        // Detection at three query budgets (the first test rows), then on served traffic: the first
        // transfer rows (all served by the API to the 100% students' collector) and the rows the API
        // served to the 25% students' collector; the clean teacher as baseline.
        Map<String, Object> results = new LinkedHashMap<>();
        StringBuilder table =
                new StringBuilder("| model | kind | probes | queries | components | S | S / null sd | p |\n"
                        + "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (int budget : new int[] {100, 1000, 10_000}) {
            int[] rows = probeRows(teacherTest, c, 0, budget, false);
            results.put(
                    "test_rows_" + budget,
                    detectEach(watermark, suspects, poolX, teacherTest, d, c, rows, "test", table));
        }
        int[] servedAll = new int[transfer.size()];
        Arrays.setAll(servedAll, r -> servedFrom + r);
        int[] servedToMix = new int[countTrue(fromApi)];
        for (int r = 0, i = 0; r < fromApi.length; r++) {
            if (fromApi[r]) {
                servedToMix[i++] = servedFrom + r;
            }
        }
        for (int budget : new int[] {1000, 10_000}) {
            int[] rows = Arrays.copyOf(servedAll, budget);
            results.put(
                    "served_rows_" + budget,
                    detectEach(watermark, suspects, poolX, teacherTest, d, c, rows, "served (all)", table));
            rows = Arrays.copyOf(servedToMix, Math.min(budget, servedToMix.length));
            results.put(
                    "served_to_mix_" + rows.length,
                    detectEach(
                            watermark, suspects, poolX, teacherTest, d, c, rows, "served to the 25% collector", table));
        }
        // Calibration: the negatives against many keys they never saw (10,000 test rows, then 10,000
        // served rows, which some negatives were trained on): under H0 the p-values are uniform, so
        // about 1% of them fall below 0.01 and 0.1% below 0.001.
        List<String> calibrations = new ArrayList<>();
        for (String probes : List.of("test", "served")) {
            int[] rows = probes.equals("test")
                    ? probeRows(teacherTest, c, 0, 10_000, false)
                    : Arrays.copyOf(servedAll, 10_000);
            calibrations.add(calibrate(
                    probes + " rows",
                    rows,
                    probes + "_rows_10000",
                    results,
                    suspects,
                    extraKeys,
                    keyRows,
                    s.input(),
                    poolX,
                    teacherTest,
                    d,
                    c));
        }
        String calibration = calibrations.get(0);
        String servedCalibration = calibrations.get(1);
        results.put("calibration", calibration);
        results.put("calibration_served", servedCalibration);
        // What each suspect's owner sees: its accuracy on the test rows (the first rows of its
        // probe logits), to compare students trained for other epochs.
        Map<String, Double> accuracy = new LinkedHashMap<>();
        for (Suspect suspect : suspects) {
            int right = 0;
            for (int r = 0; r < test.size(); r++) {
                float[] row = Arrays.copyOfRange(suspect.testLogits(), r * c, r * c + c);
                right += Watermark.argmax(row) == test.label(r) ? 1 : 0;
            }
            accuracy.put(suspect.name(), (double) right / test.size());
        }
        results.put("test_accuracy", accuracy);
        results.put("utility_test_set", utility);
        results.put("utility_transfer_rows", utilityTransfer);
        results.put("transfer_rows_from_api_in_mix", countTrue(fromApi));
        results.put("data", s.name());
        results.put("key_fingerprint", key.fingerprint());
        results.put("regressors", REGRESSORS.name().toLowerCase(Locale.ROOT));
        results.put("training_seconds", trainSeconds);
        results.put("total_seconds", (System.nanoTime() - t0) / 1e9);
        results.put("table", table.toString());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(out.resolve("results.json").toFile(), results);
        System.out.println(table);
        System.out.println(calibration);
        System.out.println(servedCalibration);
        System.out.println(
                "utility on the test set: " + utility + "\nutility on the transfer rows: " + utilityTransfer);
        System.out.printf(Locale.ROOT, "training %.0f s, total %.0f s%n", trainSeconds, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The negatives' p-values for {@code extraKeys} keys they never saw and the true key, on the given
     * pool rows; stores them under {@code "null_p_values_" + name} and returns the summary line.
     */
    static String calibrate(
            String name,
            int[] rows,
            String trueKeyResults,
            Map<String, Object> results,
            List<Suspect> suspects,
            int extraKeys,
            float[] keyRows,
            WatermarkKey.Input input,
            float[] poolX,
            float[] teacherPool,
            int d,
            int c) {
        List<Double> nullTail = new ArrayList<>();
        float[] x = rowsOf(poolX, d, rows);
        float[] base = logSoftmax(rowsOf(teacherPool, c, rows), c);
        List<float[]> negatives = suspects.stream()
                .filter(sus -> !sus.distilled())
                .map(sus -> logSoftmax(rowsOf(sus.testLogits(), c, rows), c))
                .toList();
        for (int k = 0; k < extraKeys; k++) {
            byte[] sec = new byte[32];
            new Random(1000 + k).nextBytes(sec);
            Watermark other = new Watermark(
                    WatermarkKey.grouped(sec, keyRows, d, c, WatermarkKey.DEFAULT_AMPLITUDE, input), d, c);
            for (float[] logP : negatives) {
                nullTail.add(WatermarkDetector.detect(other, x, logP, base, REGRESSORS)
                        .pValue());
            }
        }
        for (Map<String, Object> r : rowsOf(results, trueKeyResults)) {
            if (!(Boolean) r.get("distilled")) {
                nullTail.add((Double) r.get("p"));
            }
        }
        results.put("null_p_values_" + name.replace(' ', '_'), nullTail);
        return String.format(
                Locale.ROOT,
                "%s: negatives x keys: %d p-values at %,d queries; below 0.1: %d, below 0.01: %d, below 0.001: %d; min %.3g",
                name,
                nullTail.size(),
                rows.length,
                nullTail.stream().filter(p -> p < 0.1).count(),
                nullTail.stream().filter(p -> p < 0.01).count(),
                nullTail.stream().filter(p -> p < 0.001).count(),
                nullTail.stream().mapToDouble(Double::doubleValue).min().orElse(1));
    }

    /**
     * Writes what an offline analysis of detection statistics needs (tools/watermark-lab/served.py):
     * every model's logits on the probe pool and the teacher's (little-endian float32, pool rows x
     * classes), the pool's features (pool rows x features), each component's key angle without its phase on every pool row (pool rows x
     * components), and the key's phases and targets with the pool's layout in meta.json.
     */
    static void dumpForAnalysis(
            Path dir,
            Watermark w,
            List<Suspect> suspects,
            float[] poolX,
            float[] teacherPool,
            int d,
            int c,
            int servedFrom,
            boolean[] fromApi,
            int testRows)
            throws java.io.IOException {
        Files.createDirectories(dir);
        int n = poolX.length / d;
        int m = w.components();
        float[] angles = new float[n * m];
        for (int r = 0; r < n; r++) {
            for (int g = 0; g < m; g++) {
                angles[r * m + g] = (float) w.angle(g, poolX, r * d);
            }
        }
        writeFloats(dir.resolve("angles.f32"), angles);
        writeFloats(dir.resolve("teacher.f32"), teacherPool);
        writeFloats(dir.resolve("features.f32"), poolX);
        List<Map<String, Object>> models = new ArrayList<>();
        for (int i = 0; i < suspects.size(); i++) {
            Suspect sus = suspects.get(i);
            writeFloats(dir.resolve("model-" + i + ".f32"), sus.testLogits());
            models.add(Map.of("file", "model-" + i + ".f32", "name", sus.name(), "distilled", sus.distilled()));
        }
        List<Integer> servedToMix = new ArrayList<>();
        for (int r = 0; r < fromApi.length; r++) {
            if (fromApi[r]) {
                servedToMix.add(servedFrom + r);
            }
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("pool_rows", n);
        meta.put("features", d);
        meta.put("classes", c);
        meta.put("components", m);
        meta.put("grouped", w.grouped());
        meta.put(
                "phases",
                java.util.stream.IntStream.range(0, m)
                        .mapToDouble(w::phase)
                        .boxed()
                        .toList());
        meta.put(
                "targets",
                java.util.stream.IntStream.range(0, m).map(w::target).boxed().toList());
        meta.put("test_rows", testRows);
        meta.put("served_from", servedFrom);
        meta.put("served_to_mix", servedToMix);
        meta.put("models", models);
        new ObjectMapper().writeValue(dir.resolve("meta.json").toFile(), meta);
    }

    static void writeFloats(Path file, float[] values) throws java.io.IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        Files.write(file, b.array());
    }

    /** Tests every suspect for the watermark on the given pool rows; adds their lines to the table. */
    static List<Map<String, Object>> detectEach(
            Watermark watermark,
            List<Suspect> suspects,
            float[] poolX,
            float[] teacherPool,
            int d,
            int c,
            int[] rows,
            String probes,
            StringBuilder table) {
        float[] x = rowsOf(poolX, d, rows);
        float[] base = logSoftmax(rowsOf(teacherPool, c, rows), c);
        List<Map<String, Object>> found = new ArrayList<>();
        for (Suspect sus : suspects) {
            WatermarkDetector.Detection t = WatermarkDetector.detect(
                    watermark, x, logSoftmax(rowsOf(sus.testLogits(), c, rows), c), base, REGRESSORS);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", sus.name());
            r.put("kind", sus.kind());
            r.put("distilled", sus.distilled());
            r.put("probes", probes);
            r.put("components", t.components());
            r.put("statistic", t.statistic());
            r.put("standardised", t.standardised());
            r.put("p", t.pValue());
            found.add(r);
            table.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %d | %d | %.1f | %.2f | %.3g |%n",
                    sus.name(),
                    sus.kind(),
                    probes,
                    rows.length,
                    t.components(),
                    t.statistic(),
                    t.standardised(),
                    t.pValue()));
        }
        return found;
    }

    /** Makes a suspect, or reads its probe-pool logits back from an earlier run. */
    interface Maker {
        Suspect make() throws Exception;
    }

    static Suspect cached(Path out, String name, Maker maker) throws Exception {
        Path f = out.resolve("suspects-with-transfer").resolve(name + ".json");
        if (Files.exists(f)) {
            return new ObjectMapper().readValue(f.toFile(), Suspect.class);
        }
        long t0 = System.nanoTime();
        Suspect s = maker.make();
        System.out.printf(Locale.ROOT, "%s: trained in %.0f s%n", name, (System.nanoTime() - t0) / 1e9);
        Files.createDirectories(f.getParent());
        new ObjectMapper().writeValue(f.toFile(), s);
        return s;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> rowsOf(Map<String, Object> results, String k) {
        return (List<Map<String, Object>>) results.get(k);
    }

    static int countTrue(boolean[] b) {
        int n = 0;
        for (boolean v : b) {
            n += v ? 1 : 0;
        }
        return n;
    }

    static List<Integer> list(int[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    static TrainingConfig config(int epochs, int batch, double lr) {
        return TrainingConfig.builder()
                .setEpochs(epochs)
                .optBatchSize(batch)
                .optLearningRate(lr)
                .build();
    }

    /** Trains a model on true labels; saves it when {@code dir} is given; the caller closes it. */
    static SavedModel scratch(
            ModelSpec spec, TrainingConfig config, long seed, ExampleSet train, TextFeatures text, Path dir)
            throws Exception {
        SavedModel m = SavedModel.create(spec, train.featureShape(), train.classNames(), text);
        ClassifierTrainer.builder(config).optSeed(seed).build().fit(m, train, null);
        if (dir != null) {
            m.save(dir);
        }
        return m;
    }

    /** Distils a model from the given logits of the transfer rows (soft targets only). */
    static Suspect student(
            String name,
            String kind,
            boolean distilled,
            float[] targets,
            ModelSpec spec,
            double temperature,
            TrainingConfig config,
            long seed,
            TextFeatures text,
            ExampleSet transfer,
            ExampleSet... probes)
            throws Exception {
        TeacherOutputs outputs = new TeacherOutputs(
                API.cacheKey(), transfer.contentHash(), transfer.size(), transfer.numClasses(), targets);
        try (SavedModel s = SavedModel.create(spec, transfer.featureShape(), transfer.classNames(), text)) {
            ClassifierTrainer.builder(config)
                    .optSeed(seed)
                    .optDistillation(
                            new KdParameters(temperature, 1),
                            SoftTargets.cached(outputs),
                            new DistillationGate()
                                    .approve(GateRequest.forTeacher(
                                                    TermsRegistry.builtIn().get("mit"), "student")
                                            .withTeacher(API)))
                    .build()
                    .fit(s, ExampleSets.withoutLabels(transfer), null);
            return new Suspect(name, kind + ", " + tag(spec), distilled, probeLogits(s, probes));
        }
    }

    static float[] features(ExampleSet set, int rows) {
        int[] ids = new int[rows];
        Arrays.setAll(ids, i -> i);
        float[] x = new float[rows * set.featureSize()];
        set.copyFeatures(ids, x);
        return x;
    }

    static float[] probeLogits(SavedModel m, ExampleSet... sets) {
        float[] out = new float[0];
        for (ExampleSet set : sets) {
            out = concat(out, logits(m, set));
        }
        return out;
    }

    static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Returns {@code rows} row numbers of the pool: its first rows, or (select) those where the
     * clean teacher finds the target class least likely, which is where the watermark moves the
     * target's log-probability most. The choice depends on the key only through its target class,
     * which the random keys share, so the test stays valid.
     */
    static int[] probeRows(float[] teacherLogits, int classes, int target, int rows, boolean select) {
        int n = teacherLogits.length / classes;
        Integer[] ids = new Integer[n];
        Arrays.setAll(ids, i -> i);
        if (select) {
            double[] p = new double[n];
            for (int r = 0; r < n; r++) {
                p[r] = Watermark.softmax(Arrays.copyOfRange(teacherLogits, r * classes, (r + 1) * classes))[target];
            }
            Arrays.sort(ids, (a, b) -> Double.compare(p[a], p[b]));
        }
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = ids[i];
        }
        return out;
    }

    static float[] rowsOf(float[] values, int width, int[] rows) {
        float[] out = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(values, rows[i] * width, out, i * width, width);
        }
        return out;
    }

    static float[] logits(SavedModel m, ExampleSet set) {
        return WatermarkLab.logits(m, set);
    }

    static float[] logits(SavedModelTeacher t, ExampleSet set, NDManager manager) {
        int n = set.size();
        float[] out = new float[n * set.numClasses()];
        for (int from = 0; from < n; from += 1000) {
            int rows = Math.min(1000, n - from);
            int[] ids = new int[rows];
            for (int i = 0; i < rows; i++) {
                ids[i] = from + i;
            }
            float[] x = new float[rows * set.featureSize()];
            set.copyFeatures(ids, x);
            try (NDManager sub = manager.newSubManager()) {
                NDArray z = t.logits(sub.create(x, ExampleSets.batchShape(set, rows)));
                System.arraycopy(z.toFloatArray(), 0, out, from * set.numClasses(), rows * set.numClasses());
            }
        }
        return out;
    }

    static float[] logSoftmax(float[] z, int c) {
        return WatermarkTest.logSoftmax(z, c);
    }
}
