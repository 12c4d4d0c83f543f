package org.distill4j.eval;

import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.data.ExampleSet;

/**
 * Temperature scaling (Guo et al., 2017, "On Calibration of Modern Neural Networks"): the one
 * temperature {@code T > 0} that minimises a model's mean cross-entropy {@code -log
 * softmax(z / T)[y]} on held-out labelled rows. A model that fits its training rows almost
 * perfectly is overconfident, and {@code T > 1} spreads its probability the way its errors on
 * unseen rows say it should; the top class of every row is unchanged.
 *
 * <p>The fit is exact up to 1e-9 in the gradient: with {@code b = 1 / T} the mean cross-entropy is
 * convex in {@code b} (a log-sum-exp of linear functions minus a linear one), so Newton's method on
 * {@code b} with step halving converges to its one minimum. Where no finite minimum exists (every
 * row's label is its top class by a margin: sharper is always better) {@code b} grows until the
 * gradient vanishes, at most to {@value #MAX_INVERSE}.
 * Computed in double precision in Java, so it does not depend on the engine.
 *
 * @param temperature the fitted T, in [1 / {@value #MAX_INVERSE}, 1 / {@value #MIN_INVERSE}]
 * @param crossEntropyBefore mean cross-entropy (nats) at T = 1
 * @param crossEntropyAfter mean cross-entropy (nats) at the fitted T, at most {@code crossEntropyBefore}
 * @param rows labelled rows fitted on
 */
public record TemperatureScaling(double temperature, double crossEntropyBefore, double crossEntropyAfter, int rows) {

    /** The largest 1 / T considered (T = 0.001). */
    static final double MAX_INVERSE = 1000;

    /** The smallest 1 / T considered (T = 1000). */
    static final double MIN_INVERSE = 0.001;

    /**
     * Fits the temperature of {@code predictions} on the labelled rows of {@code data} (rows with a
     * negative label are skipped).
     *
     * @throws IllegalArgumentException if the two have different row counts, or no row is labelled
     */
    public static TemperatureScaling fit(Predictions predictions, ExampleSet data) {
        if (predictions.rows() != data.size()) {
            throw new IllegalArgumentException(
                    "predictions have " + predictions.rows() + " rows but the data has " + data.size());
        }
        int labelled = 0;
        for (int i = 0; i < data.size(); i++) {
            labelled += data.label(i) >= 0 ? 1 : 0;
        }
        if (labelled == 0) {
            throw new IllegalArgumentException(
                    "temperature scaling needs labelled rows; none of the " + data.size() + " rows has a label");
        }
        int[] rows = new int[labelled];
        int[] labels = new int[labelled];
        for (int i = 0, k = 0; i < data.size(); i++) {
            if (data.label(i) >= 0) {
                rows[k] = i;
                labels[k++] = data.label(i);
            }
        }
        Objective f = new Objective(predictions.logits(), predictions.classes(), rows, labels);
        double b = 1;
        double[] at = f.at(b);
        double before = at[0];
        for (int iteration = 0; iteration < 100 && Math.abs(at[1]) > 1e-9; iteration++) {
            // Newton on a convex function; halve the step until the value does not rise.
            double step = at[2] > 0 ? -at[1] / at[2] : -Math.signum(at[1]) * b;
            double next = clamp(b + step);
            double[] there = f.at(next);
            for (int halving = 0; halving < 60 && there[0] > at[0]; halving++) {
                step /= 2;
                next = clamp(b + step);
                there = f.at(next);
            }
            if (there[0] > at[0] || next == b) {
                break;
            }
            b = next;
            at = there;
        }
        return new TemperatureScaling(1 / b, before, at[0], labelled);
    }

    private static double clamp(double b) {
        return Math.max(MIN_INVERSE, Math.min(MAX_INVERSE, b));
    }

    /** As {@code metrics.json} records it. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("temperature", temperature);
        m.put("rows", rows);
        m.put("cross_entropy_before", crossEntropyBefore);
        m.put("cross_entropy_after", crossEntropyAfter);
        return m;
    }

    /** The mean cross-entropy at 1 / T = b, and its first and second derivatives in b. */
    private record Objective(float[] logits, int classes, int[] rows, int[] labels) {

        double[] at(double b) {
            double value = 0;
            double first = 0;
            double second = 0;
            for (int k = 0; k < rows.length; k++) {
                int base = rows[k] * classes;
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    max = Math.max(max, b * logits[base + c]);
                }
                double sum = 0;
                double mean = 0;
                double square = 0;
                for (int c = 0; c < classes; c++) {
                    double z = logits[base + c];
                    double e = Math.exp(b * z - max);
                    sum += e;
                    mean += e * z;
                    square += e * z * z;
                }
                mean /= sum;
                double zy = logits[base + labels[k]];
                value += max + Math.log(sum) - b * zy;
                first += mean - zy;
                second += Math.max(0, square / sum - mean * mean);
            }
            int n = rows.length;
            return new double[] {value / n, first / n, second / n};
        }
    }
}
