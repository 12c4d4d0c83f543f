package org.distill4j.lm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.SequenceLoss;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.train.ShutdownBarrier;
import org.distill4j.train.TrainingDivergedException;

/**
 * Trains a language model on packed windows with one {@link SequenceLoss}: each step draws a batch
 * of windows (seeded), asks the in-process teacher for logits if the loss needs them and lets the
 * loss turn them into its targets, and takes one Adam step (each gradient entry clipped to [-1, 1],
 * DJL's element-wise clipping; learning rate warmed up linearly, then constant; {@code LmAdam}, whose
 * state can be checkpointed). Each batch's arrays live in their own sub-manager. With an {@link
 * LmCheckpoint} it checkpoints every few steps and can resume an interrupted run exactly.
 */
public final class LmTrainer {

    /**
     * What a run did.
     *
     * @param losses the total loss of every step
     * @param seconds wall time of the loop, without the validation passes of early stopping, the
     *     progress reports and the checkpoint writes
     * @param tokens student positions trained on (steps x batch x context)
     */
    public record Result(float[] losses, double seconds, long tokens) {

        /** Returns training tokens per second. */
        public double tokensPerSecond() {
            return tokens / seconds;
        }

        /** Returns the mean loss of the first {@code n} steps. */
        public double meanFirst(int n) {
            return Arrays.stream(Arrays.copyOf(toDouble(), Math.min(n, losses.length)))
                    .average()
                    .orElse(Double.NaN);
        }

        /** Returns the mean loss of the last {@code n} steps. */
        public double meanLast(int n) {
            double[] d = toDouble();
            return Arrays.stream(Arrays.copyOfRange(d, Math.max(0, d.length - n), d.length))
                    .average()
                    .orElse(Double.NaN);
        }

        private double[] toDouble() {
            double[] d = new double[losses.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = losses[i];
            }
            return d;
        }
    }

    /**
     * What a training reports as it goes, for a log: called every tenth of the run (at the
     * checkpoints when there are any) and after the last step, on the training thread.
     */
    @FunctionalInterface
    public interface Progress {

        /** Reports nothing. */
        Progress NONE = (step, steps, meanLoss, validationBitsPerByte, tokensPerSecond) -> {};

        /**
         * @param step steps done (1-based, at most {@code steps})
         * @param steps steps of the whole run
         * @param meanLoss the mean training loss of the steps since the previous report (nats per
         *     position, as the loss defines it)
         * @param validationBitsPerByte validation bits per byte after this step, or NaN when the run
         *     does not evaluate (no early stopping)
         * @param tokensPerSecond training tokens per second since the previous report, without the
         *     validation passes, reports and checkpoint writes
         */
        void report(int step, int steps, double meanLoss, double validationBitsPerByte, double tokensPerSecond);
    }

    private LmTrainer() {}

    /**
     * Trains {@code student} in place.
     *
     * @param student the model to train
     * @param windows training windows (their context must fit the student's)
     * @param loss the objective
     * @param teacher the in-process teacher, or null when the loss needs none
     * @param config steps, batch, learning rate, seed
     * @throws IllegalArgumentException if the loss needs a teacher and none is given, or the
     *     teacher's vocabulary or context differs from the student's
     * @throws TrainingDivergedException if the loss becomes NaN or infinite (the step is named; its
     *     1-based epoch() is the step)
     */
    public static Result train(
            LanguageModel student,
            TokenWindows windows,
            SequenceLoss loss,
            LanguageModel teacher,
            LmTrainingConfig config) {
        if (loss.needsTeacher() && teacher == null) {
            throw new IllegalArgumentException(loss + " needs an in-process teacher");
        }
        return train(
                student,
                windows,
                loss,
                loss.needsTeacher()
                        ? TeacherSignal.inProcess(
                                LocalLmTeacher.of(teacher, "in-memory"),
                                loss,
                                student.tokenizer().identity(),
                                windows.contextLength())
                        : TeacherSignal.none(),
                config);
    }

    /**
     * Trains {@code student} in place with teacher targets from any source (e.g. a {@link
     * org.distill4j.lm.cache.TopKCache}); the caller is responsible for the source matching the
     * windows, tokenizer and loss (the cache's key records that).
     */
    public static Result train(
            LanguageModel student,
            TokenWindows windows,
            SequenceLoss loss,
            TeacherSignal signal,
            LmTrainingConfig config) {
        try {
            return train(student, windows, loss, signal, config, null);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // no checkpoints: no I/O
        }
    }

    /**
     * Trains like {@link #train(LanguageModel, TokenWindows, SequenceLoss, TeacherSignal,
     * LmTrainingConfig)}, writing a checkpoint every {@code checkpoint.every()} steps (and after the
     * last) and, with {@code checkpoint.resume()}, continuing from the checkpoint in its directory:
     * the result (parameters and losses) is the uninterrupted run's. The returned seconds and tokens
     * are those of this call's steps.
     *
     * @param checkpoint where to checkpoint, or null for none
     * @throws IOException if a checkpoint cannot be written or read (a corrupt one, or one of other
     *     settings, is a {@link org.distill4j.data.CorruptDataException} naming the file)
     */
    public static Result train(
            LanguageModel student,
            TokenWindows windows,
            SequenceLoss loss,
            TeacherSignal signal,
            LmTrainingConfig config,
            LmCheckpoint checkpoint)
            throws IOException {
        return train(student, windows, loss, signal, config, checkpoint, null);
    }

