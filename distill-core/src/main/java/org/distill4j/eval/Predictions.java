package org.distill4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.Teacher;

/**
 * A model's logits on every row of a data set, and the metrics computed from them (in double
 * precision, in Java, so they do not depend on the engine's reductions).
 *
 * @param rows number of rows
 * @param classes logits per row
 * @param logits row-major logits, {@code rows * classes}
 */
public record Predictions(int rows, int classes, float[] logits) {

    /** Runs a model over a data set in inference mode, in batches of {@code batchSize}. */
    public static Predictions of(SavedModel model, ExampleSet data, NDManager manager, int batchSize) {
        return run(data, manager, batchSize, model::logits, model.numClasses(), done -> {});
    }

    /** Runs a teacher over a data set, in batches of {@code batchSize}. */
    public static Predictions of(Teacher teacher, ExampleSet data, NDManager manager, int batchSize) {
        return run(data, manager, batchSize, teacher::logits, data.numClasses(), done -> {});
    }

    /** Wraps logits already computed (e.g. cached teacher outputs). */
    public static Predictions ofLogits(int rows, int classes, float[] logits) {
        return new Predictions(rows, classes, logits);
    }

    /**
     * Runs any forward function over a data set, in row order, in batches of {@code batchSize},
     * each in its own sub-manager of {@code manager}.
     *
     * @param forward inputs (B, featureShape...) to logits (B, classes)
     * @param classes logits per row the function must return
     * @param progress told the number of rows done after each batch
     * @throws IllegalStateException if the function returns another number of logits per row
     */
    public static Predictions run(
            ExampleSet data,
            NDManager manager,
            int batchSize,
            java.util.function.Function<NDArray, NDArray> forward,
            int classes,
            java.util.function.IntConsumer progress) {
        return new Predictions(
                data.size(), classes, ExampleSets.forward(data, manager, batchSize, forward, classes, progress));
    }

