package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.eval.Predictions;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ExperimentData#heldOutOverlap()}: on JSONL files whose validation and test rows copy or
 * barely edit known training rows, it counts exactly those, on the rows of the students and of a
 * teacher trained on its own share alike.
 */
class ExperimentDataOverlapTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String words(Random r, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : " ").append("w").append(r.nextInt(100_000));
        }
        return b.toString();
    }

    private static void write(Path file, List<String> texts) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            lines.add(JSON.writeValueAsString(Map.of("text", texts.get(i), "label", i % 2 == 0 ? "a" : "b")));
        }
        Files.createDirectories(file.getParent());
        Files.write(file, lines);
    }

    /** 200 training rows; test: 10 copies, 10 one-word edits, 20 new rows; validation: 5 copies, 5 new. */
    private static Recipe recipe(Path tmp, String dataExtra) throws Exception {
        Random r = new Random(3);
        List<String> train = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            train.add(words(r, 25));
        }
        List<String> test = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            test.add(train.get(i * 19));
            String[] w = train.get(i * 19 + 1).split(" ");
            w[0] = "edited";
            test.add(String.join(" ", w));
        }
        for (int i = 0; i < 20; i++) {
            test.add(words(r, 25));
        }
        List<String> validation = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            validation.add(train.get(150 + i));
            validation.add(words(r, 25));
        }
        write(tmp.resolve("data/train.jsonl"), train);
        write(tmp.resolve("data/validation.jsonl"), validation);
        write(tmp.resolve("data/test.jsonl"), test);
        String yaml = """
                name: overlap
                seed: 7
                data: {format: jsonl, dir: data%s}
                teacher:
                  terms: mit
                  model: {type: bag, buckets: 64, dim: 4}
                  training: {epochs: 1, batch_size: 32, learning_rate: 0.01}
                student:
                  model: {type: bag, buckets: 64, dim: 4}
                  training: {epochs: 1, batch_size: 32, learning_rate: 0.01}
                """.formatted(dataExtra);
        return RecipeLoader.parse(yaml, "overlap", tmp, List.of());
    }

    @Test
    void countsTheHeldOutRowsThatRepeatTrainingRows(@TempDir Path tmp) throws Exception {
        for (String extra : List.of("", ", teacher_split: 0.5")) {
            Path dir = tmp.resolve(extra.isEmpty() ? "plain" : "split");
            ExperimentData data = ExperimentData.load(recipe(dir, extra));
            if (!extra.isEmpty()) {
                // The students' rows are only part of the training file; the teacher's are the rest.
                assertThat(data.train().size()).isLessThan(200);
            }
            Map<?, ?> overlap = data.heldOutOverlap().orElseThrow().report();
            assertThat(overlap.get("test"))
                    .as(extra)
                    .isEqualTo(Map.of("documents", 40, "checked", 40, "near_duplicates", 20, "share", 0.5));
            assertThat(overlap.get("validation"))
                    .as(extra)
                    .isEqualTo(Map.of("documents", 10, "checked", 10, "near_duplicates", 5, "share", 0.5));
            assertThat(data.heldOutOverlap().orElseThrow().novelTestRows())
                    .as(extra)
                    .containsExactly(IntStream.range(20, 40).toArray());
        }
    }

    @Test
    void aRunScoresEveryModelOnTheTestRowsThatRepeatNoTrainingRow(@TempDir Path tmp) throws Exception {
        Recipe recipe = recipe(tmp, "");
        List<String> log = new ArrayList<>();
        ExperimentTextTest.experiment(recipe, tmp, log).run();
        JsonNode metrics = JSON.readTree(tmp.resolve("out/metrics.json").toFile());
        JsonNode novel = metrics.at("/data/split_overlap/test_without_near_duplicate");
        assertThat(novel.get("rows").asInt()).isEqualTo(20);
        ExperimentData data = ExperimentData.load(recipe);
        ExampleSet rows =
                ExampleSets.subset(data.test(), IntStream.range(20, 40).toArray(), "novel");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            for (String role : List.of(Experiment.TEACHER, Experiment.STUDENT_SCRATCH, Experiment.STUDENT_DISTILLED)) {
                try (SavedModel model = SavedModel.load(tmp.resolve("out").resolve(role))) {
                    Predictions p = Predictions.of(model, rows, manager, 16);
                    assertThat(novel.at("/" + role + "/accuracy").asDouble())
                            .as(role)
                            .isEqualTo(p.accuracy(rows));
                    assertThat(novel.at("/" + role + "/macro_f1").asDouble())
                            .as(role)
                            .isEqualTo(p.macroF1(rows));
                }
            }
        }
        assertThat(Files.readString(tmp.resolve("out/results.md")))
                .contains("50.0% of the test rows (20 of 40 checked) and 50.0% of the validation rows have a near "
                        + "duplicate among the training rows")
                .contains("On the 20 test rows without one: teacher ")
                // The 10 copies; the odd ones sit at a training position of the other label.
                .contains("10 test rows (25.0%) are identical to a training row, 5 of them with another label.");
        assertThat(metrics.at("/data/identical_to_training/test/with_another_label")
                        .asInt())
                .isEqualTo(5);
        assertThat(log).anyMatch(l -> l.startsWith("data: warning: 10 of the 40 test rows (25.0%) are identical"));
        assertThat(log).anyMatch(l -> l.startsWith("data: warning: 50.0% of the test rows (20 of 40 checked)"));
        assertThat(log).noneMatch(l -> l.startsWith("data: 50.0%"));
    }
}
