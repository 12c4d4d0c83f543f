package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.eval.Predictions;
import org.distill4j.experiment.Experiment;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.experiment.ExperimentListener;
import org.distill4j.model.SavedModel;
import org.distill4j.provenance.Provenance;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.report.ExperimentResults;
import org.distill4j.report.ModelResult;
import org.distill4j.server.ModelServer;
import org.distill4j.server.ServedSavedModel;
import org.distill4j.teacher.http.CollectionJournal;
import org.distill4j.testutil.TextCorpus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole loop on one machine: a text teacher trained by distill4j, served by {@code distill
 * serve}'s server on loopback, and a recipe whose teacher is that URL (v2 and the OpenAI facade):
 * outputs collected through HTTP, students trained, provenance recorded, nothing asked twice.
 */
class RemoteTeacherLoopTest {

    private static final String KEY = "sk-loop-test-4c1d9e";

    @TempDir
    static Path shared;

    static Path teacherDir;
    static Predictions localTeacherTest;
    static ExperimentData data;

    @BeforeAll
    static void trainTeacher() throws Exception {
        TextCorpus.writeSplits(shared.resolve("data"));
        Files.writeString(shared.resolve("key.txt"), KEY + "\n", StandardCharsets.UTF_8);
        Recipe local = recipe("source: train\n  model: {type: bag, buckets: 8192, dim: 16, hidden: [16]}\n"
                + "  training: {epochs: 4, batch_size: 32, learning_rate: 0.02}");
        teacherDir = new Experiment(
                        local,
                        shared.resolve("local"),
                        new Experiment.Options(shared.resolve("cache"), false),
                        ExperimentListener.NONE)
                .trainTeachers()
                .get(0);
        data = ExperimentData.load(local);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                SavedModel t = SavedModel.load(teacherDir)) {
            localTeacherTest = Predictions.of(t, data.test(), m, 64);
        }
    }

    /** The trained teacher, served as {@code teacher} on a free loopback port, asking for {@code key}. */
    static ModelServer serve(String key) throws Exception {
        return ModelServer.builder()
                .optPort(0)
                .optApiKey(key)
                .addModel(ServedSavedModel.load("teacher", teacherDir))
                .build()
                .start();
    }

    static Recipe recipe(String teacher) throws Exception {
        String yaml = """
                name: loop
                seed: 7
                data:
                  format: jsonl
                  dir: data
                  features: {max_features: 32, word_ngrams: 2}
                teacher:
                  terms: mit
                  %s
                student:
                  model: {type: bag, buckets: 1024, dim: 4}
                  training: {epochs: 3, batch_size: 32, learning_rate: 0.05}
                distillation: {temperature: 1, alpha: 0.5}
                evaluation: {latency_runs: 10, throughput_batch: 16}
                """.formatted(teacher);
        return RecipeLoader.parse(yaml, "loop", shared, List.of());
    }

    static String httpTeacher(String protocol, ModelServer server) {
        return "source: http\n  http: {protocol: " + protocol + ", url: '" + server.baseUri() + "', model: teacher, "
                + "api_key_file: key.txt, concurrency: 4, batch_size: " + (protocol.equals("v2") ? 16 : 1) + "}";
    }

    @ParameterizedTest
    @ValueSource(strings = {"v2", "openai"})
    void distilsThroughTheApiAndAsksNothingTwice(String protocol, @TempDir Path tmp) throws Exception {
        try (ModelServer server = serve(KEY)) {
            Recipe remote = recipe(httpTeacher(protocol, server));
            Path out = tmp.resolve("out");
            List<String> log = new ArrayList<>();
            ExperimentResults results = experiment(remote, out, tmp, log).run();

            // The teacher seen through the API is the local teacher: same predictions on every test row.
            ModelResult teacher = results.models().get(0);
            assertThat(teacher.metrics().testAccuracy()).isEqualTo(localTeacherTest.accuracy(data.test()));
            assertThat(teacher.metrics().testAccuracy()).isGreaterThan(0.8);
            ModelResult distilled = results.models().get(2);
            assertThat(distilled.metrics().testAccuracy()).isGreaterThan(0.8);
            assertThat(distilled.metrics().agreementWithTeacher()).isGreaterThan(0.8);
            // Every unique training and test text was asked exactly once.
            long asked = server.stats("teacher").rows();
            long unique =
                    journalOk(out.resolve("teacher_outputs/train")) + journalOk(out.resolve("teacher_outputs/test"));
            assertThat(asked).isEqualTo(unique);

            // Provenance says who answered: endpoint, model version, rows, journal hash.
            var collection =
                    Provenance.read(out.resolve(Experiment.STUDENT_DISTILLED)).labelCollection();
            assertThat(collection.toString())
                    .contains(
                            "rows_answered=600",
                            server.baseUri().toString(),
                            server.models().get("teacher").version(),
                            "journal_sha256");

            // A rerun reuses every model and every collected output: the server hears nothing.
            List<String> again = new ArrayList<>();
            experiment(remote, out, tmp, again).run();
            assertThat(server.stats("teacher").rows()).isEqualTo(asked);
            assertThat(again).anyMatch(l -> l.startsWith("student_distilled: reusing"));

            // The key is nowhere in what the run wrote.
            try (var files = Files.walk(out)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1))
                            .as(f.toString())
                            .doesNotContain(KEY);
                }
            }
            assertThat(String.join("\n", log)).doesNotContain(KEY);
        }
    }

    @Test
    void withoutTestEvaluationTheTeachersRowSaysNotMeasuredAndNoGapIsClaimed(@TempDir Path tmp) throws Exception {
        try (ModelServer server = serve(KEY)) {
            Recipe remote = RecipeLoader.parse(
                    RecipeLoader.toYaml(recipe(httpTeacher("v2", server))),
                    "loop",
                    shared,
                    List.of("teacher.http.evaluate_test=false"));
            Path out = tmp.resolve("out");
            ExperimentResults results =
                    experiment(remote, out, tmp, new ArrayList<>()).run();

            assertThat(results.models().get(0).metrics().testAccuracy()).isNaN();
            assertThat(results.models().get(0).metrics().testErrors()).isEqualTo(-1);
            assertThat(results.models().get(2).metrics().agreementWithTeacher()).isNaN();
            assertThat(results.models().get(2).metrics().testAccuracy()).isGreaterThan(0.8);
            assertThat(Files.readString(out.resolve("results.md"))).doesNotContain("Distillation closed");
            // Only the training rows were asked for.
            assertThat(Files.exists(out.resolve("teacher_outputs/test"))).isFalse();
            assertThat(server.stats("teacher").rows()).isEqualTo(journalOk(out.resolve("teacher_outputs/train")));
        }
    }

    @Test
    void aTeacherBehindTheApiIsCalibratedOnItsValidationAnswers(@TempDir Path tmp) throws Exception {
        try (ModelServer server = serve(KEY)) {
            Recipe remote = RecipeLoader.parse(
                    RecipeLoader.toYaml(recipe(httpTeacher("v2", server))),
                    "loop",
                    shared,
                    List.of("distillation.calibrate_teacher=true"));
            Path out = tmp.resolve("out");
            List<String> log = new ArrayList<>();
            experiment(remote, out, tmp, log).run();

            // The validation rows are asked for once, journalled like the others, and fitted on.
            assertThat(journalOk(out.resolve("teacher_outputs/validation")))
                    .isEqualTo(data.validation().size());
            double served = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(out.resolve("metrics.json").toFile())
                    .at("/data/teacher_calibration/temperature")
                    .asDouble();
            double local;
            try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                    SavedModel t = SavedModel.load(teacherDir)) {
                local = org.distill4j.eval.TemperatureScaling.fit(
                                Predictions.of(t, data.validation(), m, 64), data.validation())
                        .temperature();
            }
            // The served logits are the local ones up to float rounding.
            assertThat(served).isCloseTo(local, org.assertj.core.api.Assertions.within(1e-4 * local));
            assertThat(log).anyMatch(l -> l.startsWith("teacher calibration: temperature "));
        }
    }

    @Test
    void labelCommandCollectsResumablyAndReports(@TempDir Path tmp) throws Exception {
        try (ModelServer server = serve(KEY)) {
            Path recipeFile = shared.resolve("remote-" + tmp.getFileName() + ".yaml");
            Files.writeString(recipeFile, RecipeLoader.toYaml(recipe(httpTeacher("v2", server))));
            Path out = tmp.resolve("out");
            CliTest.Run first =
                    CliTest.distill("label", recipeFile.toString(), "--out", out.toString(), "--no-progress");
            assertThat(first.code()).as(first.err()).isEqualTo(ExitCodes.OK);
            assertThat(first.out()).contains("train: 600 rows, 600 answered, 0 failed", "test: 300 rows, 300 answered");
            long asked = server.stats("teacher").rows();

            CliTest.Run second = CliTest.distill(
                    "label", recipeFile.toString(), "--out", out.toString(), "--no-progress", "--split", "train");
            assertThat(second.code()).isEqualTo(ExitCodes.OK);
            assertThat(second.out())
                    .containsPattern("train: 600 rows, 600 answered, 0 failed; \\d+ unique items "
                            + "\\(\\d+ from the journal, 0 collected now\\); 0 requests");
            assertThat(server.stats("teacher").rows()).isEqualTo(asked);
            assertThat(first.out() + first.err() + second.out() + second.err()).doesNotContain(KEY);
        }
    }

    @Test
    void labelCommandStopsWithExit7WhenTheKeyIsRejected(@TempDir Path tmp) throws Exception {
        try (ModelServer server = serve("another-key")) {
            Path recipeFile = shared.resolve("rejected-" + tmp.getFileName() + ".yaml");
            Files.writeString(recipeFile, RecipeLoader.toYaml(recipe(httpTeacher("v2", server))));
            CliTest.Run run = CliTest.distill(
                    "label", recipeFile.toString(), "--out", tmp.resolve("out").toString(), "--no-progress");
            assertThat(run.code()).isEqualTo(ExitCodes.TEACHER_API);
            assertThat(run.err()).contains("401").contains("key.txt").doesNotContain(KEY);
        }
    }

    private static Experiment experiment(Recipe r, Path out, Path tmp, List<String> log) {
        return new Experiment(r, out, new Experiment.Options(tmp.resolve("cache"), false), new ExperimentListener() {
            @Override
            public void info(String message) {
                log.add(message);
            }
        });
    }

    private static long journalOk(Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        long ok = 0;
        for (String line : Files.readAllLines(dir.resolve(CollectionJournal.FILE))) {
            JsonNode n = json.readTree(line);
            ok += n.path("type").asText().equals("ok") ? 1 : 0;
        }
        return ok;
    }
}
