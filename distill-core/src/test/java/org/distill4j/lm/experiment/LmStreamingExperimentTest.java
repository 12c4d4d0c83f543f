package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.recipe.RecipeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data.streaming: true} end to end: a tiny top-k recipe run once in memory and once streamed
 * into token files gives the same metrics (every model's bits per byte, also on the test documents
 * without a near duplicate in training, losses, agreement and
 * samples) and a byte-identical top-k teacher-output cache; streaming with sequence-level KD is
 * refused by name.
 */
class LmStreamingExperimentTest {

    @TempDir
    Path tmp;

    private static String yaml(boolean streaming) {
        return """
                name: tiny-stream
                seed: 5
                data: {format: text, path: %s, max_bytes: 50000, validation: 0.1, test: 0.1, context: 32, streaming: %s}
                teacher:
                  layers: 1
                  width: 32
                  heads: 2
                  training: {steps: 30, batch_size: 8, learning_rate: 0.01, warmup_steps: 5}
                student:
                  layers: 1
                  width: 16
                  heads: 2
                  training: {steps: 20, batch_size: 8, learning_rate: 0.01, warmup_steps: 5}
                distillation: {variant: topk, k: 4, alpha: 0.5}
                evaluation: {prompts: ["GNU "], sample_tokens: 8, generation_tokens: 8}
                """.formatted(DebianCorpus.trainFile(), streaming);
    }

    private JsonNode run(boolean streaming, ByteArrayOutputStream log) throws Exception {
        String name = streaming ? "streamed" : "memory";
        LmRecipe recipe = LmRecipe.parse(yaml(streaming), name, tmp, List.of());
        assertThat(recipe.streaming()).isEqualTo(streaming);
        new LmExperiment(
                        recipe,
                        tmp.resolve(name),
                        new LmExperiment.Options(tmp.resolve(name + "-cache"), null, true),
                        new PrintStream(log, true, StandardCharsets.UTF_8))
                .run();
        return new ObjectMapper()
                .readTree(tmp.resolve(name).resolve("metrics.json").toFile());
    }

    @Test
    void aStreamedRunEqualsTheInMemoryRunBitForBit() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        ByteArrayOutputStream memLog = new ByteArrayOutputStream();
        ByteArrayOutputStream streamLog = new ByteArrayOutputStream();
        JsonNode mem = run(false, memLog);
        JsonNode streamed = run(true, streamLog);
        assertThat(streamLog.toString(StandardCharsets.UTF_8)).contains("corpus: streamed into token files");
        assertThat(memLog.toString(StandardCharsets.UTF_8)).doesNotContain("streamed");

        Path packed = Path.of(streamed.at("/corpus/packed").asText());
        assertThat(packed).startsWith(tmp.resolve("streamed-cache"));
        assertThat(packed.resolve("train.tokens")).exists();
        ((ObjectNode) streamed.get("corpus")).remove("packed");
        // Two passes over the file find the near duplicates that the in-memory split does.
        assertThat(mem.at("/corpus/split_overlap/test/checked").asInt()).isPositive();
        assertThat(mem.at("/corpus/split_overlap/test/near_duplicates").asInt()).isPositive();
        // The test documents without one are scored apart, by every model and the baseline alike.
        assertThat(mem.at("/corpus/split_overlap/test_without_near_duplicate/documents")
                        .asInt())
                .isEqualTo(mem.at("/corpus/split_overlap/test/checked").asInt()
                        - mem.at("/corpus/split_overlap/test/near_duplicates").asInt());
        assertThat(mem.at("/unigram/" + LmExperiment.NOVEL_BITS).asDouble())
                .isGreaterThan(mem.at("/models/0/" + LmExperiment.NOVEL_BITS).asDouble());
        assertThat(Files.readString(tmp.resolve("memory").resolve("results.md")))
                .contains("test documents without one (");
        assertThat(Files.readString(tmp.resolve("memory").resolve("report.html")))
                .contains("test documents without one (")
                .contains("have a near duplicate among the training documents");
        assertThat(streamed.get("corpus")).isEqualTo(mem.get("corpus"));
        assertThat(streamLog.toString(StandardCharsets.UTF_8)).contains("near duplicate among the training documents");
        assertThat(streamed.get("unigram")).isEqualTo(mem.get("unigram"));
        assertThat(streamed.get("models")).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode a = mem.get("models").get(i);
            JsonNode b = streamed.get("models").get(i);
            for (String key : new String[] {
                "model",
                "validation_bits_per_byte",
                "test_bits_per_byte",
                LmExperiment.NOVEL_BITS,
                "history",
                "training_tokens",
                "top1_agreement_with_teacher",
                "samples"
            }) {
                assertThat(b.get(key)).as(a.get("model") + " " + key).isEqualTo(a.get(key));
            }
        }
        // The paired comparison of the students is of the same documents the rows score.
        JsonNode cmp = mem.get(LmExperiment.TEST_COMPARISON);
        assertThat(streamed.get(LmExperiment.TEST_COMPARISON)).isEqualTo(cmp);
        double teacher = mem.at("/models/0/test_bits_per_byte").asDouble();
        double scratch = mem.at("/models/1/test_bits_per_byte").asDouble();
        double distilled = mem.at("/models/2/test_bits_per_byte").asDouble();
        assertThat(cmp.at("/test/bits_per_byte_saved/difference").asDouble())
                .isCloseTo(scratch - distilled, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(cmp.at("/test/bytes").asLong())
                .isEqualTo(mem.at("/corpus/test_bytes").asLong());
        assertThat(cmp.at("/test/gap_share/difference").asDouble())
                .isCloseTo((scratch - distilled) / (scratch - teacher), org.assertj.core.api.Assertions.within(1e-9));
        assertThat(cmp.at("/test_without_near_duplicate/documents").asInt())
                .isEqualTo(mem.at("/corpus/split_overlap/test_without_near_duplicate/documents")
                        .asInt());
        assertThat(cmp.at("/test_without_near_duplicate/bits_per_byte_saved/difference")
                        .asDouble())
                .isCloseTo(
                        mem.at("/models/1/" + LmExperiment.NOVEL_BITS).asDouble()
                                - mem.at("/models/2/" + LmExperiment.NOVEL_BITS).asDouble(),
                        org.assertj.core.api.Assertions.within(1e-9));
        assertThat(Files.readString(tmp.resolve("memory").resolve("results.md")))
                .contains("Distilled student against its scratch twin, on the "
                        + cmp.at("/test/documents").asInt() + " test documents: ");
        assertThat(memLog.toString(StandardCharsets.UTF_8))
                .contains("test: Distilled student against its scratch twin");
        assertThat(Files.readAllBytes(topK(tmp.resolve("streamed-cache"))))
                .isEqualTo(Files.readAllBytes(topK(tmp.resolve("memory-cache"))));
    }

    private static Path topK(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("lm-topk-"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    @Test
    void streamingWithSequenceLevelKdIsRefusedByName() {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        assertThatThrownBy(() -> LmRecipe.parse(yaml(true), "r", tmp, List.of("distillation.variant=sequence")))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("data.streaming");
    }
}
