package org.distill4j.lm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.data.CorruptDataException;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: an interrupted language-model training resumes from its checkpoint and ends exactly
 * where an uninterrupted run ends (parameters and losses), on a tiny decoder and a few KB of text.
 */
class LmCheckpointTest {

    private static final DecoderConfig CONFIG = new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.ROTARY, false);
    private static final LmTrainingConfig RUN = new LmTrainingConfig(12, 4, 1e-2, 3, 7);

    @TempDir
    Path dir;

    static TokenWindows windows() {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            docs.add(new Document("d" + i, "package " + i + " provides tools for the cat and the dog " + (i * 7 % 13)));
        }
        return TokenWindows.pack(docs, ByteTokenizer.INSTANCE, 32);
    }

    /** Every parameter of {@code lm}, flattened in block order (to compare two models exactly). */
    static float[] parameters(LanguageModel lm) {
        List<Float> all = new ArrayList<>();
        for (Pair<String, Parameter> p : lm.model().getBlock().getParameters()) {
            NDArray a = p.getValue().getArray();
            for (float f : a.toFloatArray()) {
                all.add(f);
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    /** No teacher, but a step counter that can stop the run part-way, like a kill between two steps. */
    private static TeacherSignal stopAt(int step, AtomicInteger calls) {
        return (m, w, in, s) -> {
            if (calls.incrementAndGet() > step) {
                throw new IllegalStateException("interrupted at step " + step);
            }
            return new TeacherTargets.None();
        };
    }

    @Test
    void anInterruptedTrainingResumesFromItsCheckpointAndEndsWhereAnUninterruptedOneEnds() throws Exception {
        TokenWindows w = windows();
        float[] expected;
        float[] expectedLosses;
        try (LanguageModel whole = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            LmTrainer.Result r = LmTrainer.train(
                    whole,
                    w,
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    RUN,
                    new LmCheckpoint(dir.resolve("whole"), 4, false));
            expected = parameters(whole);
            expectedLosses = r.losses();
        }
        Path ckpt = dir.resolve("broken");
        try (LanguageModel first = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            assertThatThrownBy(() -> LmTrainer.train(
                            first,
                            w,
                            new TokenCrossEntropy(),
                            stopAt(10, new AtomicInteger()),
                            RUN,
                            new LmCheckpoint(ckpt, 4, false)))
                    .hasMessageContaining("interrupted at step 10");
        }
        // A fresh model with another seed: everything must come from the checkpoint of step 8.
        try (LanguageModel resumed = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 99)) {
            AtomicInteger calls = new AtomicInteger();
            LmTrainer.Result r = LmTrainer.train(
                    resumed,
                    w,
                    new TokenCrossEntropy(),
                    stopAt(Integer.MAX_VALUE, calls),
                    RUN,
                    new LmCheckpoint(ckpt, 4, true));
            assertThat(calls.get()).as("steps run after the resume").isEqualTo(4);
            assertThat(r.tokens()).isEqualTo(4L * 4 * 32);
            assertThat(r.losses()).containsExactly(expectedLosses);
            assertThat(parameters(resumed)).containsExactly(expected);
        }
        // Checkpoints of other settings are refused, naming the file.
        try (LanguageModel other = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            assertThatThrownBy(() -> LmTrainer.train(
                            other,
                            w,
                            new TokenCrossEntropy(),
                            TeacherSignal.none(),
                            new LmTrainingConfig(12, 4, 3e-3, 3, 7),
                            new LmCheckpoint(ckpt, 4, true)))
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("state.json")
                    .hasMessageContaining("other training settings");
        }
    }
}
