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
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.BpeTokenizer;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.recipe.RecipeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data.tokenizer: {type: bpe, ...}} end to end: {@code distill run} trains a byte-level BPE
 * on the training split (in memory and streamed alike), every model carries it, bits per byte stay
 * per byte, and a recipe that cannot work with it is refused by field.
 */
class LmBpeRunTest {

    @TempDir
    Path tmp;

    private static String yaml(String tokenizer, String extraData, String variant) {
        return """
                name: tiny-bpe
                seed: 3
                data: {format: text, path: %s, max_bytes: 60000, validation: 0.1, test: 0.1, context: 24, tokenizer: %s%s}
                teacher: {layers: 1, width: 32, heads: 2, training: {steps: 20, batch_size: 8, learning_rate: 0.01}}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 10, batch_size: 8, learning_rate: 0.01}}
                distillation: {variant: %s, k: 4, alpha: 0.5}
                evaluation: {prompts: ["GNU "], sample_tokens: 4, generation_tokens: 4}
                """.formatted(DebianCorpus.trainFile(), tokenizer, extraData, variant);
    }

    @Test
    void aRunTrainsItsBpeOnTheTrainingSplitAndEveryModelCarriesIt() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmRecipe recipe = LmRecipe.parse(yaml("{type: bpe, vocab_size: 320}", "", "topk"), "bpe", tmp, List.of());
        Path out = tmp.resolve("out");
        run(recipe, out);

        LmTrainingCorpus corpus = LmTrainingCorpus.read(recipe);
        Tokenizer tok = corpus.tokenizer();
        assertThat(tok).isInstanceOf(BpeTokenizer.class);
        assertThat(tok.vocabSize()).isEqualTo(320);
        // The streaming trainer (one pass over the file, split on the fly) learns the same tokenizer.
        assertThat(LmTrainingCorpus.tokenizer(recipe, null).identity()).isEqualTo(tok.identity());

        JsonNode metrics =
                new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertThat(metrics.get("tokenizer").asText()).isEqualTo(tok.identity().toString());
        JsonNode info = metrics.get("corpus");
        double bytesPerToken =
                info.get("test_bytes").asDouble() / info.get("test_tokens").asDouble();
        // 62 merges learnt from ~48 KB: about 1.5 bytes per token (1.0 with the byte tokenizer).
        assertThat(bytesPerToken).isBetween(1.2, 4.0);
        assertThat(Files.readString(out.resolve("results.md")))
                .contains(tok.identity().toString())
                .contains(String.format(java.util.Locale.ROOT, "BPE (%.2f bytes per token on test)", bytesPerToken));
        for (JsonNode row : metrics.get("models")) {
            String name = row.get("model").asText();
            Path dir = out.resolve(name);
            assertThat(dir.resolve(BpeTokenizer.FILE)).as(name).isRegularFile();
            try (LanguageModel lm = LanguageModel.load(dir)) {
                assertThat(lm.tokenizer().identity()).isEqualTo(tok.identity());
                assertThat(lm.config().vocabSize()).isEqualTo(320);
            }
            // Per byte, not per token: below 8 bits (a byte spelled at random) and above 1.
            assertThat(row.get("test_bits_per_byte").asDouble()).as(name).isBetween(1.0, 8.0);
            assertThat(Files.readString(dir.resolve("provenance.json")))
                    .contains(tok.identity().digest());
        }
        assertThat(metrics.get("models")).hasSize(3);
    }

    @Test
    void aStreamedRunTrainsTheSameBpeOnceAndCachesIt() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmRecipe memory = LmRecipe.parse(yaml("{type: bpe, vocab_size: 300}", "", "full"), "bpe", tmp, List.of());
        LmRecipe streamed = LmRecipe.parse(
                yaml("{type: bpe, vocab_size: 300}", ", streaming: true", "full"), "bpe", tmp, List.of());
        Path cache = tmp.resolve("cache");
        try (LmSplits s = LmSplits.open(streamed, cache)) {
            assertThat(s.streamed()).isTrue();
            assertThat(s.tokenizer().identity())
                    .isEqualTo(LmTrainingCorpus.read(memory).tokenizer().identity());
            try (LmSplits m = LmSplits.open(memory, tmp.resolve("other"))) {
                assertThat(s.train().size()).isEqualTo(m.train().size());
                assertThat(s.test().targetBytes()).isEqualTo(m.test().targetBytes());
            }
        }
        List<Path> cached;
        try (Stream<Path> files = Files.list(cache)) {
            cached = files.filter(p -> p.getFileName().toString().startsWith("lm-tokenizer-"))
                    .toList();
        }
        assertThat(cached).hasSize(1);
        // A second run reads the cached file: replace it by another BPE and the run takes that one.
        BpeTokenizer other = org.distill4j.lm.token.BpeTrainer.train(List.of("other text, other text"), 270);
        other.write(cached.get(0));
        assertThat(LmTrainingCorpus.tokenizer(streamed, cache).identity()).isEqualTo(other.identity());
    }

    @Test
    void aTokenizerFileIsReadAndRecipesThatCannotWorkAreRefusedByField() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        BpeTokenizer bpe = org.distill4j.lm.token.BpeTrainer.train(List.of("a small corpus, a small corpus"), 262);
        Path file = tmp.resolve("tok.json");
        bpe.write(file);
        LmRecipe fromFile = LmRecipe.parse(yaml("{type: bpe, file: tok.json}", "", "full"), "bpe", tmp, List.of());
        assertThat(LmTrainingCorpus.fixedTokenizer(fromFile).identity()).isEqualTo(bpe.identity());

        assertRefused(yaml("{type: bpe}", "", "full"), "data.tokenizer", "exactly one of vocab_size");
        assertRefused(yaml("{type: bpe, vocab_size: 100}", "", "full"), "data.tokenizer.vocab_size", ">= 258");
        assertRefused(yaml("{type: wordpiece}", "", "full"), "data.tokenizer.type", "byte or bpe");
        assertRefused(yaml("{type: byte, vocab_size: 300}", "", "full"), "data.tokenizer", "takes no vocab_size");
        assertRefused(yaml("{type: bpe, file: missing.json}", "", "full"), "data.tokenizer.file", "missing.json");
        String http = yaml("{type: bpe, vocab_size: 300}", "", "topk")
                .replaceAll("teacher: \\{[^\\n]*", "teacher: {http: {url: \"http://127.0.0.1:9/v1\", model: m}}");
        // An http teacher: top-k (token strings mapped through the BPE) and text both go.
        LmRecipe.parse(http, "bpe", tmp, List.of());
        LmRecipe.parse(http.replace("variant: topk", "variant: sequence"), "bpe", tmp, List.of());
    }

    private void assertRefused(String yaml, String key, String message) {
        assertThatThrownBy(() -> LmRecipe.parse(yaml, "bpe", tmp, List.of()))
                .isInstanceOfSatisfying(
                        RecipeException.class, e -> assertThat(e.key()).isEqualTo(key))
                .hasMessageContaining(message);
    }

    private static void run(LmRecipe recipe, Path out) throws Exception {
        LmRuns.run(recipe, out, out.resolve("cache"));
    }
}
