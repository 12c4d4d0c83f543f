package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.distill4j.data.IdxDataset;
import org.distill4j.experiment.ExperimentListener;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The accuracy benchmark's output structure on a tiny slice of Fashion-MNIST (the benchmark
 * itself is not a test: this only checks that every row, chart and file is produced, and that a
 * rerun trains nothing).
 */
class AccuracyBenchmarkQuickTest {

    static final String RECIPE = """
            name: bench-slice
            seed: 5
            data: {format: idx, dir: %s, validation_fraction: 0.2, train_limit: 1500, test_limit: 400}
            teacher:
              terms: mit
              model: {type: mlp, hidden: [64]}
              training: {epochs: 2, batch_size: 64, learning_rate: 0.002}
            student:
              model: {type: mlp, hidden: [16]}
              training: {epochs: 2, batch_size: 64, learning_rate: 0.005}
            distillation: {temperature: 4, alpha: 0.9}
            evaluation: {latency_runs: 10, throughput_batch: 32}
            """;

    /** The benchmark over a recipe on Fashion-MNIST (skipped when absent), seeds 1 and 2, T in {1, 4}. */
    private static AccuracyBenchmark.Settings settings(
            String recipeTemplate, Path tmp, List<Integer> widths, boolean transferRows) throws Exception {
        Path dir = IdxDataset.DEBIAN_FASHION_MNIST;
        boolean required = "true".equals(System.getenv("DISTILL4J_REQUIRE_DATA"));
        assumeTrue(required || Files.isDirectory(dir), "Fashion-MNIST missing: apt-get install dataset-fashion-mnist");
        Recipe recipe = RecipeLoader.parse(recipeTemplate.formatted(dir), "test", tmp, List.of());
        return new AccuracyBenchmark.Settings(
                recipe,
                tmp.resolve("out"),
                tmp.resolve("docs"),
                tmp.resolve("cache"),
                List.of(1L, 2L),
                List.of(1.0, 4.0),
                List.of(1.0),
                widths,
                3,
                transferRows,
                "test");
    }

    @Test
    void writesEveryRowChartAndFileAndReusesStudents(@TempDir Path tmp) throws Exception {
        AccuracyBenchmark.Settings settings = settings(RECIPE, tmp, List.of(8), true);
        Path out = settings.out();
        Path docs = settings.docs();

        AccuracyReport report = new AccuracyBenchmark(settings, ExperimentListener.NONE).run();

        assertThat(report.runs().get("scratch")).hasSize(2);
        assertThat(report.runs().get("distilled")).hasSize(2).allMatch(StudentRun::distilled);
        assertThat(report.runs().get("sweep_T"))
                .extracting(StudentRun::temperature)
                .containsExactly(1.0, 4.0);
        assertThat(report.runs().get("sweep_alpha"))
                .extracting(StudentRun::alpha)
                .containsExactly(0.9, 1.0);
        assertThat(report.runs().get("transfer"))
                .extracting(StudentRun::transfer)
                .containsExactly("train/unlabeled", "train/without-3");
        assertThat(report.runs().get("sizes")).hasSize(2);
        JsonNode json = AccuracyBenchmark.MAPPER.readTree(
                out.resolve(AccuracyBenchmark.JSON).toFile());
        for (String key : List.of(
                "teacher",
                "scratch",
                "distilled",
                "gap_closed",
                "chosen_temperature",
                "chosen_alpha",
                "accuracy_gain")) {
            assertThat(json.at("/summary/" + key).isMissingNode()).as(key).isFalse();
        }
        assertThat(json.at("/summary/scratch/test_errors_std").isNumber()).isTrue();
        // Macro-F1 is measured for every student (not left NaN) and reported.
        assertThat(report.runs().get("distilled")).allMatch(r -> r.testMacroF1() > 0.3 && r.testMacroF1() < 1);
        assertThat(json.at("/summary/scratch/test_macro_f1_mean").asDouble()).isBetween(0.3, 1.0);
        assertThat(json.at("/summary/teacher/test_macro_f1").asDouble()).isBetween(0.3, 1.0);
        assertThat(docs.resolve(AccuracyBenchmark.JSON)).exists();
        assertThat(docs.resolve(AccuracyBenchmark.CHART_T)).isNotEmptyFile();
        assertThat(docs.resolve(AccuracyBenchmark.CHART_SIZE)).isNotEmptyFile();
        String md = Files.readString(docs.resolve("benchmarks.md"));
        assertThat(md)
                .contains(
                        "<!-- bench:accuracy:begin -->",
                        "student from scratch",
                        "student distilled",
                        "no labels",
                        "omitted",
                        "Temperature sweep",
                        "Test macro-F1 (the unweighted mean of the classes' F1): scratch ");

        // A rerun trains no student again: every run is read back from OUT/students.
        StringBuilder log = new StringBuilder();
        new AccuracyBenchmark(settings, new ExperimentListener() {
                    @Override
                    public void info(String message) {
                        log.append(message).append('\n');
                    }
                })
                .run();
        assertThat(log.toString().lines().filter(l -> l.contains("seed ")).filter(l -> l.contains(": train ")))
                .isEmpty();
        assertThat(log).contains("teacher: reusing");
    }

