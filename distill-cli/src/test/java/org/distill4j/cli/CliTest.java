package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.distill4j.model.CnnSpec;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real command line in-process, capturing what it prints. */
class CliTest {

    /** Exit code and captured streams of one invocation. */
    record Run(int code, String out, String err) {}

    static synchronized Run distill(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = DistillCommand.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /**
     * Runs {@code distill COMMAND RECIPE --no-progress --out OUT --cache-dir CACHE} (a {@code run} or
     * {@code train-teacher} that later steps of a test build on) and fails the test unless it succeeds.
     */
    static void trainOrFail(String command, Path recipe, Path out, Path cache) {
        Run run = distill(
                command, recipe.toString(), "--no-progress", "--out", out.toString(), "--cache-dir", cache.toString());
        assertThat(run.code()).as(run.err()).isZero();
    }

    // ---- tiny IDX data set: 8x8 images of 3 simple classes (bright top, bright bottom, dark) ----

    static byte[] header(int magic, int... sizes) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * sizes.length);
        b.putInt(magic);
        for (int s : sizes) {
            b.putInt(s);
        }
        return b.array();
    }

    static void gz(Path file, byte[]... parts) throws IOException {
        try (GZIPOutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            for (byte[] p : parts) {
                out.write(p);
            }
        }
    }

    static void writeSplit(Path dir, String prefix, int count, long seed) throws IOException {
        Random rng = new Random(seed);
        byte[] pixels = new byte[count * 64];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int y = rng.nextInt(3);
            labels[i] = (byte) y;
            for (int p = 0; p < 64; p++) {
                boolean top = p < 32;
                int base = y == 0 ? (top ? 220 : 30) : y == 1 ? (top ? 30 : 220) : 30;
                pixels[i * 64 + p] = (byte) Math.max(0, Math.min(255, base + rng.nextInt(41) - 20));
            }
        }
        gz(dir.resolve(prefix + "-images-idx3-ubyte.gz"), header(0x803, count, 8, 8), pixels);
        gz(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), header(0x801, count), labels);
    }

    static Path dataset(Path dir) throws IOException {
        Files.createDirectories(dir);
        writeSplit(dir, "train", 300, 1);
        writeSplit(dir, "t10k", 100, 2);
        return dir;
    }

    static final String RECIPE = """
            name: tiny
            seed: 3
            data: {dir: data, validation_fraction: 0.1}
            teacher:
              terms: mit
              model: {type: mlp, hidden: [32]}
              training: {epochs: 2, batch_size: 32, learning_rate: 0.01}
            student:
              model: {type: mlp, hidden: [8]}
              training: {epochs: 2, batch_size: 32, learning_rate: 0.01}
            distillation: {temperature: 2, alpha: 0.5}
            evaluation: {latency_runs: 10, throughput_batch: 32}
            """;

    static Path recipe(Path dir, String text) throws IOException {
        return Files.writeString(dir.resolve("recipe.yaml"), text);
    }

    // ---- help and usage ----

    @Test
    void everyCommandsHelpExitsZeroAndNamesItsOptions() {
        Run top = distill("--help");
        assertThat(top.code()).isZero();
        assertThat(top.out()).contains("run", "demo", "train-teacher", "distill", "eval");
        for (String cmd : List.of("run", "train-teacher", "distill")) {
            Run r = distill(cmd, "--help");
            assertThat(r.code()).as(cmd).isZero();
            assertThat(r.out())
                    .as(cmd)
                    .contains("RECIPE", "--set", "--out", "--cache-dir", "--resume", "--no-progress");
        }
        Run demo = distill("demo", "--help");
        assertThat(demo.code()).isZero();
        assertThat(demo.out()).contains("--quick", "--print-recipe", "--cache-dir");
        Run eval = distill("eval", "--help");
        assertThat(eval.code()).isZero();
        assertThat(eval.out()).contains("MODEL_DIR", "--data", "--teacher", "--test-limit");
    }

    @Test
    void demoQuickPrintsTheRecipeItRunsWithTheQuickOverridesApplied() throws Exception {
        Run full = distill("demo", "--print-recipe");
        assertThat(full.code()).isZero();
        Recipe bundled = RecipeLoader.parse(full.out(), "printed", Path.of("."), List.of());
        Run quick = distill("demo", "--quick", "--print-recipe");
        assertThat(quick.code()).isZero();
        Recipe shrunk = RecipeLoader.parse(quick.out(), "printed", Path.of("."), List.of());
        // The full demo: all rows, the bundled 60 student epochs and alpha 0.9.
        assertThat(bundled.data().trainLimit()).isZero();
        assertThat(bundled.student().training().epochs()).isEqualTo(60);
        assertThat(bundled.distillation().alpha()).isEqualTo(0.9);
        // The quick demo's recipe as chosen on validation (docs/demo-results.md): the student's
        // architecture, the teacher's convolutions with a narrower dense layer and less dropout, a
        // slice of the data, a teacher on batches of 64, both students 30 epochs at lr 0.003, alpha 0.5.
        assertThat(shrunk.data().trainLimit()).isEqualTo(6000);
        assertThat(shrunk.data().testLimit()).isEqualTo(2000);
        CnnSpec fullTeacher = (CnnSpec) bundled.teacher().model();
        CnnSpec quickTeacher = (CnnSpec) shrunk.teacher().model();
        assertThat(fullTeacher.dense()).containsExactly(512);
        assertThat(fullTeacher.dropout()).isEqualTo(0.4);
        assertThat(bundled.teacher().training().epochs()).isEqualTo(12);
        assertThat(quickTeacher.dense()).containsExactly(256);
        assertThat(quickTeacher.dropout()).isEqualTo(0.3);
        assertThat(quickTeacher.channels()).isEqualTo(fullTeacher.channels());
        assertThat(shrunk.student().model()).isEqualTo(bundled.student().model());
        assertThat(shrunk.teacher().training().epochs()).isEqualTo(5);
        assertThat(shrunk.teacher().training().batchSize()).isEqualTo(64);
        assertThat(shrunk.student().training().epochs()).isEqualTo(30);
        assertThat(shrunk.student().training().learningRate()).isEqualTo(0.003);
        assertThat(shrunk.distillation().alpha()).isEqualTo(0.5);
        assertThat(shrunk.distillation().temperature())
                .isEqualTo(bundled.distillation().temperature());
    }

    @Test
    void unknownOptionExitsTwoAndNamesIt() {
        Run r = distill("run", "--frobnicate", "x.yaml");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--frobnicate");
        assertThat(distill("no-such-command").code()).isEqualTo(2);
    }

    @Test
    void recipeWithUnknownKeyExitsTwoNamingTheKey(@TempDir Path tmp) throws Exception {
        dataset(tmp.resolve("data"));
        Path r = recipe(tmp, RECIPE.replace("student:\n  model:", "student:\n  modle:"));
        Run run = distill(
                "run",
                r.toString(),
                "--no-progress",
                "--out",
                tmp.resolve("out").toString(),
                "--cache-dir",
                tmp.resolve("cache").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("recipe error").contains("modle");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void badOverrideExitsTwoNamingKeyAndValue(@TempDir Path tmp) throws Exception {
        Path r = recipe(tmp, RECIPE);
        Run run = distill(
                "run",
                r.toString(),
                "--set",
                "distillation.alpha=1.5",
                "--out",
                tmp.resolve("o").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("alpha").contains("1.5");
    }

    @Test
    void missingDataDirExitsThreeNamingThePath(@TempDir Path tmp) throws Exception {
        Path r = recipe(tmp, RECIPE);
        Run run = distill(
                "run",
                r.toString(),
                "--no-progress",
                "--out",
                tmp.resolve("out").toString(),
                "--cache-dir",
                tmp.resolve("cache").toString());
        assertThat(run.code()).isEqualTo(3);
        assertThat(run.err()).contains(tmp.resolve("data").toString());
    }

    @Test
    void corruptIdxFileExitsThreeNamingTheFile(@TempDir Path tmp) throws Exception {
        Path data = dataset(tmp.resolve("data"));
        Path bad = data.resolve("train-labels-idx1-ubyte.gz");
        gz(bad, header(0x0BAD, 300), new byte[300]);
        Path r = recipe(tmp, RECIPE);
        Run run = distill(
                "run",
                r.toString(),
                "--no-progress",
                "--out",
                tmp.resolve("out").toString(),
                "--cache-dir",
                tmp.resolve("cache").toString());
        assertThat(run.code()).isEqualTo(3);
        assertThat(run.err()).contains(bad.getFileName().toString()).containsIgnoringCase("magic");
    }

    // ---- end to end ----

    @Test
    void runTrainsEvaluatesAndReportsThenReusesEverything(@TempDir Path tmp) throws Exception {
        dataset(tmp.resolve("data"));
        Path r = recipe(tmp, RECIPE);
        Path out = tmp.resolve("out");
        Path cache = tmp.resolve("cache");
        String[] args = {"run", r.toString(), "--no-progress", "--out", out.toString(), "--cache-dir", cache.toString()
        };

        Run first = distill(args);
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.err()).contains("computed and cached in");
        assertThat(first.out()).contains("teacher", "student_scratch", "student_distilled", "report.html");

        JsonNode metrics =
                new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        for (String role : List.of("teacher", "student_scratch", "student_distilled")) {
            JsonNode m = metrics.path("models").path(role);
            assertThat(m.isObject()).as(role).isTrue();
            for (String key : List.of(
                    "description",
                    "test_accuracy",
                    "test_errors",
                    "test_size",
                    "params",
                    "size_bytes",
                    "agreement_with_teacher",
                    "kl_to_teacher",
                    "throughput_per_s",
                    "history")) {
                assertThat(m.has(key)).as(role + "." + key).isTrue();
            }
            assertThat(m.get("test_size").asInt()).isEqualTo(100);
            assertThat(m.get("test_accuracy").asDouble()).as(role).isBetween(0.0, 1.0);
        }
        assertThat(metrics.at("/models/student_scratch/history")).hasSize(2);
        assertThat(metrics.at("/models/teacher/test_accuracy").asDouble()).isGreaterThan(0.8);
        for (String f : List.of("results.md", "report.html", "recipe.yaml")) {
            assertThat(out.resolve(f)).isNotEmptyFile();
        }
        for (String role : List.of("teacher", "student_scratch", "student_distilled")) {
            assertThat(out.resolve(role).resolve("model.json")).isRegularFile();
            assertThat(out.resolve(role).resolve("model-0000.params")).isRegularFile();
        }
        try (var s = Files.list(cache)) {
            assertThat(s.filter(p -> p.toString().endsWith(".logits")).count()).isEqualTo(1);
        }
        Path firstRun = Files.createDirectories(tmp.resolve("first-run"));
        for (String role : List.of("teacher", "student_scratch", "student_distilled")) {
            Files.copy(out.resolve(role).resolve("training.json"), firstRun.resolve(role + ".training.json"));
        }
        java.nio.file.attribute.FileTime cacheWritten;
        try (var s = Files.list(cache)) {
            cacheWritten = Files.getLastModifiedTime(
                    s.filter(p -> p.toString().endsWith(".logits")).findFirst().orElseThrow());
        }
        String firstParams = new String(
                Files.readAllBytes(out.resolve("student_distilled/model-0000.params")), StandardCharsets.ISO_8859_1);

        // Again: every model is reused, nothing is retrained.
        Run second = distill(args);
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.err()).contains("teacher: reusing", "student_scratch: reusing", "student_distilled: reusing");
        // Nothing retrained: every model's training record is byte-identical and untouched.
        for (String role : List.of("teacher", "student_scratch", "student_distilled")) {
            assertThat(out.resolve(role).resolve("training.json"))
                    .hasSameBinaryContentAs(firstRun.resolve(role + ".training.json"));
        }
        assertThat(new String(
                        Files.readAllBytes(out.resolve("student_distilled/model-0000.params")),
                        StandardCharsets.ISO_8859_1))
                .isEqualTo(firstParams);

        // The recipe as run, written next to the results, runs again unchanged.
        Run asRun = distill(
                "run",
                out.resolve("recipe.yaml").toString(),
                "--no-progress",
                "--out",
                out.toString(),
                "--cache-dir",
                cache.toString());
        assertThat(asRun.code()).as(asRun.err()).isZero();
        assertThat(asRun.err()).contains("student_distilled: reusing");

        // Retraining the distilled student reads the teacher's outputs from the cache.
        deleteTree(out.resolve("student_distilled"));
        Run third = distill(args);
        assertThat(third.code()).as(third.err()).isZero();
        assertThat(third.err()).contains("teacher: reusing", "read from cache");
        // The one cache entry was read, not written again.
        try (var s = Files.list(cache)) {
            List<Path> entries = s.filter(p -> p.toString().endsWith(".logits")).toList();
            assertThat(entries).hasSize(1);
            assertThat(Files.getLastModifiedTime(entries.get(0))).isEqualTo(cacheWritten);
        }
    }

    @Test
    void missingTeacherFileExitsThreeNamingThePath(@TempDir Path tmp) throws Exception {
        dataset(tmp.resolve("data"));
        Path r = recipe(tmp, RECIPE);
        for (String source : List.of("torchscript", "distill4j")) {
            Run run = distill(
                    "run",
                    r.toString(),
                    "--no-progress",
                    "--out",
                    tmp.resolve("out").toString(),
                    "--cache-dir",
                    tmp.resolve("cache").toString(),
                    "--set",
                    "teacher.source=" + source,
                    "--set",
                    "teacher.path=models/missing-teacher");
            assertThat(run.code()).as(source).isEqualTo(3);
            assertThat(run.err())
                    .as(source)
                    .contains(tmp.resolve("models/missing-teacher").toString());
        }
    }

    // ---- terms and provenance ----

    @Test
    void termsListShowAndCheckSayWhatTheGateDecides(@TempDir Path tmp) throws Exception {
        Run list = distill("terms", "list");
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains("openai-api", "prohibited", "llama-3.1", "conditional", "not legal advice");
        Run show = distill("terms", "show", "llama-3.1");
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains("Llama", "source: https://");
        assertThat(distill("terms", "show", "llama3").code()).isEqualTo(2);

        dataset(tmp.resolve("data"));
        Path r = recipe(tmp, RECIPE);
        assertThat(distill("terms", "check", r.toString()).code()).isZero();
        Run prohibited = distill("terms", "check", r.toString(), "--set", "teacher.terms=anthropic-api");
        assertThat(prohibited.code()).isEqualTo(5);
        assertThat(prohibited.out()).contains("REFUSE", "--permission");
        assertThat(distill(
                                "terms",
                                "check",
                                r.toString(),
                                "--set",
                                "teacher.terms=anthropic-api",
                                "--permission",
                                "agreement 7")
                        .code())
                .isZero();
    }

    @Test
    void runWithAProhibitedTeacherExitsFiveBeforeTraining(@TempDir Path tmp) throws Exception {
        dataset(tmp.resolve("data"));
        Path r = recipe(tmp, RECIPE);
        Path out = tmp.resolve("out");
        Run refused = distill(
                "run",
                r.toString(),
                "--no-progress",
                "--out",
                out.toString(),
                "--cache-dir",
                tmp.resolve("cache").toString(),
                "--set",
                "teacher.terms=gemini-api");
        assertThat(refused.code()).isEqualTo(5);
        assertThat(refused.err()).contains("refused", "gemini-api", "Clause");
        assertThat(out).doesNotExist();
    }

    @Test
    void provenanceVerifyDetectsATamperedModel(@TempDir Path tmp) throws Exception {
        dataset(tmp.resolve("data"));
        Path r = recipe(tmp, RECIPE);
        Path out = tmp.resolve("out");
        assertThat(distill(
                                "distill",
                                r.toString(),
                                "--no-progress",
                                "--out",
                                out.toString(),
                                "--cache-dir",
                                tmp.resolve("cache").toString())
                        .code())
                .isZero();
        Path student = out.resolve("student_distilled");
        Run show = distill("provenance", "show", student.toString());
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains("\"teacher\"", "\"terms\"", "\"software\"", "\"files\"");
        assertThat(distill("provenance", "verify", student.toString()).code()).isZero();
        Files.writeString(student.resolve("model.json"), "\n", java.nio.file.StandardOpenOption.APPEND);
        Run tampered = distill("provenance", "verify", student.toString());
        assertThat(tampered.code()).isEqualTo(6);
        assertThat(tampered.out()).contains("changed", "model.json");
        assertThat(distill("provenance", "verify", tmp.toString()).code()).isEqualTo(3);
    }

    static void deleteTree(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
