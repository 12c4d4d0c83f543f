package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.report.ExperimentResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data.labelled_share} end to end on a slice of Fashion-MNIST: the teacher learns from every
 * label, the scratch student from the labelled share alone, the distilled student from every row
 * (the teacher's outputs alone on the others), and each one's provenance names the rows it had.
 */
class ExperimentLabelledShareTest {

    @Test
    void scratchLearnsFromTheShareAndTheDistilledStudentFromEveryRow(@TempDir Path tmp) throws Exception {
        Path dir = IdxDataset.DEBIAN_FASHION_MNIST;
        boolean required = "true".equals(System.getenv("DISTILL4J_REQUIRE_DATA"));
        assumeTrue(required || Files.isDirectory(dir), "Fashion-MNIST missing: apt-get install dataset-fashion-mnist");
        String yaml = ExperimentFashionMnistTest.RECIPE
                .formatted(dir)
                .replace("test_limit: 500}", "test_limit: 500, labelled_share: 0.05}")
                .replace("distillation: {temperature: 4, alpha: 0.7}", "distillation: {temperature: 2, alpha: 0.5}")
                // Enough epochs for the 90 labelled rows (2 batches each) to be learnt.
                .replace(
                        "training: {epochs: 3, batch_size: 64, learning_rate: 0.005}",
                        "training: {epochs: 30, batch_size: 64, learning_rate: 0.005}");
        Recipe recipe = RecipeLoader.parse(yaml, "test", tmp, List.of());
        assertThat(recipe.data().studentLabelShare()).isEqualTo(0.05);
        Path out = tmp.resolve("out");
        StringBuilder log = new StringBuilder();
        ExperimentResults results = new Experiment(
                        recipe, out, new Experiment.Options(tmp.resolve("cache"), false), new ExperimentListener() {
                            @Override
                            public void info(String message) {
                                log.append(message).append('\n');
                            }
                        })
                .run();

        // 2,000 rows minus the 10% validation hold-out: 1,800, of which 5% of each class keep a label.
        ExperimentData data = ExperimentData.load(recipe);
        ExampleSets.LabelledShare share = ExampleSets.labelledShare(data.train(), 0.05, 3);
        int labelled = share.labelled().size();
        assertThat(labelled).isBetween(85, 95);
        assertThat(log)
                .contains("data.labelled_share 0.05: the students may use the labels of " + labelled
                        + " of the 1800 training rows");
        ObjectMapper json = new ObjectMapper();
        assertThat(trainRows(json, out.resolve("teacher"))).isEqualTo(1800);
        assertThat(trainRows(json, out.resolve("student_scratch"))).isEqualTo(labelled);
        assertThat(trainRows(json, out.resolve("student_distilled"))).isEqualTo(1800);
        assertThat(trainHash(json, out.resolve("student_scratch")))
                .isEqualTo(share.labelled().contentHash());
        assertThat(trainHash(json, out.resolve("student_distilled")))
                .isEqualTo(share.transfer().contentHash());
        // With 90 labels the scratch student is far behind the teacher; the teacher's outputs on
        // the other 1,710 rows carry the distilled one part of the way (measured on 500 test rows,
        // 1 thread: scratch 0.568, distilled 0.662, teacher 0.742).
        double scratch = results.models().get(1).metrics().testAccuracy();
        double distilled = results.models().get(2).metrics().testAccuracy();
        assertThat(distilled).isGreaterThan(scratch + 0.05);

        // Training from shards cannot choose among rows it does not hold: refused, naming the key.
        assertThatThrownBy(() -> new Experiment(
                                recipe,
                                tmp.resolve("out2"),
                                new Experiment.Options(tmp.resolve("cache"), false),
                                ExperimentListener.NONE)
                        .distillStudentFromShards(tmp.resolve("no-shards"), null, 1000))
                .hasMessageContaining("labelled_share");
    }

    @Test
    void aTeacherShareKeepsTheStudentsRowsFromTheTeacher(@TempDir Path tmp) throws Exception {
        Path dir = IdxDataset.DEBIAN_FASHION_MNIST;
        boolean required = "true".equals(System.getenv("DISTILL4J_REQUIRE_DATA"));
        assumeTrue(required || Files.isDirectory(dir), "Fashion-MNIST missing: apt-get install dataset-fashion-mnist");
        String yaml = ExperimentFashionMnistTest.RECIPE
                .formatted(dir)
                .replace("test_limit: 500}", "test_limit: 500, teacher_split: 0.5, labelled_share: 0.2}");
        Recipe recipe = RecipeLoader.parse(yaml, "test", tmp, List.of());
        ExperimentData data = ExperimentData.load(recipe);

        // 1,800 training rows: 900 for the teacher, the other 900 for the students, none shared.
        assertThat(data.teacherTrain().size()).isEqualTo(900);
        assertThat(data.train().size()).isEqualTo(900);
        java.util.Set<String> teacherRows = rowDigests(data.teacherTrain());
        assertThat(rowDigests(data.train())).doesNotContainAnyElementsOf(teacherRows);
        // The validation and test rows are the recipe's, as without the key.
        Recipe plain = RecipeLoader.parse(ExperimentFashionMnistTest.RECIPE.formatted(dir), "test", tmp, List.of());
        ExperimentData all = ExperimentData.load(plain);
        assertThat(data.validation().contentHash()).isEqualTo(all.validation().contentHash());
        assertThat(all.teacherTrain()).isSameAs(all.train());

        Path out = tmp.resolve("out");
        StringBuilder log = new StringBuilder();
        new Experiment(recipe, out, new Experiment.Options(tmp.resolve("cache"), false), new ExperimentListener() {
                    @Override
                    public void info(String message) {
                        log.append(message).append('\n');
                    }
                })
                .run();
        assertThat(log)
                .contains("data.teacher_split 0.5: a teacher trained here learns from 900 training rows, the "
                        + "students from the other 900");
        ObjectMapper json = new ObjectMapper();
        assertThat(trainHash(json, out.resolve("teacher")))
                .isEqualTo(data.teacherTrain().contentHash());
        ExampleSets.LabelledShare share = ExampleSets.labelledShare(data.train(), 0.2, 3);
        assertThat(trainHash(json, out.resolve("student_scratch")))
                .isEqualTo(share.labelled().contentHash());
        assertThat(trainHash(json, out.resolve("student_distilled")))
                .isEqualTo(share.transfer().contentHash());
        assertThat(trainRows(json, out.resolve("student_scratch")))
                .isEqualTo(share.labelled().size());
    }

    /** One digest per row of features and label, to compare row sets of different views. */
    private static java.util.Set<String> rowDigests(org.distill4j.data.ExampleSet set) {
        java.util.Set<String> digests = new java.util.HashSet<>();
        float[] row = new float[set.featureSize()];
        for (int i = 0; i < set.size(); i++) {
            set.copyFeatures(new int[] {i}, row);
            digests.add(java.util.Arrays.hashCode(row) + ":" + set.label(i));
        }
        return digests;
    }

    private static long trainRows(ObjectMapper json, Path modelDir) throws Exception {
        return train(json, modelDir).get("rows").asLong();
    }

    private static String trainHash(ObjectMapper json, Path modelDir) throws Exception {
        return train(json, modelDir).get("content_hash").asText();
    }

    private static JsonNode train(ObjectMapper json, Path modelDir) throws Exception {
        JsonNode manifest = json.readTree(modelDir.resolve("provenance.json").toFile());
        for (JsonNode d : manifest.get("datasets")) {
            if (d.get("role").asText().equalsIgnoreCase("train")) {
                return d;
            }
        }
        throw new AssertionError("no training data set in " + modelDir.resolve("provenance.json") + ": " + manifest);
    }
}
