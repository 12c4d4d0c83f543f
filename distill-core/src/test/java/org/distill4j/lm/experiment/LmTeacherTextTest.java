package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.distill4j.io.Hashing;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.recipe.RecipeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distillation.teacher_text_tokens}: token-level KD on the students' documents plus the
 * teacher's continuations of their prompts, continued in rounds when the documents are few; the
 * top-k cache covers that whole transfer set and its key names the text.
 */
class LmTeacherTextTest {

    @TempDir
    Path tmp;

    private String yaml(String distillation) {
        return """
                name: tiny-text
                seed: 5
                data: {format: text, path: %s, max_bytes: 50000, validation: 0.1, test: 0.1, context: 32, student_share: 0.1}
                teacher: {layers: 1, width: 32, heads: 2, training: {steps: 20, batch_size: 8, learning_rate: 0.01}}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 10, batch_size: 8, learning_rate: 0.01}}
                distillation: %s
                evaluation: {prompts: ["GNU "], sample_tokens: 4, generation_tokens: 4, scratch: false}
                """.formatted(DebianCorpus.trainFile(), distillation);
    }

    @Test
    void theTeachersTextJoinsTheStudentsDocumentsAndTheCacheCoversBoth() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmRecipe recipe = LmRecipe.parse(
                yaml(
                        "{variant: topk, k: 4, alpha: 0.5, prompt_bytes: 16, max_new_tokens: 40, teacher_text_tokens: 6000}"),
                "text",
                tmp,
                List.of());
        String log = LmRuns.run(recipe, tmp.resolve("out"), tmp.resolve("cache"));
        LmTrainingCorpus corpus = LmTrainingCorpus.read(recipe);
        int students = corpus.studentDocuments().size();

        JsonNode metrics =
                new ObjectMapper().readTree(tmp.resolve("out/metrics.json").toFile());
        JsonNode prov = new ObjectMapper()
                .readTree(tmp.resolve("out/student-distilled/provenance.json").toFile());
        JsonNode text = prov.at("/label_collection/teacher_text");
        assertThat(text.get("prompt_documents").asInt()).isEqualTo(students);
        // At most 40 new tokens a document: 6,000 tokens take more than one round of the students' documents.
        assertThat(text.get("documents").asInt()).isGreaterThan(students);
        assertThat(text.get("tokens").asLong()).isGreaterThanOrEqualTo(6000);
        assertThat(metrics.at("/distillation/teacher_text_tokens").asLong()).isEqualTo(6000);
        assertThat(log)
                .contains("transfer set: "
                        + String.format(
                                java.util.Locale.ROOT, "%,d", corpus.train().size())
                        + " windows of the students' documents");

