package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.FullKl;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.loss.TopKKl;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.token.TokenizerIdentity;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.LmTrainingConfig;
import org.distill4j.lm.train.TeacherSignal;
import org.distill4j.lm.train.TeacherText;
import org.distill4j.teacher.TeacherIdentity;
import org.junit.jupiter.api.Test;

/**
 * Issue 11.9: a teacher and a student with different vocabularies. Token-level KD (full, top-k,
 * sampled) is refused with a message that names both tokenizers and the way out; sequence-level
 * KD works, because text is the only thing that crosses.
 */
class TokenizerMismatchTest {

    /** Bytes shifted by 4 (ids 4..259), BOS 260, EOS 261: another vocabulary over the same text. */
    static class OffsetTokenizer implements Tokenizer {
        private static final TokenizerIdentity ID = new TokenizerIdentity("test-offset", 1, 262, 260, 261);

        @Override
        public int[] encode(String text) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                ids[i] = (b[i] & 0xff) + 4;
            }
            return ids;
        }

        @Override
        public String decode(int[] ids) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int id : ids) {
                if (id >= 4 && id < 260) {
                    out.write(id - 4);
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        }

        @Override
        public int byteLength(int id) {
            return id >= 4 && id < 260 ? 1 : 0;
        }

        @Override
        public int id(byte[] bytes) {
            return bytes.length == 1 ? (bytes[0] & 0xff) + 4 : -1;
        }

        @Override
        public byte[] bytes(int id) {
            return id >= 4 && id < 260 ? new byte[] {(byte) (id - 4)} : new byte[0];
        }

        @Override
        public TokenizerIdentity identity() {
            return ID;
        }
    }

    /** A teacher in another vocabulary (as a TorchScript teacher with its own tokenizer would be). */
    private static LmTeacher otherVocabulary(LanguageModel lm) {
        LocalLmTeacher inner = LocalLmTeacher.of(lm, "offset-teacher");
        return new LmTeacher() {
            @Override
            public NDArray logits(NDArray ids) {
                return inner.logits(ids);
            }

            @Override
            public TokenizerIdentity tokenizer() {
                return new OffsetTokenizer().identity();
            }

            @Override
            public int contextLength() {
                return inner.contextLength();
            }

            @Override
            public TeacherIdentity identity() {
                return inner.identity();
            }

            @Override
            public void close() {}
        };
    }

    @Test
    void tokenLevelKdRefusesAnotherVocabularyAndSequenceLevelKdWorks() {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            docs.add(new Document("d" + i, "the cat sat on the mat number " + i + ". the dog ate the bone."));
        }
        try (LanguageModel teacher = LanguageModel.create(
                        new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.ROTARY, false), ByteTokenizer.INSTANCE, 1);
                LanguageModel student = LanguageModel.create(
                        new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.ROTARY, false),
                        ByteTokenizer.INSTANCE,
                        2)) {
            LmTeacher other = otherVocabulary(teacher);
            for (var loss : List.of(new FullKl(1.0, 0.5), new TopKKl(5, 0.5))) {
                assertThatThrownBy(() -> LmExperiment.inProcessSignal(other, loss, ByteTokenizer.INSTANCE, 32))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("token-level KD needs one vocabulary")
                        .hasMessageContaining("test-offset")
                        .hasMessageContaining("byte/v1")
                        .hasMessageContaining("sequence-level KD");
            }
            // The same teacher in the student's vocabulary is accepted: the refusal is about the vocabulary.
            assertThat(LmExperiment.inProcessSignal(
                            LocalLmTeacher.of(teacher, "t"), new FullKl(1.0, 0.5), ByteTokenizer.INSTANCE, 32))
                    .isNotNull();

            // Sequence-level: only text crosses. The teacher's continuations are plain documents that any
            // tokenizer packs; here both the offset vocabulary and the student's bytes read them back.
            List<Document> generated =
                    TeacherText.generate(teacher, docs, 8, new SamplingConfig(24, 1.0, 0, 1.0, 5, false));
            assertThat(generated).hasSize(docs.size());
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < docs.size(); i++) {
                assertThat(generated.get(i).text())
                        .startsWith(docs.get(i).text().substring(0, 8));
                all.append(generated.get(i).text());
            }
            OffsetTokenizer offset = new OffsetTokenizer();
            TokenWindows inOffset = TokenWindows.pack(generated, offset, 32);
            assertThat(offset.decode(inOffset.stream())).isEqualTo(all.toString());
            TokenWindows windows = TokenWindows.pack(generated, ByteTokenizer.INSTANCE, 32);
            LmTrainer.Result r = LmTrainer.train(
                    student,
                    windows,
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    new LmTrainingConfig(5, 4, 3e-3, 1, 3));
            for (float loss : r.losses()) {
                assertThat(Float.isFinite(loss)).isTrue();
            }
        }
    }

    @Test
    void aMappingByTokenBytesLetsTokenLevelKdCrossTwoVocabulariesOfOneText() {
        // The teacher reads bytes (ids 0..255, BOS 256, EOS 257); the student the same bytes as ids
        // 4..259 (BOS 260, EOS 261), ids 0..3 being tokens the teacher lacks.
        OffsetTokenizer offset = new OffsetTokenizer();
        String text = "the cat sat on the mat. the dog ate the bone.";
        try (LanguageModel teacher = LanguageModel.create(
                        new DecoderConfig(258, 1, 16, 2, 64, 0.0, Positions.ROTARY, false), ByteTokenizer.INSTANCE, 1);
                LanguageModel student = LanguageModel.create(
                        new DecoderConfig(262, 1, 16, 2, 64, 0.0, Positions.ROTARY, false), offset, 2);
                var m = ai.djl.ndarray.NDManager.newBaseManager()) {
            org.distill4j.lm.teacher.MappedLmTeacher mapped = org.distill4j.lm.teacher.MappedLmTeacher.byBytes(
                    LocalLmTeacher.of(teacher, "t"), ByteTokenizer.INSTANCE, offset);
            assertThat(mapped.unmappedTokens()).isEqualTo(4);
            assertThat(mapped.tokenizer()).isEqualTo(offset.identity());
            int[] bytes = ByteTokenizer.INSTANCE.encode(text);
            long[] teacherIds = new long[bytes.length + 1];
            long[] studentIds = new long[bytes.length + 1];
            teacherIds[0] = 256;
            studentIds[0] = 260;
            for (int i = 0; i < bytes.length; i++) {
                teacherIds[i + 1] = bytes[i];
                studentIds[i + 1] = bytes[i] + 4;
            }
            int t = teacherIds.length;
            float[] direct = teacher.logits(m.create(teacherIds, new ai.djl.ndarray.types.Shape(1, t)))
                    .toFloatArray();
            float[] seen = mapped.logits(m.create(studentIds, new ai.djl.ndarray.types.Shape(1, t)))
                    .toFloatArray();
            assertThat(seen).hasSize(t * 262);
            for (int p = 0; p < t; p++) {
                float least = Float.POSITIVE_INFINITY;
                for (int s = 4; s < 262; s++) {
                    int tid = s == 260 ? 256 : s == 261 ? 257 : s - 4;
                    assertThat(seen[p * 262 + s])
                            .as("position %d, token %d", p, s)
                            .isEqualTo(direct[p * 258 + tid]);
                    least = Math.min(least, seen[p * 262 + s]);
                }
                for (int s = 0; s < 4; s++) {
                    assertThat(seen[p * 262 + s])
                            .as("a token the teacher lacks")
                            .isCloseTo(least - 30, within(1e-3f));
                }
            }
            // Token-level KD now runs in the student's vocabulary, where the unmapped teacher was refused.
            TokenWindows windows = TokenWindows.pack(
                    List.of(new Document("d", text), new Document("e", text.toUpperCase(java.util.Locale.ROOT))),
                    offset,
                    32);
            FullKl kd = new FullKl(1.0, 1.0);
            LmTrainer.Result r = LmTrainer.train(
                    student,
                    windows,
                    kd,
                    LmExperiment.inProcessSignal(mapped, kd, offset, 32),
                    new LmTrainingConfig(30, 2, 1e-2, 0, 3));
            assertThat(r.meanLast(3)).isLessThan(r.meanFirst(3));
            // Text holding a token the teacher lacks cannot be given to it.
            long[] bad = {260, 2, 5};
            assertThatThrownBy(() -> mapped.logits(m.create(bad, new ai.djl.ndarray.types.Shape(1, 3))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("student token 2 has no token in the teacher's vocabulary");
            // Two vocabularies that share no token are not mapped.
            Tokenizer none = new OffsetTokenizer() {
                @Override
                public byte[] bytes(int id) {
                    return id >= 4 && id < 260 ? new byte[] {1, 2, 3} : new byte[0];
                }
            };
            assertThatThrownBy(() -> org.distill4j.lm.teacher.MappedLmTeacher.byBytes(
                            LocalLmTeacher.of(teacher, "t"), ByteTokenizer.INSTANCE, none))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no mapping between them");
        }
    }
}
