package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A language-model run whose test split holds a single document has nothing to resample: the run
 * still writes its metrics and report, and says why the paired comparison is missing instead of
 * failing after the students have trained.
 */
class LmTestComparisonTest {

    @TempDir
    Path tmp;

    @Test
    void aSingleTestDocumentLeavesTheComparisonOutAndTheRunWhole() throws Exception {
        String[] words = {"tool", "library", "daemon", "plugin", "font", "driver", "shell", "parser", "game", "theme"};
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            docs.add(new Document(
                    "d" + i,
                    "package " + i + ": a " + words[i % words.length] + " for " + words[(i * 3) % words.length]
                            + " users, written in C and kept small for the tests."));
        }
        int seed = 0;
        for (int s = 1; s < 500 && seed == 0; s++) {
            try {
                if (CorpusSplit.bySeed(docs, s, 0.2, 0.1).test().size() == 1) {
                    seed = s;
                }
            } catch (IllegalArgumentException emptySplit) {
                // this seed leaves a split empty; try the next
            }
        }
        assertThat(seed).as("a split seed with exactly one test document").isPositive();
        Path corpus = Files.writeString(
                tmp.resolve("corpus.jsonl"),
                docs.stream().map(d -> "{\"text\": \"" + d.text() + "\"}").collect(Collectors.joining("\n", "", "\n")));
        LmRecipe recipe = LmRecipe.parse("""
                name: one-test-document
                seed: 3
                data: {format: text, path: %s, validation: 0.2, test: 0.1, split_seed: %d, context: 32}
                teacher: {layers: 1, width: 16, heads: 2, training: {steps: 3, batch_size: 4}}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 3, batch_size: 4}}
                evaluation: {prompts: ["a "], sample_tokens: 4, generation_tokens: 4}
                """.formatted(corpus, seed), "one", tmp, List.of());

        LmRuns.run(recipe, tmp.resolve("out"), tmp.resolve("cache"));

        JsonNode m = new ObjectMapper().readTree(tmp.resolve("out/metrics.json").toFile());
        assertThat(m.get("models")).hasSize(3);
        assertThat(m.at("/test_comparison/test/unavailable").asText())
                .isEqualTo("a paired comparison needs at least 2 documents, the split has 1");
        assertThat(Files.readString(tmp.resolve("out/results.md")))
                .contains("student-distilled")
                .doesNotContain("Distilled student against its scratch twin");
    }
}