        // The cache holds the teacher's top-k at every position of the transfer set, under a key of
        // the students' documents and the text together.
        int windows = text.get("transfer_windows").asInt();
        assertThat(windows).isGreaterThan(corpus.train().size());
        assertThat(metrics.at("/models/1/training_windows").asInt())
                .as("the distilled student trained on the whole transfer set")
                .isEqualTo(windows);
        Path cache;
        try (Stream<Path> s = Files.list(tmp.resolve("cache"))) {
            cache = s.filter(p -> p.getFileName().toString().startsWith("lm-topk-"))
                    .findFirst()
                    .orElseThrow();
        }
        String key = LmTrainingCorpus.topKCacheKey(
                LanguageModel.contentHash(tmp.resolve("out/teacher")),
                Hashing.sha256(corpus.trainHash() + "+teacher-text:"
                        + text.get("sha256").asText()),
                ByteTokenizer.INSTANCE.identity(),
                4,
                32);
        try (TopKCache c = TopKCache.open(cache, key)) {
            assertThat(c.positions())
                    .isGreaterThan(corpus.train().targetTokens())
                    .isBetween(
                            text.get("tokens").asLong(),
                            corpus.train().targetTokens() + text.get("tokens").asLong());
        }
    }

    @Test
    void withSequenceLevelKdTheStudentLearnsTheUnionsTextWithCrossEntropy() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmRecipe recipe = LmRecipe.parse(
                yaml("{variant: sequence, prompt_bytes: 16, max_new_tokens: 40, teacher_text_tokens: 3000}"),
                "text",
                tmp,
                List.of());
        LmRuns.run(recipe, tmp.resolve("seq"), tmp.resolve("cache"));
        LmTrainingCorpus corpus = LmTrainingCorpus.read(recipe);
        JsonNode prov = new ObjectMapper()
                .readTree(tmp.resolve("seq/student-distilled/provenance.json").toFile());
        JsonNode text = prov.at("/label_collection/teacher_text");
        assertThat(text.get("tokens").asLong()).isGreaterThanOrEqualTo(3000);
        assertThat(text.get("transfer_windows").asInt())
                .isGreaterThan(corpus.train().size());
        assertThat(prov.at("/training/distillation/variant").asText()).isEqualTo("sequence");
        assertThat(prov.at("/training/distillation/teacher_text_tokens").asLong())
                .isEqualTo(3000);
        JsonNode row = new ObjectMapper()
                .readTree(tmp.resolve("seq/metrics.json").toFile())
                .at("/models/1");
        assertThat(row.get("model").asText()).isEqualTo("student-distilled");
        assertThat(row.get("description").asText()).isEqualTo("CE()");
        assertThat(row.get("training_windows").asInt())
                .as("the student trained on the students' documents plus the text, not on the text alone")
                .isEqualTo(text.get("transfer_windows").asInt());

        // A rerun with the same cache reads the text the first run generated instead of generating it.
        Path file = Path.of(text.get("file").asText());
        assertThat(file).isRegularFile().hasParent(tmp.resolve("cache"));
        String log = LmRuns.run(recipe, tmp.resolve("seq2"), tmp.resolve("cache"));
        assertThat(log).contains("teacher text: reusing " + file);
        JsonNode again = new ObjectMapper()
                .readTree(tmp.resolve("seq2/student-distilled/provenance.json").toFile())
                .at("/label_collection/teacher_text");
        assertThat(again.get("source").asText()).contains("(reused " + file + ")");
        assertThat(again.get("sha256").asText()).isEqualTo(text.get("sha256").asText());
        assertThat(again.get("tokens").asLong()).isEqualTo(text.get("tokens").asLong());
        assertThat(new ObjectMapper()
                        .readTree(tmp.resolve("seq2/metrics.json").toFile())
                        .at("/models/1/test_bits_per_byte")
                        .asDouble())
                .as("the same text, the same student")
                .isEqualTo(row.get("test_bits_per_byte").asDouble());

        // A damaged file is refused, naming it, not read as less text.
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> LmRuns.run(recipe, tmp.resolve("seq3"), tmp.resolve("cache")))
                .isInstanceOf(org.distill4j.data.CorruptDataException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("delete it to generate again");
    }

    @Test
    void teacherTextIsRefusedBesideGeneratedTokensAndWithStreamingAndNoTextIsRefused() {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        assertThatThrownBy(() -> LmRecipe.parse(
                        yaml("{variant: sequence, generated_tokens: 100, teacher_text_tokens: 100}"),
                        "text",
                        tmp,
                        List.of()))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("distillation.teacher_text_tokens")
                .hasMessageContaining("are both set: give one");
        assertThatThrownBy(
                        () -> LmRecipe.parse(yaml("{variant: full, teacher_text_tokens: -1}"), "text", tmp, List.of()))
                .hasMessageContaining("distillation.teacher_text_tokens must be >= 0, got -1");
        assertThatThrownBy(
                        () -> LmRecipe.parse(yaml("{variant: sequence, generated_tokens: 0}"), "text", tmp, List.of()))
                .hasMessageContaining("distillation.generated_tokens must be >= 1, got 0");
        assertThatThrownBy(() -> LmRecipe.parse(
                        yaml("{variant: full, teacher_text_tokens: 100}")
                                .replace("student_share: 0.1}", "streaming: true}"),
                        "text",
                        tmp,
                        List.of()))
                .hasMessageContaining("teacher_text_tokens takes its prompts from the training documents");
    }
}
