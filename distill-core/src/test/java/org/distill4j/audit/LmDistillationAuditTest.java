package org.distill4j.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TextCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.FullKl;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.lm.token.BpeTrainer;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.LmTrainingConfig;
import org.distill4j.lm.train.TeacherSignal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LmDistillationAudit} on small byte-level decoders trained here on 60 KB of the Debian
 * descriptions: a student distilled from the teacher (full KL, alpha 1) is found, students of the
 * same architecture trained from scratch on the same text are not, and bad input is refused.
 */
class LmDistillationAuditTest {

    private static final int STEPS = 150;
    private static final List<LanguageModel> MODELS = new ArrayList<>();
    private static LanguageModel teacher;
    private static LanguageModel distilled;
    private static final List<LanguageModel> references = new ArrayList<>();
    private static final List<LanguageModel> scratch = new ArrayList<>();
    private static List<String> probes;

    private static LanguageModel model(int width, int layers, long seed) {
        LanguageModel lm = LanguageModel.create(
                new DecoderConfig(258, layers, width, 2, 32, 0.0, Positions.ROTARY, false),
                ByteTokenizer.INSTANCE,
                seed);
        MODELS.add(lm);
        return lm;
    }

    @BeforeAll
    static void train() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        TextCorpus corpus = TextCorpus.read(
                List.of(DebianCorpus.trainFile()), TextCorpus.Options.defaults().withMaxBytes(60_000));
        CorpusSplit split = CorpusSplit.bySeed(corpus.documents(), 7, 0.1, 0.1);
        TokenWindows train = TokenWindows.pack(split.train(), ByteTokenizer.INSTANCE, 32);
        probes = split.test().stream().map(Document::text).toList();
        // The teacher and the references: one architecture, other seeds; the students: a smaller one.
        teacher = model(48, 2, 1);
        LmTrainer.train(teacher, train, new TokenCrossEntropy(), TeacherSignal.none(), config(11));
        for (int i = 0; i < 4; i++) {
            LanguageModel r = model(48, 2, 100 + i);
            LmTrainer.train(r, train, new TokenCrossEntropy(), TeacherSignal.none(), config(200 + i));
            references.add(r);
        }
        distilled = model(32, 1, 50);
        FullKl kd = new FullKl(1.0, 1.0);
        LmTrainer.train(
                distilled,
                train,
                kd,
                TeacherSignal.inProcess(
                        LocalLmTeacher.of(teacher, "teacher"), kd, ByteTokenizer.INSTANCE.identity(), 32),
                config(51));
        for (int i = 0; i < 4; i++) {
            LanguageModel s = model(32, 1, 300 + i);
            LmTrainer.train(s, train, new TokenCrossEntropy(), TeacherSignal.none(), config(400 + i));
            scratch.add(s);
        }
    }

    private static LmTrainingConfig config(long seed) {
        return new LmTrainingConfig(STEPS, 8, 1e-2, 10, seed);
    }

    @AfterAll
    static void close() {
        MODELS.forEach(LanguageModel::close);
    }

    private static AuditedLm audited(LanguageModel lm, String name) {
        return AuditedLm.of(LocalLmTeacher.of(lm, name), name);
    }

    private static AuditResult audit(LanguageModel suspect, List<LanguageModel> nulls) {
        List<AuditedLm> refs = new ArrayList<>();
        for (int i = 0; i < references.size(); i++) {
            refs.add(audited(references.get(i), "reference-" + i));
        }
        List<AuditedLm> nullModels = new ArrayList<>();
        for (int i = 0; i < nulls.size(); i++) {
            nullModels.add(audited(nulls.get(i), "null-" + i));
        }
        return LmDistillationAudit.builder()
                .setTeacher(audited(teacher, "teacher"))
                .setSuspect(audited(suspect, "suspect"))
                .addReferences(refs)
                .addNullModels(nullModels)
                .setTokenizer(ByteTokenizer.INSTANCE)
                .setTexts(probes)
                .optPositions(1000)
                .build()
                .run();
    }

    @Test
    void aDistilledStudentIsFoundAndScratchStudentsAreNot() {
        // Null models: the suspect's architecture trained from scratch on the same text. Measured when
        // written: the distilled student's correlation 0.95 against the null models' 0.26-0.49
        // (p = 0.0054 with 2 df); the scratch students as suspects p = 0.40, 0.097, 0.88; against the
        // references alone (0.12-0.36) p = 0.00048.
        AuditResult d = audit(distilled, scratch.subList(0, 3));
        assertThat(d.distilled()).as("p = %s", d.pValue()).isTrue();
        assertThat(d.suspectScore())
                .isGreaterThan(d.nullScores().stream().mapToDouble(v -> v).max().orElseThrow());
        assertThat(d.probesPerModel()).isEqualTo(1000);
        assertThat(d.probeComposition()).containsEntry("positions", 1000).containsEntry("window", 32);
        assertThat(d.queries().get("suspect suspect")).isPositive();
        assertThat(d.suspectAgreement()).as("top-1 agreement with the teacher").isGreaterThan(0.7);
        for (int i = 0; i < 3; i++) {
            List<LanguageModel> others = new ArrayList<>(scratch);
            others.remove(i);
            AuditResult s = audit(scratch.get(i), others);
            assertThat(s.distilled())
                    .as("scratch student %d: p = %s", i, s.pValue())
                    .isFalse();
            assertThat(s.suspectScore()).as("scratch student %d", i).isLessThan(d.suspectScore() - 0.3);
        }
        // Against the references alone (no null models) the distilled student stands out too.
        AuditResult byReferences = audit(distilled, List.of());
        assertThat(byReferences.distilled()).as("p = %s", byReferences.pValue()).isTrue();
        assertThat(byReferences.degreesOfFreedom()).isEqualTo(3);
    }

    @Test
    void anotherTokenizerAndTooFewPositionsAreRefused() {
        var bpe = BpeTrainer.train(List.of("a small corpus, a small corpus"), 262);
        assertThatThrownBy(() -> LmDistillationAudit.builder()
                        .setTeacher(audited(teacher, "teacher"))
                        .setSuspect(audited(distilled, "suspect"))
                        .addReferences(List.of(audited(references.get(0), "r0"), audited(references.get(1), "r1")))
                        .setTokenizer(bpe)
                        .setTexts(probes)
                        .build()
                        .run())
                .isInstanceOf(AuditException.class)
                .hasMessageContaining("uses tokenizer byte/v1");
        assertThatThrownBy(() -> LmDistillationAudit.builder()
                        .setTeacher(audited(teacher, "teacher"))
                        .setSuspect(audited(distilled, "suspect"))
                        .addReferences(List.of(audited(references.get(0), "r0"), audited(references.get(1), "r1")))
                        .setTokenizer(ByteTokenizer.INSTANCE)
                        .setTexts(List.of("too short"))
                        .build()
                        .run())
                .isInstanceOf(AuditException.class)
                .hasMessageContaining("at least 100 are needed");
        assertThatThrownBy(() -> LmDistillationAudit.builder()
                        .setTeacher(audited(teacher, "teacher"))
                        .setSuspect(audited(distilled, "suspect"))
                        .addReferences(List.of(audited(references.get(0), "r0")))
                        .setTokenizer(ByteTokenizer.INSTANCE)
                        .setTexts(probes)
                        .build()
                        .run())
                .isInstanceOf(AuditException.class)
                .hasMessageContaining("at least 2 references");
    }
}
