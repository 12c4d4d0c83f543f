package org.distill4j.eval;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.distill4j.data.ExampleSet;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.Teacher;

/**
 * Evaluates a model on a test set in one call and returns every figure {@code metrics.json} holds
 * for it ({@link ModelMetrics}): accuracy, macro-F1, errors, parameters, saved size, agreement with
 * and KL from a teacher (when one is given), latency p50/p99 of one row and throughput at a batch
 * size. Immutable; build it with {@link #builder()}, or use {@link #evaluate(SavedModel,
 * ExampleSet, Teacher)} with the defaults.
 *
 * <p>Timings are measured in this JVM on the model's engine and device, after a warm-up; they
 * depend on the machine and its load.
 */
public final class Evaluator {

    private final Teacher teacher;
    private final Predictions teacherPredictions;
    private final int latencyRuns;
    private final int throughputBatch;
    private final int batchSize;

    private Evaluator(Builder b) {
        this.teacher = b.teacher;
        this.teacherPredictions = b.teacherPredictions;
        this.latencyRuns = b.latencyRuns;
        this.throughputBatch = b.throughputBatch;
        this.batchSize = b.batchSize;
    }

    /** Starts a builder; every option has a default. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Evaluates {@code model} on {@code test} with the default options.
     *
     * @param teacher the teacher to compare with (agreement, KL), or null for none (then those two
     *     figures are NaN)
     */
    public static ModelMetrics evaluate(SavedModel model, ExampleSet test, Teacher teacher) throws IOException {
        Builder b = builder();
        if (teacher != null) {
            b.optTeacher(teacher);
        }
        return b.build().evaluate(model, test);
    }

    /**
     * Evaluates a model on a test set.
     *
     * @param model the model (trained or loaded)
     * @param test labelled test rows of the model's input shape and classes
     * @return every metric of the model on {@code test}
     * @throws IOException if the parameters cannot be written to measure their saved size
     * @throws IllegalArgumentException if the test set does not fit the model or has no rows
     */
    public ModelMetrics evaluate(SavedModel model, ExampleSet test) throws IOException {
        if (test.size() == 0) {
            throw new IllegalArgumentException("test set " + test.name() + " is empty");
        }
        if (!java.util.Arrays.equals(model.descriptor().featureShape(), test.featureShape())
                || model.numClasses() != test.numClasses()) {
            throw new IllegalArgumentException("test set " + test.name() + " has rows of shape "
                    + java.util.Arrays.toString(test.featureShape()) + " and " + test.numClasses()
                    + " classes, but the model expects "
                    + java.util.Arrays.toString(model.descriptor().featureShape())
                    + " and " + model.numClasses());
        }
        try (NDManager manager = model.model().getNDManager().newSubManager()) {
            Predictions p = Predictions.of(model, test, manager, batchSize);
            Predictions t = teacherPredictions != null
                    ? teacherPredictions
                    : teacher != null ? Predictions.of(teacher, test, manager, batchSize) : null;
            if (t != null && t.rows() != test.size()) {
                throw new IllegalArgumentException("teacher predictions cover " + t.rows() + " rows, the test set "
                        + test.name() + " has " + test.size());
            }
            ServingCost cost = ServingCost.measure(model::logits, test, manager, latencyRuns, throughputBatch);
            return new ModelMetrics(
                    p.accuracy(test),
                    p.macroF1(test),
                    p.errors(test),
                    test.size(),
                    model.parameterCount(),
                    savedSize(model),
                    t == null ? Double.NaN : p.agreement(t),
                    t == null ? Double.NaN : p.klFrom(t),
                    cost.latencyMsP50(),
                    cost.latencyMsP99(),
                    cost.throughputPerS(),
                    cost.batch());
        }
    }

    /** Bytes of the model's parameter file as {@link SavedModel#save} writes it. */
    private static long savedSize(SavedModel model) throws IOException {
        Path tmp = Files.createTempDirectory("distill4j-size-");
        try {
            model.saveParametersTo(tmp, 0);
            return Files.size(tmp.resolve(SavedModel.PARAMS));
        } finally {
            Files.deleteIfExists(tmp.resolve(SavedModel.PARAMS));
            Files.deleteIfExists(tmp);
        }
    }

    /** Builder: every option is optional ({@code optX}). */
    public static final class Builder {
        private Teacher teacher;
        private Predictions teacherPredictions;
        private int latencyRuns = 300;
        private int throughputBatch = 256;
        private int batchSize = 512;

        private Builder() {}

        /** Compares with this teacher (agreement, KL), run on the test rows. */
        public Builder optTeacher(Teacher value) {
            this.teacher = Objects.requireNonNull(value, "teacher");
            return this;
        }

        /** Compares with a teacher's predictions already computed on the same test rows. */
        public Builder optTeacherPredictions(Predictions value) {
            this.teacherPredictions = value;
            return this;
        }

        /** Sets the single-row calls timed for latency, in [10, 100000] (default 300, as recipes). */
        public Builder optLatencyRuns(int value) {
            if (value < 10 || value > 100_000) {
                throw new IllegalArgumentException(
                        "illegal latency_runs value: " + value + ", must be in [10, 100000]");
            }
            this.latencyRuns = value;
            return this;
        }

        /** Sets the batch size throughput is measured at, in [1, 65536] (default 256, as recipes). */
        public Builder optThroughputBatch(int value) {
            if (value < 1 || value > 65_536) {
                throw new IllegalArgumentException(
                        "illegal throughput_batch value: " + value + ", must be in [1, 65536]");
            }
            this.throughputBatch = value;
            return this;
        }

        /** Sets the rows per forward pass when predicting the test set (default 512). */
        public Builder optBatchSize(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("illegal batch size: " + value + ", must be >= 1");
            }
            this.batchSize = value;
            return this;
        }

        /** Builds the evaluator. */
        public Evaluator build() {
            return new Evaluator(this);
        }
    }
}
