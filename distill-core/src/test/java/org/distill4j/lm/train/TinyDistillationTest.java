package org.distill4j.lm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TextCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.FullKl;
import org.distill4j.lm.loss.SequenceLoss;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.loss.TopKKl;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The whole language-model path in a test-sized run on about 200 KB of the bundled Debian
 * descriptions: train a small teacher, distill a smaller student with full KL and with top-k KL,
 * and check on validation that every model beats the unigram baseline in bits per byte and that the
 * training loss went down. Numbers are printed (a few seconds of training; not a benchmark).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TinyDistillationTest {

    private static final int CONTEXT = 64;
    private static final DecoderConfig TEACHER =
            new DecoderConfig(258, 2, 64, 4, CONTEXT, 0.0, Positions.LEARNED, false);
    private static final DecoderConfig STUDENT =
            new DecoderConfig(258, 1, 32, 2, CONTEXT, 0.0, Positions.ROTARY, false);
    private static final LmTrainingConfig TEACHER_RUN = new LmTrainingConfig(200, 16, 3e-3, 10, 1);
    private static final LmTrainingConfig STUDENT_RUN = new LmTrainingConfig(150, 16, 3e-3, 10, 2);

    private TokenWindows train;
    private TokenWindows validation;
    private double unigramBpb;
    private LanguageModel teacher;

    @BeforeAll
    void trainTheTeacher() throws Exception {
        assumeTrue(
                Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions at " + DebianCorpus.trainFile());
        TextCorpus corpus = DebianCorpus.read("train", 200_000);
        CorpusSplit split = CorpusSplit.bySeed(corpus.documents(), 42, 0.1, 0.0);
        train = TokenWindows.pack(split.train(), ByteTokenizer.INSTANCE, CONTEXT);
        validation = TokenWindows.pack(split.validation(), ByteTokenizer.INSTANCE, CONTEXT);
        unigramBpb = UnigramBaseline.fit(train, 258).evaluate(validation).bitsPerByte();
        teacher = LanguageModel.create(TEACHER, ByteTokenizer.INSTANCE, 1);
        LmTrainer.Result r =
                LmTrainer.train(teacher, train, new TokenCrossEntropy(), TeacherSignal.none(), TEACHER_RUN);
        report("teacher " + teacher, r, Evaluation.of(teacher, validation, 32));
    }

    @AfterAll
    void close() {
        if (teacher != null) {
            teacher.close();
        }
    }

    @Test
    void theTeacherLearnsMoreThanByteFrequencies() {
        Evaluation e = Evaluation.of(teacher, validation, 32);
        assertThat(e.bitsPerByte())
                .as("teacher vs unigram %.3f bits/byte", unigramBpb)
                .isLessThan(unigramBpb - 0.3);
    }

    @Test
    void aSmallerStudentDistilsWithFullAndTopKKl() {
        for (SequenceLoss loss : List.of(new FullKl(1.0, 0.5), new TopKKl(5, 0.5))) {
            try (LanguageModel student = LanguageModel.create(STUDENT, ByteTokenizer.INSTANCE, 2)) {
                LmTrainer.Result r = LmTrainer.train(student, train, loss, teacher, STUDENT_RUN);
                Evaluation e = Evaluation.of(student, validation, 32);
                report("student " + student + " " + loss, r, e);
                assertThat(r.meanLast(10))
                        .as("%s: training loss, last 10 vs first 10 steps", loss)
                        .isLessThan(r.meanFirst(10) * 0.8);
                assertThat(e.bitsPerByte())
                        .as("%s student vs unigram %.3f bits/byte", loss, unigramBpb)
                        .isLessThan(unigramBpb);
            }
        }
    }

    @Test
    void sequenceLevelKdTrainsOnTeacherGeneratedText() {
        List<Document> prompts =
                List.of(new Document("p0", "Python library for"), new Document("p1", "Documentation for the"));
        List<Document> generated =
                TeacherText.generate(teacher, prompts, 12, new SamplingConfig(40, 0.8, 0, 1.0, 5, true));
        assertThat(generated).hasSize(2);
        assertThat(generated.get(0).text()).startsWith("Python libra").hasSizeGreaterThan(12);
        assertThat(generated.get(1).source()).isEqualTo("teacher:p1");
        System.out.println("teacher continuations: "
                + generated.stream().map(Document::text).toList());
        TokenWindows w = TokenWindows.pack(generated, ByteTokenizer.INSTANCE, CONTEXT);
        try (LanguageModel student = LanguageModel.create(STUDENT, ByteTokenizer.INSTANCE, 3)) {
            LmTrainer.Result r = LmTrainer.train(
                    student, w, new TokenCrossEntropy(), TeacherSignal.none(), new LmTrainingConfig(30, 2, 3e-3, 0, 3));
            assertThat(r.meanLast(5)).isLessThan(r.meanFirst(5));
        }
    }

    private void report(String what, LmTrainer.Result r, Evaluation e) {
        System.out.printf(
                Locale.ROOT,
                "%s: loss %.3f -> %.3f, %.0f training tokens/s (%.1f s); validation %s" + " (unigram %.3f bits/byte)%n",
                what,
                r.meanFirst(10),
                r.meanLast(10),
                r.tokensPerSecond(),
                r.seconds(),
                e,
                unigramBpb);
    }
}
