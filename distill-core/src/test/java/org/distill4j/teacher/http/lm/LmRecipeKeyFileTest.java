package org.distill4j.teacher.http.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.distill4j.lm.experiment.LmExperiment;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.recipe.RecipeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code teacher.http.api_key_file} in a language-model recipe, against a loopback completions
 * server that answers 401 without the bearer key: the key is read from the file (relative to the
 * recipe), sent, and written into no file of the run (metrics, provenance, cache, journal); with
 * {@code api_key_env} as well the recipe is refused naming the field.
 */
@Timeout(180)
class LmRecipeKeyFileTest {

    @TempDir
    Path tmp;

    @Test
    void theKeyIsReadFromItsFileSentAndWrittenNowhere() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "dog", "ate", "bone"};
        StringBuilder corpus = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            corpus.append(json.writeValueAsString(
                            Map.of("text", "doc " + i + " " + words[i % 9] + " " + words[(i * 4) % 9] + " here")))
                    .append('\n');
        }
        Path text = Files.writeString(tmp.resolve("corpus.jsonl"), corpus);
        String key = "sk-lm-keyfile-7d21c9e4";
        Path keyFile = Files.createDirectories(tmp.resolve("secrets")).resolve("teacher.key");
        Files.writeString(keyFile, key + "\n");
        Path out = tmp.resolve("run");
        try (FakeCompletionsServer server = new FakeCompletionsServer().requireKey(key)) {
            String yaml = """
                    name: lm-key-file
                    seed: 3
                    data: {format: text, path: %s, validation: 0.1, test: 0.1, context: 16}
                    teacher:
                      terms: mit
                      http: {url: '%s', model: teacher, api_key_file: secrets/teacher.key, concurrency: 2}
                    student:
                      layers: 1
                      width: 16
                      heads: 2
                      training: {steps: 2, batch_size: 4}
                    distillation: {variant: topk, k: 3}
                    evaluation: {prompts: ["the"], sample_tokens: 2, generation_tokens: 2}
                    """.formatted(text, server.baseUrl());
            LmRecipe recipe = LmRecipe.parse(yaml, "test", tmp, List.of());
            assertThat(recipe.teacher().http().apiKeyFile()).isEqualTo(keyFile);
            new LmExperiment(
                            recipe,
                            out,
                            new LmExperiment.Options(tmp.resolve("cache"), null, false),
                            new PrintStream(OutputStream.nullOutputStream()))
                    .run();
            assertThat(server.requests()).as("windows asked with the key").isPositive();

            assertThatThrownBy(() -> LmRecipe.parse(yaml, "test", tmp, List.of("teacher.http.api_key_env=SOME_VAR")))
                    .isInstanceOf(RecipeException.class)
                    .hasMessageContaining("api_key_file");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(tmp)) {
            files = s.filter(Files::isRegularFile)
                    .filter(p -> !p.equals(keyFile))
                    .toList();
        }
        assertThat(files).anyMatch(p -> p.getFileName().toString().equals("provenance.json"));
        assertThat(files).anyMatch(p -> p.getFileName().toString().startsWith("lm-topk-"));
        for (Path f : files) {
            assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1))
                    .as(f.toString())
                    .doesNotContain(key);
        }
    }
}