    /** These predictions on some of the rows, in the given order (e.g. for {@link ExampleSets#subset}). */
    public Predictions rows(int[] rows) {
        float[] out = new float[rows.length * classes];
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(logits, rows[k] * classes, out, k * classes, classes);
        }
        return new Predictions(rows.length, classes, out);
    }

    /** Returns the top class of row {@code i}. */
    public int argmax(int i) {
        int best = 0;
        int base = i * classes;
        for (int c = 1; c < classes; c++) {
            if (logits[base + c] > logits[base + best]) {
                best = c;
            }
        }
        return best;
    }

    /** Returns the number of labelled rows whose top class differs from the label. */
    public int errors(ExampleSet data) {
        int errors = 0;
        for (int i = 0; i < rows; i++) {
            int y = data.label(i);
            if (y >= 0 && argmax(i) != y) {
                errors++;
            }
        }
        return errors;
    }

    /** Returns the fraction of labelled rows classified correctly; NaN when none is labelled. */
    public double accuracy(ExampleSet data) {
        int labelled = labelledCount(data);
        return labelled == 0 ? Double.NaN : 1.0 - (double) errors(data) / labelled;
    }

    /** Returns the accuracy on the rows labelled {@code classId}; NaN when there are none. */
    public double classAccuracy(ExampleSet data, int classId) {
        int n = 0;
        int right = 0;
        for (int i = 0; i < rows; i++) {
            if (data.label(i) == classId) {
                n++;
                right += argmax(i) == classId ? 1 : 0;
            }
        }
        return n == 0 ? Double.NaN : (double) right / n;
    }

    /**
     * Returns the F1 score of each class, in class-id order: {@code 2 tp / (2 tp + fp + fn)} over
     * the labelled rows (unlabeled rows are skipped). A class that neither occurs in the labels nor
     * is ever predicted has no F1: its entry is NaN.
     *
     * @param data the rows these predictions were made on, with their labels
     * @return {@link #classes()} values in [0, 1] or NaN
     */
    public double[] classF1(ExampleSet data) {
        long[] tp = new long[classes];
        long[] fp = new long[classes];
        long[] fn = new long[classes];
        for (int i = 0; i < rows; i++) {
            int y = data.label(i);
            if (y < 0) {
                continue;
            }
            int p = argmax(i);
            if (p == y) {
                tp[y]++;
            } else {
                fp[p]++;
                fn[y]++;
            }
        }
        return f1(tp, fp, fn);
    }

    /** Each class's F1 from its counts: {@code 2 tp / (2 tp + fp + fn)}, NaN where all three are 0. */
    static double[] f1(long[] tp, long[] fp, long[] fn) {
        double[] f1 = new double[tp.length];
        for (int c = 0; c < tp.length; c++) {
            long denominator = 2 * tp[c] + fp[c] + fn[c];
            f1[c] = denominator == 0 ? Double.NaN : 2.0 * tp[c] / denominator;
        }
        return f1;
    }

    /** The mean of the F1 values that are not NaN; NaN when all are. */
    static double macro(double[] f1) {
        double sum = 0;
        int counted = 0;
        for (double f : f1) {
            if (!Double.isNaN(f)) {
                sum += f;
                counted++;
            }
        }
        return counted == 0 ? Double.NaN : sum / counted;
    }

    /**
     * Returns the macro-averaged F1: the unweighted mean of {@link #classF1} over the classes that
     * occur in the true labels or in the predictions of the labelled rows (scikit-learn's {@code
     * f1_score(average="macro")} with its default labels). Every such class counts equally, so a
     * rare class that is never predicted pulls it down by a full share; a class absent from both is
     * left out rather than counted as 0. Unlabeled rows are skipped; NaN when none is labelled.
     */
    public double macroF1(ExampleSet data) {
        return macro(classF1(data));
    }

    /** Returns the mean cross-entropy (nats) over labelled rows; NaN when none is labelled. */
    public double crossEntropy(ExampleSet data) {
        double sum = 0;
        int labelled = 0;
        for (int i = 0; i < rows; i++) {
            int y = data.label(i);
            if (y >= 0) {
                sum += logSumExp(i, 1.0) - logits[i * classes + y];
                labelled++;
            }
        }
        return labelled == 0 ? Double.NaN : sum / labelled;
    }

    /** Returns the fraction of rows on which this and {@code other} pick the same top class. */
    public double agreement(Predictions other) {
        requireSameRows(other);
        int same = 0;
        for (int i = 0; i < rows; i++) {
            same += argmax(i) == other.argmax(i) ? 1 : 0;
        }
        return rows == 0 ? Double.NaN : (double) same / rows;
    }

    /** Returns the mean KL(teacher || this) at temperature 1, in nats. */
    public double klFrom(Predictions teacher) {
        requireSameRows(teacher);
        double sum = 0;
        for (int i = 0; i < rows; i++) {
            double lzT = teacher.logSumExp(i, 1.0);
            double lzS = logSumExp(i, 1.0);
            for (int c = 0; c < classes; c++) {
                double logP = teacher.logits[i * classes + c] - lzT;
                double logQ = logits[i * classes + c] - lzS;
                sum += Math.exp(logP) * (logP - logQ);
            }
        }
        return rows == 0 ? Double.NaN : sum / rows;
    }

    private double logSumExp(int i, double temperature) {
        int base = i * classes;
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[base + c] / temperature);
        }
        double s = 0;
        for (int c = 0; c < classes; c++) {
            s += Math.exp(logits[base + c] / temperature - max);
        }
        return max + Math.log(s);
    }

    private void requireSameRows(Predictions other) {
        if (other.rows != rows || other.classes != classes) {
            throw new IllegalArgumentException(
                    "predictions differ in shape: " + rows + "x" + classes + " vs " + other.rows + "x" + other.classes);
        }
    }

    private static int labelledCount(ExampleSet data) {
        int n = 0;
        for (int i = 0; i < data.size(); i++) {
            n += data.label(i) >= 0 ? 1 : 0;
        }
        return n;
    }
}