    /**
     * Trains like {@link #train(LanguageModel, TokenWindows, SequenceLoss, TeacherSignal,
     * LmTrainingConfig, LmCheckpoint)} and, with {@code best} given, evaluates validation bits per
     * byte every tenth of the run (at the checkpoints when there are any) and after the last step,
     * and ends with the parameters of the best evaluation, not the last ({@link BestValidation}).
     *
     * @param best early stopping on validation, or null to keep the last parameters
     */
    public static Result train(
            LanguageModel student,
            TokenWindows windows,
            SequenceLoss loss,
            TeacherSignal signal,
            LmTrainingConfig config,
            LmCheckpoint checkpoint,
            BestValidation best)
            throws IOException {
        return train(student, windows, loss, signal, config, checkpoint, best, Progress.NONE);
    }

    /**
     * Trains like {@link #train(LanguageModel, TokenWindows, SequenceLoss, TeacherSignal,
     * LmTrainingConfig, LmCheckpoint, BestValidation)}, telling {@code progress} how it goes.
     */
    @SuppressWarnings("try") // a ShutdownBarrier hold is held, never referenced
    public static Result train(
            LanguageModel student,
            TokenWindows windows,
            SequenceLoss loss,
            TeacherSignal signal,
            LmTrainingConfig config,
            LmCheckpoint checkpoint,
            BestValidation best,
            Progress progress)
            throws IOException {
        int ctx = windows.contextLength();
        if (ctx > student.config().contextLength()) {
            throw new IllegalArgumentException("windows of " + ctx + " positions exceed the student's context "
                    + student.config().contextLength());
        }
        LmAdam adam = new LmAdam(config, student.model().getBlock().getParameters());
        DefaultTrainingConfig tc = new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(adam);
        float[] losses = new float[config.steps()];
        SplittableRandom random = new SplittableRandom(config.seed());
        var settings = LmCheckpoint.settings(config, ctx, loss.toString());
        if (best != null) {
            settings.put("select", "best_validation");
        }
        int evalEvery = checkpoint != null ? checkpoint.every() : Math.max(1, config.steps() / 10);
        int first = 0;
        // Restored before the trainer exists: its initialisation keeps parameters that are already set.
        if (checkpoint != null && checkpoint.resume()) {
            LmCheckpoint.Restored r = checkpoint.restore(
                    student.model().getBlock(), adam, student.model().getNDManager(), settings, config.steps(), best);
            if (r != null) {
                first = r.step();
                System.arraycopy(r.losses(), 0, losses, 0, first);
                // Replay the batch sampler to where the checkpoint stopped.
                for (long i = 0; i < (long) first * config.batchSize(); i++) {
                    random.nextInt(windows.size());
                }
            }
        }
        long start = System.nanoTime();
        // Validation passes, progress reports and checkpoint writes: wall time that trains nothing,
        // left out of every tokens/s figure.
        long paused = 0;
        int reported = first;
        long lastReport = start;
        try (Trainer trainer = student.model().newTrainer(tc)) {
            trainer.initialize(new Shape(config.batchSize(), ctx));
            for (int step = first; step < config.steps(); step++) {
                // Held through the step's validation and checkpoint write as well (ShutdownBarrier).
                try (ShutdownBarrier.Step hold = ShutdownBarrier.step()) {
                    int[] idx = new int[config.batchSize()];
                    for (int i = 0; i < idx.length; i++) {
                        idx[i] = random.nextInt(windows.size());
                    }
                    try (NDManager batch = trainer.getManager().newSubManager()) {
                        NDList data = windows.batch(batch, idx);
                        NDArray inputs = data.get(0);
                        NDArray targets = data.get(1);
                        TeacherTargets tt = signal.targets(batch, idx, inputs, config.seed() * 1_000_003L + step);
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDArray logits = trainer.forward(new NDList(inputs)).head();
                            NDArray total = loss.terms(logits, targets, tt).total();
                            losses[step] = total.getFloat();
                            if (!Float.isFinite(losses[step])) {
                                throw new TrainingDivergedException(
                                        "training diverged: loss " + losses[step] + " at step " + step + " with " + loss
                                                + "; lower the learning rate (" + config.learningRate() + ")",
                                        step + 1,
                                        null);
                            }
                            gc.backward(total);
                        }
                        adam.beginStep();
                        trainer.step();
                    }
                    boolean report = (step + 1) % evalEvery == 0 || step + 1 == config.steps();
                    if (report) {
                        long pause = System.nanoTime();
                        double validation = best != null ? best.observe(step + 1, student) : Double.NaN;
                        double sum = 0;
                        for (int i = reported; i <= step; i++) {
                            sum += losses[i];
                        }
                        double trained = (pause - lastReport) / 1e9;
                        progress.report(
                                step + 1,
                                config.steps(),
                                sum / (step + 1 - reported),
                                validation,
                                (double) (step + 1 - reported) * config.batchSize() * ctx / Math.max(trained, 1e-9));
                        // With a checkpoint, evalEvery is its interval: reports, evaluations and checkpoints coincide.
                        if (checkpoint != null) {
                            checkpoint.save(
                                    step + 1,
                                    losses,
                                    student.model().getBlock(),
                                    adam,
                                    student.model().getNDManager(),
                                    settings,
                                    best);
                        }
                        reported = step + 1;
                        lastReport = System.nanoTime();
                        paused += lastReport - pause;
                    }
                }
            }
        }
        if (best != null) {
            best.restore(student);
        }
        double seconds = (System.nanoTime() - start - paused) / 1e9;
        return new Result(losses, seconds, (long) (config.steps() - first) * config.batchSize() * ctx);
    }
}
