package org.distill4j.lm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
 * {@code training.select: best_validation}: a model trained on text unlike its validation text gets
 * worse on validation as it learns, so early stopping must keep an early step, end with exactly
 * those parameters, and select the same after an interruption and resume.
 */
class BestValidationTest {

    private static final DecoderConfig CONFIG = new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.ROTARY, false);
    private static final LmTrainingConfig RUN = new LmTrainingConfig(20, 4, 2e-2, 2, 7);

    @TempDir
    Path dir;

    private static TokenWindows windows(String text, int docs) {
        List<Document> d = new ArrayList<>();
        for (int i = 0; i < docs; i++) {
            d.add(new Document("d" + i, text.repeat(8)));
        }
        return TokenWindows.pack(d, ByteTokenizer.INSTANCE, 32);
    }

    @Test
    void trainingEndsWithTheBestValidationStepAndAResumedRunSelectsTheSame() throws Exception {
        TokenWindows train = windows("abab abab ", 20);
        TokenWindows val = windows("xyz! XYZ? ", 4);
        BestValidation best = new BestValidation(val);
        float[] selected;
        float[] last;
        try (LanguageModel lm = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3);
                LanguageModel plain = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            LmTrainer.train(
                    lm,
                    train,
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    RUN,
                    new LmCheckpoint(dir.resolve("whole"), 4, false),
                    best);
            selected = LmCheckpointTest.parameters(lm);
            LmTrainer.train(
                    plain,
                    train,
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    RUN,
                    new LmCheckpoint(dir.resolve("plain"), 4, false));
            last = LmCheckpointTest.parameters(plain);
            // Evaluated at the checkpoints (every 4 steps) and the last step.
            assertThat(best.curve()).extracting(p -> (int) p[0]).containsExactly(4, 8, 12, 16, 20);
            double min = best.curve().stream().mapToDouble(p -> p[1]).min().orElseThrow();
            assertThat(best.bestBitsPerByte()).isEqualTo(min);
            assertThat(best.bestStep())
                    .as("validation text unlike the training text")
                    .isLessThan(20);
            assertThat(best.curve().get(4)[1]).isGreaterThan(min);
            assertThat(Evaluation.of(lm, val, 16).bitsPerByte()).isCloseTo(min, within(1e-9));
            assertThat(selected).isNotEqualTo(last);
        }

        Path ckpt = dir.resolve("broken");
        interruptAfter(14, train, val, ckpt);
        BestValidation resumedBest = new BestValidation(val);
        try (LanguageModel resumed = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 99)) {
            LmTrainer.train(
                    resumed,
                    train,
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    RUN,
                    new LmCheckpoint(ckpt, 4, true),
                    resumedBest);
            assertThat(resumedBest.bestStep()).isEqualTo(best.bestStep());
            assertThat(resumedBest.curve()).hasSize(5);
            for (int i = 0; i < 5; i++) {
                assertThat(resumedBest.curve().get(i))
                        .containsExactly(best.curve().get(i));
            }
            assertThat(LmCheckpointTest.parameters(resumed)).containsExactly(selected);
        }
        // A checkpoint written without selection is not resumed with it.
        try (LanguageModel other = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            assertThatThrownBy(() -> LmTrainer.train(
                            other,
                            train,
                            new TokenCrossEntropy(),
                            TeacherSignal.none(),
                            RUN,
                            new LmCheckpoint(dir.resolve("plain"), 4, true),
                            new BestValidation(val)))
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("other training settings");
        }
    }

    @Test
    void progressReportsEachEvaluationWithTheMeanLossSinceTheLastReport() throws Exception {
        TokenWindows train = windows("abab abab ", 20);
        TokenWindows val = windows("xyz! XYZ? ", 4);
        List<double[]> reports = new ArrayList<>();
        LmTrainer.Progress record = (step, steps, loss, bpb, tps) -> {
            assertThat(steps).isEqualTo(20);
            assertThat(tps).isPositive().isFinite();
            reports.add(new double[] {step, loss, bpb});
        };
        BestValidation best = new BestValidation(val);
        float[] losses;
        try (LanguageModel lm = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            losses = LmTrainer.train(
                            lm,
                            train,
                            new TokenCrossEntropy(),
                            TeacherSignal.none(),
                            RUN,
                            new LmCheckpoint(dir.resolve("selecting"), 4, false),
                            best,
                            record)
                    .losses();
        }
        assertThat(reports).extracting(r -> (int) r[0]).containsExactly(4, 8, 12, 16, 20);
        for (int i = 0; i < reports.size(); i++) {
            assertThat(reports.get(i)[1]).isCloseTo(mean(losses, 4 * i, 4 * i + 4), within(1e-6));
            assertThat(reports.get(i)[2]).isEqualTo(best.curve().get(i)[1]);
        }

        // Without selection nothing is evaluated; without checkpoints a report every tenth of the run.
        reports.clear();
        try (LanguageModel lm = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            losses = LmTrainer.train(lm, train, new TokenCrossEntropy(), TeacherSignal.none(), RUN, null, null, record)
                    .losses();
        }
        assertThat(reports).extracting(r -> (int) r[0]).containsExactly(2, 4, 6, 8, 10, 12, 14, 16, 18, 20);
        assertThat(reports).allSatisfy(r -> assertThat(r[2]).isNaN());
        assertThat(reports.get(9)[1]).isCloseTo(mean(losses, 18, 20), within(1e-6));

        // A resumed run reports from its checkpoint on, its first mean over the steps it ran.
        Path ckpt = dir.resolve("resumed");
        interruptAfter(10, train, val, ckpt);
        reports.clear();
        try (LanguageModel resumed = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 99)) {
            losses = LmTrainer.train(
                            resumed,
                            train,
                            new TokenCrossEntropy(),
                            TeacherSignal.none(),
                            RUN,
                            new LmCheckpoint(ckpt, 4, true),
                            new BestValidation(val),
                            record)
                    .losses();
        }
        assertThat(reports).extracting(r -> (int) r[0]).containsExactly(12, 16, 20);
        assertThat(reports.get(0)[1]).isCloseTo(mean(losses, 8, 12), within(1e-6));
    }

    @Test
    void timeSpentReportingAndCheckpointingIsNotTrainingTime() throws Exception {
        TokenWindows train = windows("abab abab ", 20);
        long sleep = 150;
        List<double[]> reports = new ArrayList<>();
        // A slow log: every report waits, so that wall time and training time differ by a known amount.
        LmTrainer.Progress slow = (step, steps, loss, bpb, tps) -> {
            reports.add(new double[] {step, tps});
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        LmTrainer.Result result;
        long t0 = System.nanoTime();
        try (LanguageModel lm = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            result = LmTrainer.train(
                    lm,
                    train,
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    RUN,
                    new LmCheckpoint(dir.resolve("slow"), 4, false),
                    null,
                    slow);
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        assertThat(reports).hasSize(5);
        assertThat(result.seconds()).isLessThan(wall - reports.size() * sleep / 1e3);
        // The reported rates cover the same training time as the result, report by report.
        double seconds = 0;
        int previous = 0;
        for (double[] r : reports) {
            seconds += (r[0] - previous) * RUN.batchSize() * CONFIG.contextLength() / r[1];
            previous = (int) r[0];
        }
        assertThat(seconds).isCloseTo(result.seconds(), within(0.1));
    }

    /** Trains with selection and checkpoints every 4 steps into {@code ckpt}, killed after {@code steps} steps. */
    private static void interruptAfter(int steps, TokenWindows train, TokenWindows val, Path ckpt) {
        try (LanguageModel first = LanguageModel.create(CONFIG, ByteTokenizer.INSTANCE, 3)) {
            AtomicInteger calls = new AtomicInteger();
            assertThatThrownBy(() -> LmTrainer.train(
                            first,
                            train,
                            new TokenCrossEntropy(),
                            (m, w, in, s) -> {
                                if (calls.incrementAndGet() > steps) {
                                    throw new IllegalStateException("interrupted");
                                }
                                return new TeacherTargets.None();
                            },
                            RUN,
                            new LmCheckpoint(ckpt, 4, false),
                            new BestValidation(val)))
                    .hasMessageContaining("interrupted");
        }
    }

    private static double mean(float[] values, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
        }
        return sum / (to - from);
    }
}
