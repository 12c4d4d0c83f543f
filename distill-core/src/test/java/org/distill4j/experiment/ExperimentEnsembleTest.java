package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.IdxDataset;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.report.ExperimentResults;
import org.distill4j.report.ModelResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code teacher.ensemble} end to end on a slice of Fashion-MNIST: three members, distilled as one. */
class ExperimentEnsembleTest {

    @Test
    void trainsEachMemberWithItsOwnSeedAndDistilsTheirMean(@TempDir Path tmp) throws Exception {
        Path dir = IdxDataset.DEBIAN_FASHION_MNIST;
        boolean required = "true".equals(System.getenv("DISTILL4J_REQUIRE_DATA"));
        assumeTrue(required || Files.isDirectory(dir), "Fashion-MNIST missing: apt-get install dataset-fashion-mnist");
        String yaml = ExperimentFashionMnistTest.RECIPE
                .formatted(dir)
                .replace("learning_rate: 0.002}\n", "learning_rate: 0.002}\n  ensemble: 3\n");
        Recipe recipe = RecipeLoader.parse(yaml, "test", tmp, List.of());
        assertThat(recipe.teacher().ensemble()).isEqualTo(3);
        Path out = tmp.resolve("out");
        Experiment.Options options = new Experiment.Options(tmp.resolve("cache"), false);
        StringBuilder log = new StringBuilder();
        ExperimentListener listener = new ExperimentListener() {
            @Override
            public void info(String message) {
                log.append(message).append('\n');
            }
        };

        ExperimentResults results = new Experiment(recipe, out, options, listener).run();

        ObjectMapper json = new ObjectMapper();
        long params = 0;
        for (String member : List.of("teacher", "teacher-2", "teacher-3")) {
            assertThat(out.resolve(member).resolve(SavedModel.PARAMS)).isRegularFile();
            try (SavedModel m = SavedModel.load(out.resolve(member))) {
                params += m.parameterCount();
            }
        }
        // Members differ by seed (recipe seed 3, then 4 and 5), on the same split.
        assertThat(Files.readAllBytes(out.resolve("teacher-2").resolve(SavedModel.PARAMS)))
                .isNotEqualTo(Files.readAllBytes(out.resolve("teacher").resolve(SavedModel.PARAMS)));
        assertThat(json.readTree(out.resolve("teacher-3")
                                .resolve("provenance.json")
                                .toFile())
                        .findValue("seed")
                        .asLong())
                .isEqualTo(5);
        ModelResult teacher = results.models().get(0);
        assertThat(teacher.description()).startsWith("ensemble of 3 (mean probability)");
        assertThat(teacher.metrics().params()).isEqualTo(params);
        // No member's training curve stands for the ensemble's.
        assertThat(teacher.history()).isEmpty();
        JsonNode distilled = json.readTree(out.resolve(Experiment.STUDENT_DISTILLED)
                .resolve("provenance.json")
                .toFile());
        assertThat(distilled.findValue("teacher").get("kind").asText()).isEqualTo("ensemble");
        assertThat(results.models().get(2).metrics().testAccuracy()).isGreaterThan(0.5);

        // A second run reuses every member.
        log.setLength(0);
        new Experiment(recipe, out, options, listener).run();
        assertThat(log).contains("teacher: reusing", "teacher-2: reusing", "teacher-3: reusing");
    }
}
