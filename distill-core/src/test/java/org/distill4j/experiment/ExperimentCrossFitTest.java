package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.IdxDataset;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.report.ExperimentResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distillation.cross_fit} end to end on a slice of Fashion-MNIST: k teachers, one per fold. */
class ExperimentCrossFitTest {

    @Test
    void theDistilledStudentLearnsFromCrossFittedOutputs(@TempDir Path tmp) throws Exception {
        Path dir = IdxDataset.DEBIAN_FASHION_MNIST;
        boolean required = "true".equals(System.getenv("DISTILL4J_REQUIRE_DATA"));
        assumeTrue(required || Files.isDirectory(dir), "Fashion-MNIST missing: apt-get install dataset-fashion-mnist");
        String yaml = ExperimentFashionMnistTest.RECIPE
                .formatted(dir)
                .replace(
                        "distillation: {temperature: 4, alpha: 0.7}",
                        "distillation: {temperature: 4, alpha: 0.7, cross_fit: 2}");
        Recipe recipe = RecipeLoader.parse(yaml, "test", tmp, List.of());
        assertThat(recipe.distillation().crossFit()).isEqualTo(2);
        StringBuilder log = new StringBuilder();
        ExperimentResults results = new Experiment(
                        recipe,
                        tmp.resolve("out"),
                        new Experiment.Options(tmp.resolve("cache"), false),
                        new ExperimentListener() {
                            @Override
                            public void info(String message) {
                                log.append(message).append('\n');
                            }
                        })
                .run();
        assertThat(log).contains("cross-fitted teacher outputs: training 2 teachers");
        // Nothing of the cross-fitted outputs goes to the disk cache of the full teacher's outputs.
        assertThat(log).doesNotContain("computed and cached in");
        assertThat(results.models().get(2).metrics().testAccuracy()).isGreaterThan(0.5);
    }
}