    static final String VIEWS_RECIPE = """
            name: bench-slice-views
            seed: 5
            data: {format: idx, dir: %s, validation_fraction: 0.2, train_limit: 1000, test_limit: 300}
            teacher:
              terms: mit
              model: {type: mlp, hidden: [32]}
              training: {epochs: 1, batch_size: 64, learning_rate: 0.002}
              ensemble: 2
            student:
              model: {type: cnn, channels: [4], kernel: 3, pool: 2}
              training: {epochs: 2, batch_size: 64, learning_rate: 0.005, augment: {shift: 2}}
            distillation: {temperature: 4, alpha: 0.9, mode: views, views: 2, correct_teacher: true}
            evaluation: {latency_runs: 10, throughput_batch: 32}
            """;

    @Test
    void distilsAnEnsembleChoosesTheScratchTwinsAugmentationAndScoresViewsOnce(@TempDir Path tmp) throws Exception {
        AccuracyBenchmark.Settings settings = settings(VIEWS_RECIPE, tmp, List.of(), false);
        Path docs = settings.docs();
        List<String> log = new java.util.ArrayList<>();
        ExperimentListener listener = new ExperimentListener() {
            @Override
            public void info(String message) {
                log.add(message);
            }
        };

        AccuracyReport report = new AccuracyBenchmark(settings, listener).run();

        // Three students distilled at seed 1 and one at seed 2: the views are the recipe's (seed 5), scored once.
        assertThat(log.stream().filter(l -> l.startsWith("views: the teacher scored 2 views of 800 rows")))
                .hasSize(1);
        assertThat(report.runs().get("distilled")).allMatch(r -> r.key().contains("views 2 (seed 5)"));
        // Every distilled student of the sweeps learnt from corrected targets, and the report says so.
        assertThat(report.runs().get("sweep_T")).allMatch(r -> r.key().contains("teacher corrected"));
        assertThat(report.runs().get("distilled")).allMatch(r -> r.key().contains("teacher corrected"));
        assertThat(Files.readString(docs.resolve("benchmarks.md"))).contains(", teacher corrected) |");

        // The teacher is the two members' mean probability, each trained with its own seed.
        @SuppressWarnings("unchecked")
        Map<String, Object> teacher = (Map<String, Object>) report.summary().get("teacher");
        assertThat(teacher.get("model").toString()).startsWith("ensemble of 2 x MLP");
        assertThat((List<?>) teacher.get("member_test_errors")).hasSize(2);
        assertThat(settings.out().resolve("teacher-2").resolve("model.json")).isRegularFile();
        assertThat(Files.readAllBytes(settings.out().resolve("teacher-2").resolve("model-0000.params")))
                .isNotEqualTo(
                        Files.readAllBytes(settings.out().resolve("teacher").resolve("model-0000.params")));
        List<StudentRun> choice = report.runs().get("sweep_scratch");
        assertThat(choice).hasSize(2).noneMatch(StudentRun::distilled);
        assertThat(choice.get(0).key()).doesNotContain("without augmentation");
        assertThat(choice.get(1).key()).endsWith("without augmentation");
        assertThat(choice.get(0).valAccuracy()).isNotEqualTo(choice.get(1).valAccuracy());
        boolean plainWins = choice.get(1).valAccuracy() > choice.get(0).valAccuracy();
        assertThat(report.runs().get("scratch"))
                .hasSize(2)
                .allMatch(r -> r.key().endsWith("without augmentation") == plainWins);
        assertThat(report.summary().get("scratch_training").toString())
                .startsWith(plainWins ? "without augmentation" : "the recipe's");
        assertThat(report.runs().get("sizes")).isEmpty();
        assertThat(docs.resolve(AccuracyBenchmark.CHART_SIZE)).doesNotExist();
        assertThat(Files.readString(docs.resolve("benchmarks.md")))
                .contains(
                        "The scratch twin's training (augmentation; with a labelled share, also the schedule), chosen on "
                                + "validation")
                .doesNotContain("accuracy vs student size");
    }

