package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.BpeTokenizer;
import org.distill4j.lm.token.BpeTrainer;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.train.DocumentLosses;
import org.distill4j.lm.train.Evaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipe's held-out documents scored outside a run: models of the recipe's tokenizer and context
 * on its windows, a model of shorter context on windows of its own length, a model of another
 * tokenizer on the same texts in its own tokens; every way, the same documents in the same order.
 */
class HeldOutTextTest {

    @TempDir
    Path tmp;

    private LmRecipe recipe() throws Exception {
        return LmRecipe.parse("""
                name: held
                seed: 3
                data: {format: text, path: %s, max_bytes: 60000, validation: 0.1, test: 0.1, context: 32}
                teacher: {layers: 1, width: 16, heads: 2, training: {steps: 2}}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 2}}
                """.formatted(DebianCorpus.trainFile()), "held", tmp, List.of());
    }

    @Test
    void everyModelReadsTheSameDocuments() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        try (HeldOutText text = HeldOutText.open(recipe(), tmp.resolve("cache"));
                LanguageModel same = LanguageModel.create(
                        new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.LEARNED, false),
                        ByteTokenizer.INSTANCE,
                        1);
                LanguageModel shorter = LanguageModel.create(
                        new DecoderConfig(258, 1, 16, 2, 8, 0.0, Positions.LEARNED, false),
                        ByteTokenizer.INSTANCE,
                        2)) {
            TokenWindows test = text.windows(HeldOutText.Part.TEST);
            List<Document> docs = test.documents(text.tokenizer(), "test");
            DocumentLosses a = text.score(same, HeldOutText.Part.TEST);
            assertThat(a.documents()).isEqualTo(docs.size()).isGreaterThan(5);
            assertThat(a.total().bytes()).isEqualTo(test.targetBytes());
            assertThat(a.total().nats())
                    .isCloseTo(
                            Evaluation.of(same, test, 16).nats(),
                            within(1e-6 * a.total().nats()));

            DocumentLosses b = text.score(shorter, HeldOutText.Part.TEST);
            assertThat(b.bytesByDocument()).containsExactly(a.bytesByDocument());
            assertThat(b.total().nats())
                    .as("a model of context 8 is scored on windows of 8")
                    .isCloseTo(
                            Evaluation.of(shorter, test.withContext(8), 16).nats(),
                            within(1e-6 * b.total().nats()));

            BpeTokenizer bpe =
                    BpeTrainer.train(docs.stream().map(Document::text).toList(), 300);
            try (LanguageModel other = LanguageModel.create(
                    new DecoderConfig(bpe.vocabSize(), 1, 16, 2, 32, 0.0, Positions.LEARNED, false), bpe, 3)) {
                DocumentLosses c = text.score(other, HeldOutText.Part.TEST);
                assertThat(c.documents()).isEqualTo(a.documents());
                // The same texts: every document's bytes agree with the byte tokenizer's count.
                assertThat(c.bytesByDocument()).containsExactly(a.bytesByDocument());
                assertThat(c.total().tokens()).isLessThan(a.total().tokens());
                assertThat(c.total().nats())
                        .isCloseTo(
                                Evaluation.of(other, TokenWindows.pack(docs, bpe, 32), 16)
                                        .nats(),
                                within(1e-6 * c.total().nats()));
            }
            assertThat(text.score(same, HeldOutText.Part.VALIDATION).documents())
                    .isEqualTo(text.windows(HeldOutText.Part.VALIDATION)
                            .documents(text.tokenizer(), "v")
                            .size());
        }
    }

    @Test
    void partsAreNamedAsTheCommandLineNamesThem() {
        assertThat(HeldOutText.Part.parse("test_without_near_duplicate"))
                .isEqualTo(HeldOutText.Part.TEST_WITHOUT_NEAR_DUPLICATE);
        assertThat(HeldOutText.Part.VALIDATION.id()).isEqualTo("validation");
        assertThatThrownBy(() -> HeldOutText.Part.parse("train"))
                .hasMessageContaining("illegal split 'train'")
                .hasMessageContaining("validation, test, test_without_near_duplicate");
    }
}
