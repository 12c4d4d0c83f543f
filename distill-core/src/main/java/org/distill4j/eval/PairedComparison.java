package org.distill4j.eval;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.data.ExampleSet;

/**
 * Two models compared on the same labelled rows, with how much of their difference the choice of
 * rows alone could explain: McNemar's exact test on accuracy, and a paired bootstrap (rows drawn
 * with replacement, both models scored on each draw) for accuracy and macro-F1.
 *
 * <p>What it covers, and what not: the uncertainty of a finite test set (which rows, and for a
 * rare class which handful of them, the split happens to hold), given the two trained models. It
 * says nothing about training seeds: a second seed of either model is another model. A gain that
 * is large against the seed spread but inside this interval is not yet shown on this test set; a
 * gain outside it can still be one seed's luck.
 *
 * @param rows the labelled rows compared (unlabelled rows are left out)
 * @param accuracy first model's accuracy minus the second's, in [-1, 1]
 * @param macroF1 first model's macro-F1 minus the second's, in [-1, 1] (the same rule as {@link
 *     Predictions#macroF1}, on each resample too)
 * @param onlyFirstRight rows the first model gets right and the second wrong
 * @param onlySecondRight rows the second model gets right and the first wrong
 * @param mcnemarP two-sided exact McNemar p-value: the binomial test of {@code onlyFirstRight}
 *     against {@code Binomial(onlyFirstRight + onlySecondRight, 1/2)}; 1 when no row is discordant
 * @param resamples bootstrap resamples drawn
 * @param seed the bootstrap's seed (the same seed, rows and predictions give the same intervals)
 */
