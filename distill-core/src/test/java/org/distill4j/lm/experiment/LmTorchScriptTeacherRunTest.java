package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.io.Hashing;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.recipe.RecipeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill run} with a TorchScript language model as the teacher ({@code teacher.path} a
 * {@code .pt} file): it is measured, its top-k cached, its text generated (without a cache) and
 * named in the provenance, as a saved distill4j teacher is. The module is the committed fixture
 * {@code tiny_lm.pt} (PyTorch 1.13, {@code tools/fixtures/make_torchscript_lm.py}).
 */
class LmTorchScriptTeacherRunTest {

    @TempDir
    Path tmp;

    private static Path module() throws Exception {
        return Path.of(LmTorchScriptTeacherRunTest.class
                .getResource("/fixtures/tiny_lm.pt")
                .toURI());
    }

    private String yaml(String distillation, String tokenizer) throws Exception {
        return """
                name: torchscript-teacher
                seed: 3
                data: {format: text, path: %s, max_bytes: 40000, validation: 0.1, test: 0.1, context: 32%s}
                teacher: {path: %s}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 8, batch_size: 8, learning_rate: 0.01}}
                distillation: %s
                evaluation: {prompts: ["GNU "], sample_tokens: 4, generation_tokens: 4, scratch: false}
                """.formatted(DebianCorpus.trainFile(), tokenizer, module(), distillation);
    }

    @Test
    void aTorchScriptTeacherIsMeasuredCachedAndNamedLikeASavedOne() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmRecipe recipe = LmRecipe.parse(yaml("{variant: topk, k: 4, alpha: 0.5}", ""), "ts", tmp, List.of());
        LmRuns.run(recipe, tmp.resolve("out"), tmp.resolve("cache"));

        ObjectMapper json = new ObjectMapper();
        JsonNode metrics = json.readTree(tmp.resolve("out/metrics.json").toFile());
        JsonNode teacher = metrics.at("/models/0");
        assertThat(teacher.get("model").asText()).isEqualTo("teacher");
        // Embedding(258, 16) + Linear(16, 258): 4,128 + 4,128 + 258, as PyTorch counts them.
        assertThat(teacher.get("parameters").asLong()).isEqualTo(8514);
        assertThat(teacher.get("size_bytes").asLong()).isEqualTo(Files.size(module()));
        assertThat(teacher.get("test_bits_per_byte").asDouble())
                .isGreaterThan(0)
                .isFinite();
        assertThat(teacher.get("generation_engine").asText()).isEqualTo("recompute");
        assertThat(teacher.get("generation_djl_tokens_per_second").isNull()).isTrue();
        assertThat(teacher.get("samples").get("GNU ").asText()).startsWith("GNU ");
        assertThat(teacher.get("description").asText()).contains("TorchScript language model", "tiny_lm.pt");

        String hash = Hashing.sha256(module());
        assertThat(metrics.at("/terms/approved_teacher/kind").asText()).isEqualTo("torchscript-lm");
        assertThat(metrics.at("/terms/approved_teacher/content_hash").asText()).isEqualTo(hash);
        JsonNode student = metrics.at("/models/1");
        assertThat(student.get("model").asText()).isEqualTo("student-distilled");
        assertThat(student.get("top1_agreement_with_teacher").isNumber())
                .as("the student is compared with the module's predictions")
                .isTrue();
        JsonNode prov = json.readTree(
                tmp.resolve("out/student-distilled/provenance.json").toFile());
        assertThat(prov.at("/label_collection/source").asText()).isEqualTo("in-process teacher");
        // The key a Spark top-k job gives the same module (its file's hash), so either can reuse the other's cache.
        assertThat(prov.at("/label_collection/cache_key").asText()).startsWith("teacher=" + hash + ";");
        assertThat(Path.of(prov.at("/label_collection/cache_file").asText())).isRegularFile();
        assertThat(Files.readString(tmp.resolve("out/results.md")))
                .contains("| teacher | 8,514 |", "teacher is a module without a key/value cache");
        assertThat(Files.readString(tmp.resolve("out/student-distilled/MODEL_CARD.md")))
                .contains("TorchScript tiny_lm.pt", "torchscript-lm, SHA-256 " + hash);
        assertThat(prov.at("/teacher/kind").asText()).isEqualTo("torchscript-lm");
        assertThat(prov.at("/teacher/content_hash").asText()).isEqualTo(hash);
    }

    @Test
    void sequenceLevelKdTrainsOnTheModulesGeneratedText() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmRecipe recipe = LmRecipe.parse(
                yaml("{variant: sequence, prompt_bytes: 8, max_new_tokens: 24, generated_tokens: 1500}", ""),
                "ts",
                tmp,
                List.of());
        LmRuns.run(recipe, tmp.resolve("out"), tmp.resolve("cache"));
        JsonNode prov = new ObjectMapper()
                .readTree(tmp.resolve("out/student-distilled/provenance.json").toFile());
        assertThat(prov.at("/label_collection/source").asText()).startsWith("in-process teacher, sampled");
        assertThat(prov.at("/label_collection/tokens").asLong()).isGreaterThanOrEqualTo(1500);
        assertThat(prov.at("/label_collection/max_new_tokens").asInt()).isEqualTo(24);
    }

    @Test
    void aBpeThisRunTrainsIsRefusedForAModuleNamingTheKey() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        assertThatThrownBy(() -> LmRecipe.parse(
                        yaml("{variant: topk, k: 4}", ", tokenizer: {type: bpe, vocab_size: 300}"),
                        "ts",
                        tmp,
                        List.of()))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("data.tokenizer.vocab_size")
                .hasMessageContaining("is a TorchScript module")
                .hasMessageContaining("data.tokenizer.file");
    }
}
