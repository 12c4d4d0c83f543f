package org.distill4j.lm.teacher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.TopKKl;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.token.TokenizerIdentity;
import org.distill4j.lm.train.Evaluation;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.LmTrainingConfig;
import org.distill4j.lm.train.TeacherSignal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LmTeacherTest {

    @TempDir
    Path dir;

    private static Path fixture(String name) throws Exception {
        return Path.of(LmTeacherTest.class.getResource("/fixtures/" + name).toURI());
    }

    @Test
    void aTorchScriptModuleTeachesWithThePyTorchLogits() throws Exception {
        JsonNode expected =
                new ObjectMapper().readTree(fixture("tiny_lm_expected.json").toFile());
        try (LmTeacher teacher =
                        TorchScriptLmTeacher.load(fixture("tiny_lm.pt"), ByteTokenizer.INSTANCE.identity(), 64);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            long[][] ids = new long[2][5];
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 5; t++) {
                    ids[b][t] = expected.get("ids").get(b).get(t).asLong();
                }
            }
            NDArray logits = teacher.logits(m.create(ids));
            assertThat(logits.getShape()).isEqualTo(new Shape(2, 5, 258));
            float[] got = logits.toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertThat((double) got[i])
                        .isCloseTo(
                                expected.get("logits").get(i).asDouble(), org.assertj.core.api.Assertions.within(1e-5));
            }
            assertThat(teacher.identity().kind()).isEqualTo("torchscript-lm");
            assertThat(teacher.identity().contentHash()).hasSize(64);

            // A student distils from it through the same in-process path as from a distill4j model.
            TokenWindows w = TokenWindows.pack(
                    List.of(new Document("d", "a short text to distil on, twice over")), ByteTokenizer.INSTANCE, 16);
            try (LanguageModel student = LanguageModel.create(
                    new DecoderConfig(258, 1, 16, 2, 16, 0, Positions.ROTARY, false), ByteTokenizer.INSTANCE, 1)) {
                TopKKl loss = new TopKKl(5, 1.0);
                LmTrainer.Result r = LmTrainer.train(
                        student,
                        w,
                        loss,
                        TeacherSignal.inProcess(teacher, loss, ByteTokenizer.INSTANCE.identity(), 16),
                        new LmTrainingConfig(20, 2, 1e-2, 0, 1));
                assertThat(r.meanLast(3)).isLessThan(r.meanFirst(3));
            }
        }
    }

    @Test
    void aTorchScriptModuleGeneratesGreedilyAsPyTorchDoes() throws Exception {
        // tiny_lm_greedy.json: PyTorch 1.13's greedy continuations with the same window rule
        // (tools/fixtures/greedy_torchscript_lm.py), and the module's parameter count.
        JsonNode expected =
                new ObjectMapper().readTree(fixture("tiny_lm_greedy.json").toFile());
        int context = expected.get("context").asInt();
        try (TorchScriptLmTeacher teacher =
                TorchScriptLmTeacher.load(fixture("tiny_lm.pt"), ByteTokenizer.INSTANCE.identity(), context)) {
            assertThat(teacher.parameterCount())
                    .isEqualTo(expected.get("parameters").asLong());
            Generator g = Generator.recomputing(teacher::logits, ByteTokenizer.INSTANCE, context);
            for (JsonNode c : expected.get("cases")) {
                int[] prompt = new int[c.get("prompt").size()];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = c.get("prompt").get(i).asInt();
                }
                int[] want = new int[c.get("greedy").size()];
                for (int i = 0; i < want.length; i++) {
                    want[i] = c.get("greedy").get(i).asInt();
                }
                assertThat(g.generate(prompt, SamplingConfig.greedy(want.length).withStopAtEos(false), false, false)
                                .tokens())
                        .as("prompt %s", c.get("prompt"))
                        .containsExactly(want);
            }
        }
    }

    @Test
    void aModuleLoadsWhateverItsFileIsCalled() throws Exception {
        // DJL is given the directory and the file's name; a name without ".pt" must still be that file.
        Path renamed = java.nio.file.Files.copy(fixture("tiny_lm.pt"), dir.resolve("teacher.torchscript"));
        java.nio.file.Files.writeString(dir.resolve("teacher.torchscript.pt"), "not a module");
        try (TorchScriptLmTeacher teacher = TorchScriptLmTeacher.load(renamed, ByteTokenizer.INSTANCE.identity(), 8)) {
            assertThat(teacher.parameterCount()).isEqualTo(8514);
            assertThat(teacher.identity().location()).isEqualTo(renamed.toString());
        }
    }

    @Test
    void anInProcessTeacherIsEvaluatedAsItsModel() {
        TokenWindows w = TokenWindows.pack(
                List.of(new Document("d", "GNU tools for a short evaluation, long enough for three windows")),
                ByteTokenizer.INSTANCE,
                16);
        try (LanguageModel lm = LanguageModel.create(
                        new DecoderConfig(258, 1, 16, 2, 16, 0, Positions.ROTARY, false), ByteTokenizer.INSTANCE, 3);
                LmTeacher teacher = LocalLmTeacher.of(lm, "test")) {
            Evaluation asModel = Evaluation.of(lm, w, 2);
            Evaluation asTeacher = Evaluation.of(teacher, w, 2);
            assertThat(asTeacher.tokens()).isEqualTo(asModel.tokens());
            assertThat(asTeacher.bytes()).isEqualTo(asModel.bytes());
            assertThat(asTeacher.nats()).isCloseTo(asModel.nats(), within(1e-9 * asModel.nats()));
        }
    }

    @Test
    void aModuleThatIsNotALanguageModelIsRefusedNamingTheFile() throws Exception {
        Path notLm = fixture("tiny_classifier_not_lm.pt");
        assertThatThrownBy(() -> TorchScriptLmTeacher.load(notLm, ByteTokenizer.INSTANCE.identity(), 64))
                .hasMessageContaining(notLm.toString())
                .hasMessageContaining("vs expected (2, 3, 258)");
        assertThatThrownBy(
                        () -> TorchScriptLmTeacher.load(dir.resolve("none.pt"), ByteTokenizer.INSTANCE.identity(), 64))
                .hasMessageContaining("not found");
    }

    @Test
    void tokenLevelKdRefusesAnotherVocabularyOrAShorterTeacherContext() throws Exception {
        Path saved = dir.resolve("t");
        try (LanguageModel lm = LanguageModel.create(
                new DecoderConfig(258, 1, 16, 2, 8, 0, Positions.LEARNED, false), ByteTokenizer.INSTANCE, 1)) {
            lm.save(saved);
        }
        try (LocalLmTeacher teacher = LocalLmTeacher.load(saved)) {
            assertThat(teacher.identity().contentHash()).isEqualTo(LanguageModel.contentHash(saved));
            TokenizerIdentity other = new TokenizerIdentity("bpe", 1, 258, 0, 1);
            assertThatThrownBy(() -> TeacherSignal.inProcess(teacher, new TopKKl(3, 1), other, 8))
                    .hasMessageContaining("token-level KD needs one vocabulary")
                    .hasMessageContaining("sequence-level KD");
            assertThatThrownBy(() ->
                            TeacherSignal.inProcess(teacher, new TopKKl(3, 1), ByteTokenizer.INSTANCE.identity(), 16))
                    .hasMessageContaining("teacher context 8 is shorter than the window 16");
        }
    }
}
