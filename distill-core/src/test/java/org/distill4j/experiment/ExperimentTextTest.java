package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.TextFeatures;
import org.distill4j.model.SavedModel;
import org.distill4j.provenance.Provenance;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.report.ExperimentResults;
import org.distill4j.report.ModelResult;
import org.distill4j.testutil.TextCorpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole experiment on labelled texts: JSONL in, bag models, macro-F1 and text features out. */
class ExperimentTextTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static Recipe recipe(Path tmp, String... overrides) throws Exception {
        TextCorpus.writeSplits(tmp.resolve("data"));
        return RecipeLoader.parse(YAML, "text-test", tmp, List.of(overrides));
    }

    private static final String YAML = """
                name: text-test
                seed: 7
                data:
                  format: jsonl
                  dir: data
                  features: {max_features: 32, word_ngrams: 2}
                teacher:
                  terms: mit
                  model: {type: bag, buckets: 8192, dim: 16, hidden: [16]}
                  training: {epochs: 4, batch_size: 32, learning_rate: 0.02}
                student:
                  model: {type: bag, buckets: 1024, dim: 4}
                  training: {epochs: 4, batch_size: 32, learning_rate: 0.05}
                distillation: {temperature: 2, alpha: 0.5}
                evaluation: {latency_runs: 10, throughput_batch: 16}
                """;

    static Experiment experiment(Recipe r, Path tmp, List<String> log) {
        return new Experiment(
                r, tmp.resolve("out"), new Experiment.Options(tmp.resolve("cache"), false), new ExperimentListener() {
                    @Override
                    public void info(String message) {
                        log.add(message);
                    }
                });
    }

    @Test
    void trainsBagModelsOnJsonlAndReportsMacroF1(@TempDir Path tmp) throws Exception {
        List<String> log = new ArrayList<>();
        ExperimentResults results = experiment(recipe(tmp), tmp, log).run();

        assertThat(results.models())
                .extracting(ModelResult::role)
                .containsExactly(Experiment.TEACHER, Experiment.STUDENT_SCRATCH, Experiment.STUDENT_DISTILLED);
        for (ModelResult m : results.models()) {
            assertThat(m.metrics().testAccuracy()).as(m.role()).isGreaterThan(0.8);
            assertThat(m.metrics().testMacroF1()).as(m.role()).isBetween(0.75, 1.0);
            assertThat(m.metrics().testSize()).isEqualTo(300);
        }
        // The validation file is the validation split: 600 training rows, none held out.
        assertThat(log).anyMatch(l -> l.startsWith("data: 600 training, 150 validation, 300 test rows"));

        Path out = tmp.resolve("out");
        JsonNode metrics = JSON.readTree(out.resolve("metrics.json").toFile());
        assertThat(metrics.at("/models/student_distilled/test_macro_f1").isNumber())
                .isTrue();
        assertThat(Files.readString(out.resolve("results.md"))).contains("Test macro-F1");
        assertThat(Files.readString(out.resolve("report.html"))).contains("Test macro-F1");
        // Every held-out row is checked for a near duplicate in training, and the reports say how many.
        assertThat(metrics.at("/data/split_overlap/test/checked").asInt()).isEqualTo(300);
        assertThat(metrics.at("/data/split_overlap/validation/checked").asInt()).isEqualTo(150);
        int repeated = metrics.at("/data/split_overlap/test/near_duplicates").asInt();
        String sentence = String.format(java.util.Locale.ROOT, "of the test rows (%d of 300 checked)", repeated);
        assertThat(Files.readString(out.resolve("results.md"))).contains(sentence);
        assertThat(Files.readString(out.resolve("report.html"))).contains(sentence);
        assertThat(log).anyMatch(l -> l.startsWith("data: ") && l.contains(sentence));
        // The distilled student against its scratch twin, on the same 300 test rows.
        JsonNode c = metrics.at("/data/test_comparison");
        assertThat(c.get("first").asText()).isEqualTo(Experiment.STUDENT_DISTILLED);
        assertThat(c.get("rows").asInt()).isEqualTo(300);
        double accuracyGain = results.models().get(2).metrics().testAccuracy()
                - results.models().get(1).metrics().testAccuracy();
        double macroGain = results.models().get(2).metrics().testMacroF1()
                - results.models().get(1).metrics().testMacroF1();
        assertThat(c.at("/accuracy/difference").asDouble()).isCloseTo(accuracyGain, within(1e-9));
        assertThat(c.at("/macro_f1/difference").asDouble()).isCloseTo(macroGain, within(1e-9));
        int onlyDistilled = c.at("/mcnemar_exact/only_first_right").asInt();
        int onlyScratch = c.at("/mcnemar_exact/only_second_right").asInt();
        assertThat(onlyDistilled - onlyScratch).isEqualTo((int) Math.round(accuracyGain * 300));
        assertThat(c.at("/macro_f1/interval_95/0").asDouble())
                .isLessThanOrEqualTo(c.at("/macro_f1/interval_95/1").asDouble());
        String comparison = String.format(
                java.util.Locale.ROOT,
                "On the same 300 test rows, student_distilled against student_scratch: accuracy %+.2f points",
                100 * accuracyGain);
        assertThat(Files.readString(out.resolve("results.md"))).contains(comparison);
        assertThat(Files.readString(out.resolve("report.html"))).contains(comparison);
        for (String role : List.of(Experiment.TEACHER, Experiment.STUDENT_SCRATCH, Experiment.STUDENT_DISTILLED)) {
            try (SavedModel model = SavedModel.load(out.resolve(role))) {
                assertThat(model.descriptor().textFeatures()).as(role).isEqualTo(TextFeatures.of(32, 2, 0, 0, true));
            }
        }
        JsonNode descriptor =
                JSON.readTree(out.resolve("student_distilled/model.json").toFile());
        assertThat(descriptor.at("/text_features/word_ngrams").asInt()).isEqualTo(2);
        assertThat(descriptor.at("/architecture/type").asText()).isEqualTo("bag");
    }

    @Test
    void withMixedTextsTheDistilledStudentLearnsFromTheTeacherAloneAndItsTwinFromUnmixedRows(@TempDir Path tmp)
            throws Exception {
        Recipe r = recipe(
                tmp,
                "student.training.augment={mixup: 0.4}",
                "student.scratch_epochs=3",
                "distillation={temperature: 1, alpha: 1, mode: online}");
        ExperimentResults results = experiment(r, tmp, new ArrayList<>()).run();
        // Both students learn the task: the twin from the labels, the distilled one from the
        // teacher's answers on mixed texts alone (a mixed text has no label).
        assertThat(results.models().get(1).metrics().testAccuracy()).isGreaterThan(0.6);
        assertThat(results.models().get(2).metrics().testAccuracy()).isGreaterThan(0.6);
        assertThat(results.models().get(1).history()).hasSize(3);
        assertThat(results.models().get(2).history()).hasSize(4);
        // Training accuracy is undefined on mixed batches, defined for the twin's plain ones.
        assertThat(results.models().get(2).history().get(0).trainAccuracy()).isNaN();
        assertThat(results.models().get(1).history().get(0).trainAccuracy()).isBetween(0.0, 1.0);
        Path out = tmp.resolve("out");
        assertThat(JSON.readTree(out.resolve("student_scratch/provenance.json").toFile())
                        .findValue("augment")
                        .get("mixup")
                        .asDouble())
                .isZero();
        assertThat(JSON.readTree(
                                out.resolve("student_distilled/provenance.json").toFile())
                        .findValue("augment")
                        .get("mixup")
                        .asDouble())
                .isEqualTo(0.4);
    }

    @Test
    void withDroppedIdsTheTeacherScoresTheStudentsViewOnlineAndInCachedViews(@TempDir Path tmp) throws Exception {
        for (String mode : List.of("mode: online", "mode: views, views: 3")) {
            Path dir = tmp.resolve(mode.contains("views") ? "views" : "online");
            List<String> log = new ArrayList<>();
            Recipe r = recipe(
                    dir,
                    "student.training.augment={drop: 0.25}",
                    "distillation={temperature: 2, alpha: 0.5, " + mode + "}");
            assertThat(r.student().training().augment().drop()).isEqualTo(0.25);
            ExperimentResults results = experiment(r, dir, log).run();
            // The scratch twin drops ids too (no teacher needed): both students learn the task.
            assertThat(results.models().get(1).metrics().testAccuracy())
                    .as(mode)
                    .isGreaterThan(0.6);
            assertThat(results.models().get(2).metrics().testAccuracy())
                    .as(mode)
                    .isGreaterThan(0.6);
            if (mode.contains("views")) {
                assertThat(log).anyMatch(l -> l.startsWith("teacher outputs on 3 augmented views"));
            }
        }
    }

    @Test
    void theScratchTwinTrainsItsOwnEpochsAndTheRunSaysSo(@TempDir Path tmp) throws Exception {
        Recipe r = recipe(tmp, "student.scratch_epochs=2");
        assertThat(r.student().scratchTraining().epochs()).isEqualTo(2);
        assertThat(r.student().training().epochs()).isEqualTo(4);
        ExperimentResults results = experiment(r, tmp, new ArrayList<>()).run();
        assertThat(results.models().get(1).history()).hasSize(2);
        assertThat(results.models().get(2).history()).hasSize(4);
        Path out = tmp.resolve("out");
        assertThat(JSON.readTree(out.resolve("student_scratch/provenance.json").toFile())
                        .findValue("training")
                        .at("/training/epochs")
                        .asInt())
                .isEqualTo(2);
        assertThat(JSON.readTree(
                                out.resolve("student_distilled/provenance.json").toFile())
                        .findValue("training")
                        .at("/training/epochs")
                        .asInt())
                .isEqualTo(4);
        assertThat(Files.readString(out.resolve("recipe.yaml"))).contains("scratch_epochs: 2");
        // A second run with both at 4 epochs trains the scratch student again and reuses the rest.
        List<String> log = new ArrayList<>();
        experiment(recipe(tmp), tmp, log).run();
        assertThat(log).noneMatch(l -> l.startsWith("student_scratch: reusing"));
        assertThat(log).anyMatch(l -> l.startsWith("student_distilled: reusing"));
        assertThatThrownBy(() -> recipe(tmp, "student.scratch_epochs=0"))
                .hasMessageContaining("illegal scratch_epochs value: 0");
    }

    @Test
    void aCalibratedTeacherTeachesAtTheTemperatureFittedOnTheValidationRows(@TempDir Path tmp) throws Exception {
        experiment(recipe(tmp), tmp, new ArrayList<>()).run();
        byte[] plain = Files.readAllBytes(tmp.resolve("out/student_distilled/" + SavedModel.PARAMS));
        List<String> log = new ArrayList<>();
        Recipe calibrated = recipe(tmp, "distillation.calibrate_teacher=true");
        experiment(calibrated, tmp, log).run();
        // Same rows, seed and schedule: only softer targets can make these weights differ.
        assertThat(Files.readAllBytes(tmp.resolve("out/student_distilled/" + SavedModel.PARAMS)))
                .isNotEqualTo(plain);

        // Only the distilled student's soft targets changed.
        assertThat(log).anyMatch(l -> l.startsWith("teacher: reusing"));
        assertThat(log).anyMatch(l -> l.startsWith("student_scratch: reusing"));
        assertThat(log).noneMatch(l -> l.startsWith("student_distilled: reusing"));
        assertThat(log)
                .anyMatch(l -> l.startsWith("teacher calibration: temperature ") && l.contains("150 validation"));
        JsonNode fit = JSON.readTree(tmp.resolve("out/metrics.json").toFile()).at("/data/teacher_calibration");
        // The temperature is the saved teacher's, fitted on the 150 validation rows.
        ExperimentData data = ExperimentData.load(calibrated);
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch");
                SavedModel teacher = SavedModel.load(tmp.resolve("out/teacher"))) {
            org.distill4j.eval.TemperatureScaling expected = org.distill4j.eval.TemperatureScaling.fit(
                    org.distill4j.eval.Predictions.of(teacher, data.validation(), m, 64), data.validation());
            assertThat(fit.get("temperature").asDouble()).isEqualTo(expected.temperature());
            assertThat(fit.get("rows").asInt()).isEqualTo(150);
            assertThat(fit.get("cross_entropy_after").asDouble())
                    .isLessThanOrEqualTo(fit.get("cross_entropy_before").asDouble());
        }
        assertThat(Files.readString(tmp.resolve("out/results.md")))
                .contains("teacher calibrated on 150 validation rows")
                .contains(String.format(
                        java.util.Locale.ROOT, "%.4f", fit.get("temperature").asDouble()));
        assertThat(Files.readString(tmp.resolve("out/report.html")))
                .contains("teacher calibrated on 150 validation rows");
        assertThat(Provenance.read(tmp.resolve("out/student_distilled"))
                        .training()
                        .get("distillation")
                        .toString())
                .contains("calibrate_teacher=true");
    }

    @Test
    void calibrationWithoutValidationRowsOrWithCrossFittingIsRefusedByName(@TempDir Path tmp) throws Exception {
        assertThatThrownBy(() -> recipe(tmp, "distillation={temperature: 1, calibrate_teacher: true, cross_fit: 3}"))
                .hasMessageContaining("calibrate_teacher")
                .hasMessageContaining("cross_fit");
        // Without a validation file and with no training rows held out there is nothing to fit on.
        TextCorpus.writeSplits(tmp.resolve("data"));
        Files.delete(tmp.resolve("data/validation.jsonl"));
        Recipe r = RecipeLoader.parse(
                YAML, "text-test", tmp, List.of("distillation.calibrate_teacher=true", "data.validation_fraction=0"));
        assertThatThrownBy(() -> experiment(r, tmp, new ArrayList<>()).run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("distillation.calibrate_teacher")
                .hasMessageContaining("validation split");
        assertThat(tmp.resolve("out/student_scratch")).doesNotExist();
    }

    @Test
    void unlabelledTextsTeachOnlyTheDistilledStudentAndTheCheckCountsTestRowsAmongThem(@TempDir Path tmp)
            throws Exception {
        experiment(recipe(tmp), tmp, new ArrayList<>()).run();
        // 60 new texts of the same families, their labels dropped, and 12 copies of test texts.
        Path more = tmp.resolve("more.jsonl");
        TextCorpus.writeSplit(more, 60, 4);
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(more)) {
            lines.add(JSON.writeValueAsString(
                    java.util.Map.of("text", JSON.readTree(line).get("text").asText())));
        }
        List<String> test = Files.readAllLines(tmp.resolve("data/test.jsonl"));
        for (int i = 0; i < 12; i++) {
            lines.add(JSON.writeValueAsString(java.util.Map.of(
                    "text", JSON.readTree(test.get(i)).get("text").asText())));
        }
        Files.write(more, lines);
        int identicalBefore = JSON.readTree(tmp.resolve("out/metrics.json").toFile())
                .at("/data/identical_to_training/test/rows")
                .asInt();

        List<String> log = new ArrayList<>();
        Recipe r = recipe(tmp, "data.unlabelled=more.jsonl");
        assertThat(r.data().unlabelled()).isEqualTo(tmp.resolve("more.jsonl"));
        ExperimentResults results = experiment(r, tmp, log).run();
        assertThat(log).anyMatch(l -> l.startsWith("data.unlabelled: 72 rows of "));
        // The teacher and the scratch student are those of the run without them; the distilled student
        // learns from the teacher's outputs on the 600 training rows and the 72 others.
        assertThat(log).anyMatch(l -> l.startsWith("teacher: reusing"));
        assertThat(log).anyMatch(l -> l.startsWith("student_scratch: reusing"));
        assertThat(log).anyMatch(l -> l.startsWith("teacher outputs on 672 training rows"));
        assertThat(results.models().get(2).metrics().testAccuracy()).isGreaterThan(0.8);
        // Test rows among the unlabelled ones are remembered through the teacher: the check counts them.
        assertThat(JSON.readTree(tmp.resolve("out/metrics.json").toFile())
                        .at("/data/identical_to_training/test/rows")
                        .asInt())
                .isGreaterThanOrEqualTo(identicalBefore + 12);
        assertThat(DataCheck.of(ExperimentData.load(r)).facts().get("rows").toString())
                .contains("unlabelled=72");
        // Training from shards holds no rows in memory to add them to: refused, naming the key.
        assertThatThrownBy(() -> experiment(r, tmp.resolve("shards"), new ArrayList<>())
                        .distillStudentFromShards(tmp.resolve("no-shards"), null, 1000))
                .hasMessageContaining("data.unlabelled");
        // A label in the file must name a class; for images there is no unlabelled file to read.
        Files.write(more, List.of(JSON.writeValueAsString(java.util.Map.of("text", "a b", "label", "kernel"))));
        assertThatThrownBy(() -> ExperimentData.load(recipe(tmp, "data.unlabelled=more.jsonl")))
                .hasMessageContaining("more.jsonl")
                .hasMessageContaining("kernel");
    }

    @Test
    void studentDistilledWithoutLabelsIsRetrainedAndSaysSo(@TempDir Path tmp) throws Exception {
        experiment(recipe(tmp), tmp, new ArrayList<>()).run();

        List<String> log = new ArrayList<>();
        Recipe noLabels = recipe(tmp, "distillation.use_labels=false", "distillation.alpha=1");
        ExperimentResults results = experiment(noLabels, tmp, log).run();

        // Only the distilled student's training changed, so only it is trained again.
        assertThat(log).anyMatch(l -> l.startsWith("teacher: reusing"));
        assertThat(log).anyMatch(l -> l.startsWith("student_scratch: reusing"));
        assertThat(log).noneMatch(l -> l.startsWith("student_distilled: reusing"));
        ModelResult distilled = results.models().get(2);
        // The teacher's outputs alone still teach the word families.
        assertThat(distilled.metrics().testAccuracy()).isGreaterThan(0.8);
        // Trained on unlabeled rows: no hard-label accuracy during training.
        assertThat(distilled.history().get(0).trainAccuracy()).isNaN();

        Path student = tmp.resolve("out/student_distilled");
        assertThat(Provenance.read(student).training().get("distillation").toString())
                .contains("use_labels=false");
        JsonNode metrics = JSON.readTree(tmp.resolve("out/metrics.json").toFile());
        assertThat(metrics.at("/recipe/distillation/use_labels").asBoolean(true))
                .isFalse();
    }

    @Test
    void aSavedTextTeacherWithOtherFeaturesIsRefused(@TempDir Path tmp) throws Exception {
        experiment(recipe(tmp), tmp, new ArrayList<>()).run();
        Path teacher = tmp.resolve("out/teacher");
        Recipe other = recipe(
                tmp,
                "teacher.source=distill4j",
                "teacher.path=" + teacher,
                "teacher.model=",
                "teacher.training=",
                "data.features.word_ngrams=1");

        assertThatThrownBy(() -> new Experiment(
                                other,
                                tmp.resolve("out2"),
                                new Experiment.Options(tmp.resolve("cache"), false),
                                ExperimentListener.NONE)
                        .run())
                .isInstanceOf(IOException.class)
                .hasMessageContaining(teacher.toString())
                .hasMessageContaining("word_ngrams=2")
                .hasMessageContaining("word_ngrams=1")
                .hasMessageContaining("data.features");
    }
}