    @Test
    void aLabelledShareGivesScratchTheLabelledRowsAndTheDistilledStudentEveryRow(@TempDir Path tmp) throws Exception {
        String recipe = RECIPE.replace("test_limit: 400}", "test_limit: 400, labelled_share: 0.1}");
        AccuracyBenchmark.Settings settings = settings(recipe, tmp, List.of(), true);
        List<String> log = new java.util.ArrayList<>();
        AccuracyReport report = new AccuracyBenchmark(settings, new ExperimentListener() {
                    @Override
                    public void info(String message) {
                        log.add(message);
                    }
                })
                .run();

        // 1,500 rows less the 20% validation: 1,200, a tenth of each class labelled (rounded per class: 119).
        assertThat(log)
                .contains("data.labelled_share 0.1: scratch students train on 119 labelled rows, distilled ones "
                        + "on all 1,200");
        assertThat(report.runs().get("scratch")).allMatch(r -> r.transfer().startsWith("train/labelled-0.1"));
        assertThat(report.runs().get("distilled")).allMatch(r -> r.transfer().startsWith("train/partly-labelled-0.1"));
        // The scratch twin's schedule is chosen on validation: the recipe's 2 epochs, or as many
        // optimiser steps as the distilled student takes (20 epochs of its tenth of the rows).
        List<StudentRun> choice = report.runs().get("sweep_scratch");
        assertThat(choice).hasSize(2);
        assertThat(choice.get(0).key()).doesNotContain("epochs");
        assertThat(choice.get(1).key()).endsWith(" | 20 epochs");
        boolean longer = choice.get(1).valAccuracy() > choice.get(0).valAccuracy();
        assertThat(report.runs().get("scratch")).allMatch(r -> r.key().endsWith(" | 20 epochs") == longer);
        assertThat(report.summary().get("labelled_rows")).isEqualTo(119);
        assertThat(report.runs().get("transfer")).isEmpty();
        assertThat(log).contains("transfer-set rows skipped: they are defined on the fully labelled training rows");
        assertThat(Files.readString(settings.docs().resolve("benchmarks.md")))
                .contains(
                        "Labels: the students may use those of 119 training rows (`data.labelled_share: 0.1`",
                        "| the recipe's training, 20 epochs |")
                .doesNotContain("the recipe's augmentation");
    }

    @Test
    void redrawingLabelsGivesEachSeedItsOwnLabelledRowsAndKeepsTheRecipesDrawForTheSweeps(@TempDir Path tmp)
            throws Exception {
        String recipe = RECIPE.replace("test_limit: 400}", "test_limit: 400, labelled_share: 0.1}");
        AccuracyBenchmark.Settings s = settings(recipe, tmp, List.of(), false);
        AccuracyBenchmark.Settings settings = redrawing(s, s.recipe());

        AccuracyReport report = new AccuracyBenchmark(settings, ExperimentListener.NONE).run();

        // Recipe seed 5: student seeds 1 and 2 draw with 6 and 7, the sweeps with the recipe's 5.
        assertThat(report.runs().get("scratch"))
                .extracting(StudentRun::transfer)
                .containsExactly("train/labelled-0.1(seed 6)", "train/labelled-0.1(seed 7)");
        assertThat(report.runs().get("distilled"))
                .extracting(StudentRun::transfer)
                .containsExactly("train/partly-labelled-0.1(seed 6)", "train/partly-labelled-0.1(seed 7)");
        assertThat(report.runs().get("sweep_T"))
                .allMatch(r -> r.transfer().equals("train/partly-labelled-0.1(seed 5)"));
        assertThat(report.runs().get("sweep_scratch"))
                .allMatch(r -> r.transfer().equals("train/labelled-0.1(seed 5)"));
        // Two draws of the same size, different rows: the students of the two seeds are not each other's.
        assertThat(report.runs().get("scratch").get(0).valAccuracy())
                .isNotEqualTo(report.runs().get("scratch").get(1).valAccuracy());
        assertThat(report.summary().get("labelled_draw").toString()).startsWith("per student seed");
        // Three draws of labels, one set of inputs: the teacher's outputs are computed and cached once.
        try (var files = Files.list(settings.cacheDir())) {
            assertThat(files.filter(f -> f.toString().endsWith(".logits"))).hasSize(1);
        }
        assertThat(Files.readString(settings.docs().resolve("benchmarks.md")))
                .contains("(`--redraw-labels`: the recipe's seed plus the student's)");

        // Without a labelled share there is nothing to redraw: refused, naming the key.
        Recipe unshared = RecipeLoader.parse(RECIPE.formatted(IdxDataset.DEBIAN_FASHION_MNIST), "test", tmp, List.of());
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> redrawing(s, unshared)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("data.labelled_share");
    }

    /** {@code s} with {@code recipe}, one temperature, no transfer rows and {@code --redraw-labels}. */
    private static AccuracyBenchmark.Settings redrawing(AccuracyBenchmark.Settings s, Recipe recipe) {
        return new AccuracyBenchmark.Settings(
                recipe,
                s.out(),
                s.docs(),
                s.cacheDir(),
                s.seeds(),
                List.of(1.0),
                s.alphas(),
                s.widths(),
                s.omittedClass(),
                false,
                "test --redraw-labels",
                List.of(),
                false,
                true);
    }
}
