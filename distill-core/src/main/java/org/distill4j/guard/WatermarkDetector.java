package org.distill4j.guard;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Tests a suspect's outputs for a {@link Watermark}'s signal: does the suspect's preference for each
 * component's target class follow that component's cosine {@code cos(2π f ⟨v,x⟩ + φ)} over its
 * inputs, <em>with the key's phase</em>?
 *
 * <p>Per component (of a grouped key: the rows whose top class, by the clean teacher given as
 * baseline or else by the suspect, is the component's group; of a single-component key: all rows)
 * the score of input x is the suspect's log-probability of the target class (clipped at ln 1e-7),
 * residualised (least squares) on features that do not depend on the key ({@link Regressors}). Its
 * correlations b and d with the residualised cos and sin of the component's angle 2π f ⟨v, x⟩
 * (scaled to √rows·correlation) give the in-phase value {@code a = b·cos φ - d·sin φ} and the
 * amplitude {@code R = √(b² + d²)}, so a = R·cos(φ + ψ) where ψ depends on the suspect alone. The
 * statistic is S = Σ w·a over the components, with weights w that do not depend on the key either:
 * 1 for {@link Regressors#FULL}, √rows for {@link Regressors#COMPACT} (so that S sums rows ×
 * correlation, the weighting that is best when every row carries the same signal).
 *
 * <p>The p-value needs no model of the data: under H0 (the suspect never learnt from outputs
 * watermarked with this key) the phases, drawn uniformly and independently from the secret, are
 * independent of the suspect, of the probe rows and of everything else above (directions,
 * frequencies, targets, groups, R, ψ). Given all of that, S is distributed as Σ R_j·cos(U_j) with
 * independent uniform U_j, whose tail {@link PhaseNull} computes exactly (conservatively rounded).
 * So the p-value is valid at any depth, for any key (however its directions spread the data) and
 * any suspect, with no random keys and no normal approximation. Its power comes from the number of
 * components: one component can at best show its phase within the noise (p ≈ angle / π), ten that
 * all line up give tails far below 1e-6.
 */
public final class WatermarkDetector {

    private static final double P_FLOOR = 1e-7;

    /** Fewest rows a component is tested on (fewer: the component is left out). */
    static final int MIN_ROWS = 16;

    private WatermarkDetector() {}

    /**
     * The features a component's score is residualised on, and how components are weighted. Either
     * choice keeps the p-value exact: neither depends on the key's phases.
     */
    public enum Regressors {
        /**
         * Four columns whatever the class count: a constant, the baseline's log-probabilities of the
         * component's target and of its group (the row's top class), and the suspect's
         * log-probability of the group minus the mean of its non-target log-probabilities (a ratio
         * the watermark's renormalisation leaves unchanged); for a single-component key also the
         * baseline's top class, one-hot. Components weighted by √rows. Needs the clean teacher's
         * outputs as baseline: the default with one. With many classes it keeps the degrees of
         * freedom {@link #FULL} spends (58 classes: 116 columns, a component needs 119 rows), and on
         * the Debian descriptions it finds students that {@code FULL} misses (docs/audit.md).
         */
        COMPACT,
        /**
         * A constant, the baseline's log-probabilities of every class when given, the suspect's
         * log-probabilities of the other classes centred over them and, for a single-component key,
         * the predicted class (one-hot); every component counts once. The default without a
         * baseline, where the suspect's own other classes must stand in for the teacher; the
         * statistic of every p-value distill4j reported before 2026-12-05.
         */
        FULL;

        /** Returns the default for a test with or without the clean teacher's outputs. */
        public static Regressors defaultFor(boolean baseline) {
            return baseline ? COMPACT : FULL;
        }
    }

    /**
     * The detector's answer.
     *
     * @param rows inputs used
     * @param components components tested (those with at least {@value #MIN_ROWS} rows)
     * @param statistic S = Σ w·(in-phase value), each value √rows·correlation of the residualised
     *     score with the component's cosine at the key's phase, w the design's component weight (1 or
     *     √rows)
     * @param nullSd the standard deviation of S under H0, √(Σ (wR)² / 2)
     * @param pValue P(S' &gt;= S) for S' = Σ w_j R_j cos U_j, U_j uniform: exact (conservative) under H0
     * @param regressors the statistic's design
     */
    public record Detection(
            int rows, int components, double statistic, double nullSd, double pValue, Regressors regressors) {

        /** Returns S in standard deviations of its null distribution (for reading, not for the p-value). */
        public double standardised() {
            return nullSd > 0 ? statistic / nullSd : 0;
        }
    }

    /**
     * Tests outputs for a key's watermark.
     *
     * @param key the key
     * @param featureSize floats per input row
     * @param classes classes of the model
     * @param features the probe inputs, rows of {@code featureSize} floats
     * @param logProbabilities the suspect's log-probabilities, rows of {@code classes}
     * @param baseline the clean teacher's log-probabilities on the same rows, or null
     */
    public static Detection test(
            WatermarkKey key,
            int featureSize,
            int classes,
            float[] features,
            float[] logProbabilities,
            float[] baseline) {
        return detect(new Watermark(key, featureSize, classes), features, logProbabilities, baseline);
    }

    /**
     * Tests outputs for a key's watermark with a chosen design.
     *
     * @param regressors the design; {@link Regressors#COMPACT} needs a baseline
     * @see #test(WatermarkKey, int, int, float[], float[], float[])
     */
    public static Detection test(
            WatermarkKey key,
            int featureSize,
            int classes,
            float[] features,
            float[] logProbabilities,
            float[] baseline,
            Regressors regressors) {
        return detect(new Watermark(key, featureSize, classes), features, logProbabilities, baseline, regressors);
    }

    /**
     * Tests outputs for the watermark, without a baseline.
     *
     * @param watermark the watermark (built from the key for this input size and class count)
     * @param features the inputs, rows of {@link Watermark#featureSize()} floats
     * @param logProbabilities the suspect's log-probabilities, rows of {@link Watermark#classes()}
     */
    public static Detection detect(Watermark watermark, float[] features, float[] logProbabilities) {
        return detect(watermark, features, logProbabilities, null);
    }

    /**
     * Tests outputs for the watermark, with the clean model's outputs on the same inputs as a
     * baseline: the score is then also residualised on the baseline's log-probabilities, which
     * leaves the suspect's own deviations, where the watermark lives, and the baseline's top class
     * assigns rows to a grouped key's components. The provider who holds the key usually holds the
     * clean teacher too. The baseline must be the <em>clean</em> teacher's (a watermarked one carries
     * the phases, and the p-value would not be valid).
     *
     * @param baseline the clean teacher's log-probabilities on the same rows, or null for none
     */
    public static Detection detect(Watermark watermark, float[] features, float[] logProbabilities, float[] baseline) {
        return detect(watermark, features, logProbabilities, baseline, Regressors.defaultFor(baseline != null));
    }

    /**
     * Tests outputs for the watermark with a chosen design.
     *
     * @param regressors the design; {@link Regressors#COMPACT} needs a baseline
     * @throws IllegalArgumentException for {@link Regressors#COMPACT} without a baseline, or rows that
     *     do not match
     */
    public static Detection detect(
            Watermark watermark, float[] features, float[] logProbabilities, float[] baseline, Regressors regressors) {
        if (regressors == Regressors.COMPACT && baseline == null) {
            throw new IllegalArgumentException("the compact watermark statistic needs the clean teacher's outputs as "
                    + "baseline; without them use the full one");
        }
        int c = watermark.classes();
        int d = watermark.featureSize();
        int n = logProbabilities.length / c;
        if (n < MIN_ROWS
                || logProbabilities.length != n * c
                || features.length != n * d
                || (baseline != null && baseline.length != logProbabilities.length)) {
            throw new IllegalArgumentException("watermark detection needs at least " + MIN_ROWS + " rows of " + d
                    + " features and " + c + " outputs, got " + n + " rows of outputs and " + features.length
                    + " features" + (baseline == null ? "" : " and " + baseline.length + " baseline outputs"));
        }
        float[] reference = baseline != null ? baseline : logProbabilities;
        int[] group = new int[n];
        for (int r = 0; r < n; r++) {
            int top = 0;
            for (int k = 1; k < c; k++) {
                top = reference[r * c + k] > reference[r * c + top] ? k : top;
            }
            group[r] = top;
        }
        int m = watermark.components();
        double[] inPhase = new double[m];
        double[] amplitude = new double[m];
        int used = 0;
        int rowsUsed = 0;
        for (int g = 0; g < m; g++) {
            int[] rows = rowsOf(group, watermark.grouped() ? g : -1);
            double[] ar = component(watermark, g, rows, group, features, logProbabilities, baseline, regressors);
            if (ar != null) {
                inPhase[used] = ar[0];
                amplitude[used++] = ar[1];
                rowsUsed += rows.length;
            }
        }
        double s = 0;
        double var = 0;
        for (int j = 0; j < used; j++) {
            s += inPhase[j];
            var += amplitude[j] * amplitude[j] / 2;
        }
        double[] r = Arrays.copyOf(amplitude, used);
        return new Detection(rowsUsed, used, s, Math.sqrt(var), PhaseNull.upperTail(r, s), regressors);
    }

    /** Returns the rows of group g, or all rows for g = -1. */
    private static int[] rowsOf(int[] group, int g) {
        return IntStream.range(0, group.length)
                .filter(r -> g < 0 || group[r] == g)
                .toArray();
    }

    /**
     * Returns {in-phase value, amplitude} of component g on the given rows, both times the
     * component's weight, or null if too few rows; {@code top} holds every row's top class (by the
     * baseline, else the suspect).
     */
    private static double[] component(
            Watermark w,
            int g,
            int[] rows,
            int[] top,
            float[] features,
            float[] logProbabilities,
            float[] baseline,
            Regressors regressors) {
        int c = w.classes();
        int n = rows.length;
        int target = w.target(g);
        boolean oneHot = !w.grouped();
        boolean compact = regressors == Regressors.COMPACT;
        int h = 1 + (oneHot ? c : 0) + (compact ? 3 : (baseline != null ? c : 0) + (c - 1));
        if (n < Math.max(MIN_ROWS, h + 3)) {
            return null;
        }
        double floor = Math.log(P_FLOOR);
        double[][] cols = new double[h][n];
        double[] y = new double[n];
        double[] cos = new double[n];
        double[] sin = new double[n];
        for (int i = 0; i < n; i++) {
            int r = rows[i];
            double angle = w.angle(g, features, r * w.featureSize());
            cos[i] = Math.cos(angle);
            sin[i] = Math.sin(angle);
            y[i] = Math.max(logProbabilities[r * c + target], floor);
            cols[0][i] = 1;
            int j = 1;
            int t = top[r];
            if (oneHot) {
                cols[1 + t][i] = 1;
                j += c;
            }
            if (compact) {
                double others = 0;
                for (int k = 0; k < c; k++) {
                    if (k != target) {
                        others += Math.max(logProbabilities[r * c + k], floor) / (c - 1);
                    }
                }
                cols[j++][i] = Math.max(baseline[r * c + target], floor);
                cols[j++][i] = Math.max(baseline[r * c + t], floor);
                // A single-component key's target can be a row's top class: the column would then
                // hold the score itself, so it is left at zero there (the one-hot carries the level).
                cols[j][i] = t == target ? 0 : Math.max(logProbabilities[r * c + t], floor) - others;
                continue;
            }
            if (baseline != null) {
                for (int k = 0; k < c; k++) {
                    cols[j++][i] = Math.max(baseline[r * c + k], floor);
                }
            }
            // Centred over the other classes: log q_c - mean log q_c' is the same before and after
            // the watermark's renormalisation by 1 + s, so these carry none of the signal.
            double mean = 0;
            for (int k = 0; k < c; k++) {
                if (k != target) {
                    mean += Math.max(logProbabilities[r * c + k], floor) / (c - 1);
                }
            }
            for (int k = 0; k < c; k++) {
                if (k != target) {
                    cols[j++][i] = Math.max(logProbabilities[r * c + k], floor) - mean;
                }
            }
        }
        double[][] basis = orthonormalise(cols);
        residualise(y, basis);
        residualise(cos, basis);
        residualise(sin, basis);
        double yy = dot(y, y);
        double cs = (dot(cos, cos) + dot(sin, sin)) / 2;
        if (!(yy > 0) || !(cs > 0)) {
            return null;
        }
        // √n · correlation scale; the same for cos and sin, so a = R·cos(φ + ψ) exactly.
        double scale = Math.sqrt(n) / Math.sqrt(yy * cs);
        double b = scale * dot(y, cos);
        double dd = scale * dot(y, sin);
        double phase = w.phase(g);
        double weight = compact ? Math.sqrt(n) : 1;
        return new double[] {weight * (b * Math.cos(phase) - dd * Math.sin(phase)), weight * Math.hypot(b, dd)};
    }

    /** Modified Gram-Schmidt; columns that are (numerically) dependent on earlier ones are dropped. */
    private static double[][] orthonormalise(double[][] cols) {
        java.util.List<double[]> out = new java.util.ArrayList<>();
        for (double[] col : cols) {
            double[] v = col.clone();
            double before = Math.sqrt(dot(v, v));
            for (double[] q : out) {
                double d = dot(v, q);
                for (int i = 0; i < v.length; i++) {
                    v[i] -= d * q[i];
                }
            }
            double norm = Math.sqrt(dot(v, v));
            if (norm > 1e-9 * Math.max(before, 1e-300)) {
                for (int i = 0; i < v.length; i++) {
                    v[i] /= norm;
                }
                out.add(v);
            }
        }
        return out.toArray(new double[0][]);
    }

    private static void residualise(double[] v, double[][] basis) {
        for (double[] q : basis) {
            double d = dot(v, q);
            for (int i = 0; i < v.length; i++) {
                v[i] -= d * q[i];
            }
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