public record PairedComparison(
        int rows,
        Difference accuracy,
        Difference macroF1,
        int onlyFirstRight,
        int onlySecondRight,
        double mcnemarP,
        int resamples,
        long seed) {

    /** The resamples {@link #of(Predictions, Predictions, ExampleSet)} draws. */
    public static final int DEFAULT_RESAMPLES = 2000;

    /** Its seed: fixed, so that a report is reproducible. */
    public static final long DEFAULT_SEED = 20150309L;

    /**
     * One difference (first minus second) and its paired-bootstrap distribution.
     *
     * @param value the difference on the rows as they are
     * @param low the 2.5th percentile of the resampled differences
     * @param high the 97.5th percentile
     * @param standardError the resampled differences' standard deviation
     * @param shareAboveZero the fraction of resamples where the first model is strictly ahead
     */
    public record Difference(double value, double low, double high, double standardError, double shareAboveZero) {

        /** As a JSON-compatible tree. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("difference", value);
            m.put("interval_95", java.util.List.of(low, high));
            m.put("standard_error", standardError);
            m.put("share_of_resamples_above_zero", shareAboveZero);
            return m;
        }
    }

    /** Compares with {@link #DEFAULT_RESAMPLES} resamples and {@link #DEFAULT_SEED}. */
    public static PairedComparison of(Predictions first, Predictions second, ExampleSet data) {
        return of(first, second, data, DEFAULT_RESAMPLES, DEFAULT_SEED);
    }

    /**
     * Compares two models' predictions on the rows of {@code data}.
     *
     * @param first the model the differences are of (e.g. the distilled student)
     * @param second the model it is compared with (e.g. its scratch twin)
     * @param data the rows both predicted, in the same order, with their labels
     * @param resamples bootstrap resamples, at least 100
     * @param seed the bootstrap's seed
     * @throws IllegalArgumentException if the predictions do not match the rows or each other, or
     *     no row is labelled
     */
    public static PairedComparison of(
            Predictions first, Predictions second, ExampleSet data, int resamples, long seed) {
        if (first.rows() != data.size() || second.rows() != data.size() || first.classes() != second.classes()) {
            throw new IllegalArgumentException("predictions of " + first.rows() + "x" + first.classes() + " and "
                    + second.rows() + "x" + second.classes() + " do not both match the " + data.size() + " rows of "
                    + data.name());
        }
        if (resamples < 100) {
            throw new IllegalArgumentException("illegal resamples value: " + resamples + ", must be at least 100");
        }
        int classes = first.classes();
        int n = 0;
        for (int i = 0; i < data.size(); i++) {
            n += data.label(i) >= 0 ? 1 : 0;
        }
        if (n == 0) {
            throw new IllegalArgumentException(data.name() + " has no labelled row to compare the models on");
        }
        int[] y = new int[n];
        int[] a = new int[n];
        int[] b = new int[n];
        int k = 0;
        int onlyFirst = 0;
        int onlySecond = 0;
        for (int i = 0; i < data.size(); i++) {
            int label = data.label(i);
            if (label < 0) {
                continue;
            }
            if (label >= classes) {
                throw new IllegalArgumentException("row " + i + " of " + data.name() + " has label " + label
                        + ", the models have " + classes + " classes");
            }
            y[k] = label;
            a[k] = first.argmax(i);
            b[k] = second.argmax(i);
            onlyFirst += a[k] == label && b[k] != label ? 1 : 0;
            onlySecond += b[k] == label && a[k] != label ? 1 : 0;
            k++;
        }
        double[] point = scores(y, a, b, Bootstrap.once(n), classes);
        double[][] draws = Bootstrap.resample(
                new SplittableRandom(seed), n, resamples, counts -> scores(y, a, b, counts, classes));
        return new PairedComparison(
                n,
                Bootstrap.difference(point[0], Bootstrap.column(draws, 0)),
                Bootstrap.difference(point[1], Bootstrap.column(draws, 1)),
                onlyFirst,
                onlySecond,
                mcnemar(onlyFirst, onlySecond),
                resamples,
                seed);
    }

    /** {accuracy difference, macro-F1 difference} with row i counted {@code weight[i]} times. */
    private static double[] scores(int[] y, int[] a, int[] b, int[] weight, int classes) {
        long[][] tp = new long[2][classes];
        long[][] fp = new long[2][classes];
        long[][] fn = new long[2][classes];
        long total = 0;
        long right = 0;
        for (int i = 0; i < y.length; i++) {
            int w = weight[i];
            if (w == 0) {
                continue;
            }
            total += w;
            for (int m = 0; m < 2; m++) {
                int p = m == 0 ? a[i] : b[i];
                if (p == y[i]) {
                    tp[m][p] += w;
                    right += m == 0 ? w : -w;
                } else {
                    fp[m][p] += w;
                    fn[m][y[i]] += w;
                }
            }
        }
        double macroA = Predictions.macro(Predictions.f1(tp[0], fp[0], fn[0]));
        double macroB = Predictions.macro(Predictions.f1(tp[1], fp[1], fn[1]));
        return new double[] {(double) right / total, macroA - macroB};
    }

    /**
     * The two-sided exact McNemar p-value: {@code min(1, 2 P(X >= max(b, c)))} for {@code X ~
     * Binomial(b + c, 1/2)} (the distribution is symmetric, so this is twice the smaller tail).
     */
    static double mcnemar(int b, int c) {
        if (b + c == 0) {
            return 1;
        }
        return Math.min(1, 2 * Math.pow(10, BinomialTail.log10UpperTail(b + c, Math.max(b, c), 0.5)));
    }

    /** As a JSON-compatible tree, for {@code metrics.json}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rows", rows);
        m.put("accuracy", accuracy.toMap());
        m.put("macro_f1", macroF1.toMap());
        Map<String, Object> mc = new LinkedHashMap<>();
        mc.put("only_first_right", onlyFirstRight);
        mc.put("only_second_right", onlySecondRight);
        mc.put("p_value", mcnemarP);
        m.put("mcnemar_exact", mc);
        m.put("bootstrap_resamples", resamples);
        m.put("bootstrap_seed", seed);
        return m;
    }
}
