package org.distill4j.lm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.data.CorruptDataException;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.train.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The language-model trainer's learning-rate schedules: the rate per step, and a cosine run that is
 * interrupted resumes to the same parameters (the schedule depends on the total step count, which
 * the checkpoint therefore records).
 */
class LmScheduleTest {

    private static final DecoderConfig CONFIG = new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.ROTARY, false);
    private static final LmTrainingConfig COSINE = new LmTrainingConfig(12, 4, 1e-2, 3, 7, Schedule.COSINE);

    @TempDir
    Path dir;

    @Test
    void constantKeepsTheEarlierRatesAndCosineDecaysFromThePeakToZero() {
        LmTrainingConfig constant = new LmTrainingConfig(100, 4, 1e-3, 10, 1);
        // Warm-up as before the schedules existed: (t + 1) / (warmup + 1) of the rate, then the rate.
        assertThat(constant.rate(1)).isCloseTo(2e-3 / 11, within(1e-12));
        assertThat(constant.rate(9)).isCloseTo(1e-2 / 11, within(1e-12));
        assertThat(constant.rate(10)).isEqualTo(1e-3);
        assertThat(constant.rate(100)).isEqualTo(1e-3);

        LmTrainingConfig cosine = new LmTrainingConfig(100, 4, 1e-3, 10, 1, Schedule.COSINE);
        assertThat(cosine.rate(9)).isEqualTo(constant.rate(9));
        assertThat(cosine.rate(10)).isCloseTo(1e-3, within(1e-12));
        assertThat(cosine.rate(55)).isCloseTo(0.5e-3, within(1e-12)); // half-way through the decay
        assertThat(cosine.rate(100)).isCloseTo(0, within(1e-12));
        for (long t = 11; t <= 100; t++) {
            assertThat(cosine.rate(t)).as("step %d", t).isLessThan(cosine.rate(t - 1));
        }
        assertThatThrownBy(() -> new LmTrainingConfig(10, 4, 1e-3, 1, 1, null)).hasMessageContaining("schedule");
    }

    @Test
    void anInterruptedCosineRunResumesToTheSameParametersAndAnotherLengthIsRefused() throws Exception {
        TokenWindows w = LmCheckpointTest.windows();
        float[] expected;
        float[] constantEnd;
        try (LanguageModel whole = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            LmTrainer.train(whole, w, new TokenCrossEntropy(), TeacherSignal.none(), COSINE);
            expected = LmCheckpointTest.parameters(whole);
        }
        try (LanguageModel flat = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            LmTrainer.train(
                    flat, w, new TokenCrossEntropy(), TeacherSignal.none(), new LmTrainingConfig(12, 4, 1e-2, 3, 7));
            constantEnd = LmCheckpointTest.parameters(flat);
        }
        // The schedule reaches the optimiser: the same run at a constant rate ends elsewhere.
        assertThat(constantEnd).isNotEqualTo(expected);

        Path ckpt = dir.resolve("cosine");
        try (LanguageModel first = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            AtomicInteger calls = new AtomicInteger();
            assertThatThrownBy(() -> LmTrainer.train(
                            first,
                            w,
                            new TokenCrossEntropy(),
                            (m, win, in, s) -> {
                                if (calls.incrementAndGet() > 10) {
                                    throw new IllegalStateException("interrupted at step 10");
                                }
                                return new TeacherTargets.None();
                            },
                            COSINE,
                            new LmCheckpoint(ckpt, 4, false)))
                    .hasMessageContaining("interrupted");
        }
        // Resuming with more steps would change every rate of the decay: refused, naming the file.
        try (LanguageModel longer = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            assertThatThrownBy(() -> LmTrainer.train(
                            longer,
                            w,
                            new TokenCrossEntropy(),
                            TeacherSignal.none(),
                            new LmTrainingConfig(24, 4, 1e-2, 3, 7, Schedule.COSINE),
                            new LmCheckpoint(ckpt, 4, true)))
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("state.json")
                    .hasMessageContaining("other training settings");
        }
        try (LanguageModel resumed = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 99)) {
            LmTrainer.train(
                    resumed, w, new TokenCrossEntropy(), TeacherSignal.none(), COSINE, new LmCheckpoint(ckpt, 4, true));
            assertThat(LmCheckpointTest.parameters(resumed)).containsExactly(expected);
        }
    }
}
