package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.distill4j.lm.corpus.DebianCorpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill check RECIPE}: on images and texts whose test rows copy known training rows it
 * counts exactly those (and the copies with another label), warns, and with {@code --strict} exits
 * 8; it refuses what {@code run} refuses (terms, a bad recipe) with the same codes; on a language-model
 * corpus split by document it names the grouped split. Nothing is trained.
 */
class CheckCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /**
     * 100 random 8x8 training images, 10 of each class (IDX data sets have Fashion-MNIST's 10); the
     * test split copies 10 of them (2 with another label) and adds 40.
     */
    private Path images() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Random r = new Random(5);
        byte[] train = new byte[100 * 64];
        byte[] trainLabels = new byte[100];
        r.nextBytes(train);
        for (int i = 0; i < 100; i++) {
            trainLabels[i] = (byte) (i % 10);
        }
        byte[] test = new byte[50 * 64];
        byte[] testLabels = new byte[50];
        r.nextBytes(test);
        for (int i = 0; i < 10; i++) {
            System.arraycopy(train, i * 7 * 64, test, i * 64, 64);
            testLabels[i] = (byte) (i < 2 ? (trainLabels[i * 7] + 1) % 10 : trainLabels[i * 7]);
        }
        for (int i = 10; i < 50; i++) {
            testLabels[i] = (byte) (i % 10);
        }
        CliTest.gz(data.resolve("train-images-idx3-ubyte.gz"), CliTest.header(0x803, 100, 8, 8), train);
        CliTest.gz(data.resolve("train-labels-idx1-ubyte.gz"), CliTest.header(0x801, 100), trainLabels);
        CliTest.gz(data.resolve("t10k-images-idx3-ubyte.gz"), CliTest.header(0x803, 50, 8, 8), test);
        CliTest.gz(data.resolve("t10k-labels-idx1-ubyte.gz"), CliTest.header(0x801, 50), testLabels);
        return CliTest.recipe(tmp, CliTest.RECIPE.replace("validation_fraction: 0.1", "validation_fraction: 0"));
    }

    @Test
    void countsTestImagesIdenticalToTrainingImagesAndTrainsNothing() throws Exception {
        Path recipe = images();
        Path json = tmp.resolve("check.json");
        CliTest.Run run = CliTest.distill(
                "check", recipe.toString(), "--cache-dir", tmp.resolve("cache").toString(), "--json", json.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("terms: Proceeding")
                .contains("data: rows: train 100, test 50; 10 classes")
                .contains("data: training rows per class: 10 to 10")
                .contains("data: test rows identical to a training row: 10")
                .contains("warning: 10 of the 50 test rows (20.0%) are identical to a training row (2 of them with"
                        + " another label)")
                .contains("tiny: `distill run " + recipe + "` would start (1 warning)");
        JsonNode facts = JSON.readTree(json.toFile());
        assertThat(facts.at("/data/identical_to_training/test/rows").asInt()).isEqualTo(10);
        assertThat(facts.at("/data/identical_to_training/test/with_another_label")
                        .asInt())
                .isEqualTo(2);
        assertThat(facts.at("/data/rows_per_class/train/absent")).isEmpty();
        assertThat(facts.at("/terms/outcome").asText()).isEqualTo("proceed");
        assertThat(facts.at("/warnings")).hasSize(1);
        assertThat(facts.has("split_overlap")).isFalse();
        assertThat(tmp.resolve("runs")).doesNotExist();
        assertThat(Path.of("runs", "tiny")).doesNotExist();

        CliTest.Run strict = CliTest.distill("check", recipe.toString(), "--strict");
        assertThat(strict.code()).isEqualTo(ExitCodes.CHECK_WARNINGS);

        // The data's own tolerance: 20% identical is below 25%, so --strict passes, and --json says why.
        CliTest.Run tolerant = CliTest.distill(
                "check", recipe.toString(), "--strict", "--max-identical-share", "0.25", "--json", json.toString());
        assertThat(tolerant.code()).as(tolerant.out()).isZero();
        assertThat(tolerant.out()).contains("would start (0 warnings)").doesNotContain("warning: ");
        assertThat(JSON.readTree(json.toFile())
                        .at("/thresholds/identical_share")
                        .asDouble())
                .isEqualTo(0.25);
        CliTest.Run bad = CliTest.distill("check", recipe.toString(), "--max-identical-share", "1.5");
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("identical-rows share").contains("1.5").contains("[0, 1]");
        CliTest.Run ratio = CliTest.distill("check", recipe.toString(), "--max-class-ratio", "0.5");
        assertThat(ratio.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(ratio.err()).contains("class-size ratio").contains("0.5");
    }

    @Test
    void refusesWhatRunRefusesWithTheSameCodes() throws Exception {
        Path recipe = images();
        // An API teacher under OpenAI's terms, refused before anything is read or sent.
        String text = Files.readString(recipe);
        Files.writeString(
                recipe,
                text.substring(0, text.indexOf("teacher:"))
                        + "teacher: {source: http, http: {protocol: openai, url: 'http://127.0.0.1:9', model: m},"
                        + " terms: openai-api}\n" + text.substring(text.indexOf("student:")));
        CliTest.Run refused = CliTest.distill("check", recipe.toString());
        assertThat(refused.code()).as(refused.err()).isEqualTo(ExitCodes.REFUSED);
        assertThat(refused.err()).contains("Refusing to distil");
        assertThat(refused.out()).doesNotContain("data:");

        CliTest.Run bad = CliTest.distill("check", recipe.toString(), "--set", "student.training.epoch=3");
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("epoch");
    }

    @Test
    void textsGetTheNearDuplicateCountToo() throws Exception {
        Random r = new Random(9);
        List<String> train = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            StringBuilder b = new StringBuilder();
            for (int w = 0; w < 20; w++) {
                b.append(w == 0 ? "" : " ").append("w").append(r.nextInt(100_000));
            }
            train.add(b.toString());
        }
        List<String> test = new ArrayList<>(List.of(train.get(3), train.get(4) + " extra", "w1 w2 w3 w4 w5 w6 w7"));
        Path data = Files.createDirectories(tmp.resolve("text"));
        write(data.resolve("train.jsonl"), train);
        write(data.resolve("test.jsonl"), test);
        Path recipe = Files.writeString(tmp.resolve("text.yaml"), """
                name: texts
                data: {format: jsonl, dir: text, validation_fraction: 0}
                teacher:
                  terms: mit
                  model: {type: bag, buckets: 64, dim: 4}
                  training: {epochs: 1, batch_size: 8, learning_rate: 0.01}
                student:
                  model: {type: bag, buckets: 64, dim: 4}
                  training: {epochs: 1, batch_size: 8, learning_rate: 0.01}
                """);
        CliTest.Run run = CliTest.distill("check", recipe.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("data: test rows identical to a training row: 1")
                .contains("data: 66.7% of the test rows (2 of 3 checked) have a near duplicate among the training"
                        + " rows");
    }

    private static void write(Path file, List<String> texts) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            lines.add(JSON.writeValueAsString(Map.of("text", texts.get(i), "label", i % 2 == 0 ? "a" : "b")));
        }
        Files.write(file, lines);
    }

    @Test
    void aLanguageModelCorpusSplitByDocumentIsToldAboutTheGroupedSplit() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        Path recipe = Files.writeString(tmp.resolve("lm.yaml"), """
                name: lm-check
                data: {format: text, path: %s, max_bytes: 200000, context: 32}
                teacher: {layers: 1, width: 16, heads: 2, training: {steps: 10}}
                student: {layers: 1, width: 8, heads: 2, training: {steps: 10}}
                """.formatted(DebianCorpus.trainFile()));
        String cache = tmp.resolve("cache").toString();
        CliTest.Run byDocument = CliTest.distill(
                "check", recipe.toString(), "--cache-dir", cache, "--acknowledge-unknown-terms", "--strict");
        assertThat(byDocument.code()).as(byDocument.err()).isEqualTo(ExitCodes.CHECK_WARNINGS);
        assertThat(byDocument.out())
                .contains("data: corpus: ")
                .contains("split by document")
                .contains("data: a run scores every model also on the ")
                .contains("warning: ")
                .contains("`data.split_by: near_duplicates`");
        CliTest.Run tolerant = CliTest.distill(
                "check",
                recipe.toString(),
                "--cache-dir",
                cache,
                "--acknowledge-unknown-terms",
                "--strict",
                "--max-near-duplicate-share",
                "0.9");
        assertThat(tolerant.code()).as(tolerant.out()).isZero();
        assertThat(tolerant.out()).contains("split by document").doesNotContain("warning: ");
        CliTest.Run grouped = CliTest.distill(
                "check",
                recipe.toString(),
                "--cache-dir",
                cache,
                "--acknowledge-unknown-terms",
                "--strict",
                "--set",
                "data.split_by=near_duplicates");
        assertThat(grouped.code()).as(grouped.err()).isZero();
        assertThat(grouped.out())
                .contains("split by near-duplicate group")
                .contains("data: 0.0% of the test documents")
                .doesNotContain("scores every model also on")
                .doesNotContain("warning: ");
        assertThat(tmp.resolve("cache")).doesNotExist(); // in memory: nothing packed
    }
}
