package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.IdxDataset;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.report.ExperimentResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline on a small slice of the real Fashion-MNIST (Debian's dataset-fashion-mnist). */
class ExperimentFashionMnistTest {

    static final String RECIPE = """
            name: fmnist-slice
            seed: 3
            data: {format: idx, dir: %s, validation_fraction: 0.1, train_limit: 2000, test_limit: 500}
            teacher:
              terms: mit
              model: {type: mlp, hidden: [128]}
              training: {epochs: 3, batch_size: 64, learning_rate: 0.002}
            student:
              model: {type: mlp, hidden: [8]}
              training: {epochs: 3, batch_size: 64, learning_rate: 0.005}
            distillation: {temperature: 4, alpha: 0.7}
            evaluation: {latency_runs: 20, throughput_batch: 64}
            """;

    @Test
    void runsEndToEndOnASliceAndReusesEverythingTheSecondTime(@TempDir Path tmp) throws Exception {
        Path dir = IdxDataset.DEBIAN_FASHION_MNIST;
        boolean required = "true".equals(System.getenv("DISTILL4J_REQUIRE_DATA"));
        assumeTrue(required || Files.isDirectory(dir), "Fashion-MNIST missing: apt-get install dataset-fashion-mnist");
        Recipe recipe = RecipeLoader.parse(RECIPE.formatted(dir), "test", tmp, List.of());
        Path out = tmp.resolve("out");
        Experiment.Options options = new Experiment.Options(tmp.resolve("cache"), false);

        ExperimentResults first = new Experiment(recipe, out, options, ExperimentListener.NONE).run();

        assertThat(first.models())
                .extracting(r -> r.role())
                .containsExactly("teacher", "student_scratch", "student_distilled");
        assertThat(first.models().get(0).metrics().testAccuracy()).isGreaterThan(0.7);
        assertThat(first.models().get(2).metrics().params())
                .isLessThan(first.models().get(0).metrics().params() / 10);
        JsonNode metrics =
                new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        for (String role : List.of("teacher", "student_scratch", "student_distilled")) {
            for (String key : List.of(
                    "test_accuracy",
                    "test_errors",
                    "params",
                    "size_bytes",
                    "agreement_with_teacher",
                    "latency_ms_p50",
                    "throughput_per_s")) {
                assertThat(metrics.at("/models/" + role + "/" + key).isNumber())
                        .as(role + "." + key)
                        .isTrue();
            }
        }
        // Images have no text to compare: no near-duplicate check. Identical images are looked for,
        // and Fashion-MNIST has none (0 of the 10,000 test images in the training file, also by
        // comparing the IDX bytes in Python).
        assertThat(metrics.at("/data/split_overlap").isMissingNode()).isTrue();
        assertThat(metrics.at("/data/identical_to_training/test/rows").isInt()).isTrue();
        assertThat(metrics.at("/data/identical_to_training/test/rows").asInt()).isZero();
        assertThat(out.resolve("report.html")).exists();
        assertThat(out.resolve("results.md")).exists();

        // A second run of the same recipe trains nothing: it reuses the complete models.
        StringBuilder log = new StringBuilder();
        ExperimentResults second = new Experiment(recipe, out, options, new ExperimentListener() {
                    @Override
                    public void info(String message) {
                        log.append(message).append('\n');
                    }
                })
                .run();
        assertThat(log).contains("teacher: reusing", "student_scratch: reusing", "student_distilled: reusing");
        assertThat(second.models().get(2).metrics().testErrors())
                .isEqualTo(first.models().get(2).metrics().testErrors());
    }
}
