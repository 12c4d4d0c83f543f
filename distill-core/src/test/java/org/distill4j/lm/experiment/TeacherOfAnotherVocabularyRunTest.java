package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.BpeTokenizer;
import org.distill4j.lm.token.BpeTrainer;
import org.distill4j.lm.train.Evaluation;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.LmTrainingConfig;
import org.distill4j.lm.train.TeacherSignal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A byte-level run whose saved teacher has a BPE (sequence-level KD: only text crosses): the
 * teacher is evaluated on the run's validation and test texts in its own tokens, not on the run's
 * byte ids, which it would read as other tokens (a 3.0 bits/byte teacher measured 5.9 that way).
 */
class TeacherOfAnotherVocabularyRunTest {

    @TempDir
    Path tmp;

    private static final String YAML = """
            name: other-vocabulary
            seed: 3
            data: {format: text, path: %s, max_bytes: 40000, validation: 0.1, test: 0.1, context: 32}
            teacher: {path: %s}
            student: {layers: 1, width: 16, heads: 2, training: {steps: 5, batch_size: 8, learning_rate: 0.01}}
            distillation: %s
            evaluation: {prompts: ["GNU "], sample_tokens: 4, generation_tokens: 4, scratch: false}
            """;

    private LmRecipe recipe(Path teacherDir, String distillation) throws Exception {
        return LmRecipe.parse(YAML.formatted(DebianCorpus.trainFile(), teacherDir, distillation), "t", tmp, List.of());
    }

    /** A teacher with a 300-id BPE trained on the run's training split, saved; returns its tokenizer. */
    private BpeTokenizer bpeTeacher(LmTrainingCorpus corpus, Path dir) throws Exception {
        BpeTokenizer bpe = BpeTrainer.train(
                corpus.split().train().stream().map(Document::text).toList(), 300);
        try (LanguageModel t = LanguageModel.create(
                new DecoderConfig(bpe.vocabSize(), 1, 32, 2, 32, 0.0, Positions.ROTARY, false), bpe, 4)) {
            LmTrainer.train(
                    t,
                    TokenWindows.pack(corpus.split().train(), bpe, 32),
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    new LmTrainingConfig(30, 8, 1e-2, 5, 1));
            t.save(dir);
        }
        return bpe;
    }

    private static final String SEQUENCE =
            "{variant: sequence, prompt_bytes: 8, max_new_tokens: 16, generated_tokens: 600}";

    @Test
    void aTeacherOfAnotherTokenizerIsEvaluatedInItsOwnTokens() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmTrainingCorpus corpus = LmTrainingCorpus.read(recipe(tmp.resolve("unused"), SEQUENCE));
        Path teacherDir = tmp.resolve("bpe-teacher");
        BpeTokenizer bpe = bpeTeacher(corpus, teacherDir);
        LmRuns.run(recipe(teacherDir, SEQUENCE), tmp.resolve("out"), tmp.resolve("cache"));

        JsonNode teacher = new ObjectMapper()
                .readTree(tmp.resolve("out/metrics.json").toFile())
                .at("/models/0");
        assertThat(teacher.get("evaluation_tokenizer").asText())
                .isEqualTo(bpe.identity().toString());
        try (LanguageModel t = LanguageModel.load(teacherDir)) {
            double own = Evaluation.of(t, TokenWindows.pack(corpus.split().test(), bpe, 32), 16)
                    .bitsPerByte();
            assertThat(teacher.get("test_bits_per_byte").asDouble()).isCloseTo(own, within(1e-9 * own));
            double ownVal = Evaluation.of(t, TokenWindows.pack(corpus.split().validation(), bpe, 32), 16)
                    .bitsPerByte();
            assertThat(teacher.get("validation_bits_per_byte").asDouble()).isCloseTo(ownVal, within(1e-9 * ownVal));
        }
        assertThat(new ObjectMapper()
                        .readTree(tmp.resolve("out/metrics.json").toFile())
                        .at("/models/1/top1_agreement_with_teacher")
                        .isNull())
                .as("positions of two tokenizers do not align")
                .isTrue();
        assertThat(Files.readString(tmp.resolve("out/results.md"))).contains("in its own tokenizer, bpe/v1");
    }

    @Test
    void tokenLevelKdFromItTakesAVocabularyMap() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        String full = "{variant: full, alpha: 0.5}";
        LmTrainingCorpus corpus = LmTrainingCorpus.read(recipe(tmp.resolve("unused"), full));
        Path teacherDir = tmp.resolve("bpe-teacher");
        bpeTeacher(corpus, teacherDir);
        // Without a map: refused before any student trains, saying what to set.
        assertThatThrownBy(() -> LmRuns.run(recipe(teacherDir, full), tmp.resolve("refused"), tmp.resolve("cache")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token-level KD needs one vocabulary")
                .hasMessageContaining("distillation.vocabulary_map: auto");
        assertThat(tmp.resolve("refused/student-distilled")).doesNotExist();
        // With it: each student byte is the teacher's token of that byte (a byte-level BPE has all 256).
        String log = LmRuns.run(
                recipe(teacherDir, "{variant: full, alpha: 0.5, vocabulary_map: auto}"),
                tmp.resolve("mapped"),
                tmp.resolve("cache"));
        assertThat(log).contains("mapped into byte/v1", "(0 student tokens it lacks)");
        JsonNode metrics =
                new ObjectMapper().readTree(tmp.resolve("mapped/metrics.json").toFile());
        assertThat(metrics.at("/models/0/unmapped_student_tokens").asInt()).isZero();
        assertThat(metrics.at("/distillation/vocabulary_map").asText()).isEqualTo("auto");
        assertThat(metrics.at("/models/1/top1_agreement_with_teacher").isNumber())
                .isTrue();
        assertThat(Double.isFinite(metrics.at("/models/1/test_bits_per_byte").asDouble()))
                .isTrue();
        assertThatThrownBy(() -> recipe(teacherDir, "{variant: full, vocabulary_map: bytes}"))
                .hasMessageContaining("distillation.vocabulary_map must be auto");
        assertThatThrownBy(() -> recipe(teacherDir, "{variant: sequence, vocabulary_map: auto}"))
                .hasMessageContaining("neither is mapped");
    }
}
