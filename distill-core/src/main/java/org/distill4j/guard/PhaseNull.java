package org.distill4j.guard;

import java.util.Arrays;

/**
 * The exact null distribution of a sum of cosines with independent uniform phases, {@code S =
 * Σ_j R_j·cos(U_j)}, U_j ~ U[0, 2π): what {@link WatermarkDetector}'s statistic is under H0, given
 * the suspect, because the key's phases are uniform and independent of a suspect that never saw the
 * key's outputs.
 *
 * <p>{@link #upperTail} returns P(S &gt;= s) computed by convolving the components' distributions
 * on a grid, each value rounded <em>up</em> to the grid: the discretised sum is never below the true
 * one, so the result is never below the true tail (a valid, conservative p-value). The grid step is
 * {@value #STEP_FRACTION} of the null's standard deviation divided by the number of components (so
 * the rounding moves the sum by at most that fraction of a standard deviation), or 2·Σ R_j / {@value
 * #MAX_POINTS} where that is larger (many components: the shift then stays under about 0.15 standard
 * deviations up to 100 equal ones). There is no
 * asymptotic approximation: the tail is exact down to about 1e-300 (floating point), and near the
 * largest possible value Σ R_j it is far smaller than a normal tail (each cosine is bounded).
 */
public final class PhaseNull {

    /** The grid step as a fraction of sd / components: the most the rounding can move the sum, in sd. */
    static final double STEP_FRACTION = 0.01;

    /** Cap on grid points: the convolution costs at most about points² steps (0.3 s at 20,000). */
    static final int MAX_POINTS = 20_000;

    private PhaseNull() {}

    /**
     * Returns P(Σ_j amplitudes[j]·cos(U_j) &gt;= statistic), conservatively (see the class comment).
     *
     * @param amplitudes R_j &gt;= 0, finite; zeros are ignored
     * @param statistic the observed value
     * @return the tail probability in [0, 1]
     */
    public static double upperTail(double[] amplitudes, double statistic) {
        double[] r = Arrays.stream(amplitudes).filter(a -> a > 0).toArray();
        for (double a : r) {
            if (!Double.isFinite(a)) {
                throw new IllegalArgumentException("illegal amplitude value: " + a + ", must be finite");
            }
        }
        double total = Arrays.stream(r).sum();
        if (r.length == 0 || Double.isNaN(statistic) || statistic <= -total) {
            return 1;
        }
        if (statistic > total) {
            return 0;
        }
        double sd = Math.sqrt(Arrays.stream(r).map(a -> a * a / 2).sum());
        double h = Math.max(STEP_FRACTION * sd / r.length, 2 * total / MAX_POINTS);
        // Components largest first: the pruning below then drops more entries early.
        Arrays.sort(r);
        // before[j] = Σ_{i < j} r_i: what the components not yet convolved can add at most.
        double[] before = new double[r.length + 1];
        for (int j = 0; j < r.length; j++) {
            before[j + 1] = before[j] + r[j];
        }
        int target = (int) Math.ceil(statistic / h - 1e-9);
        // dist[i] = P(discretised partial sum = (lo + i)·h)
        double[] dist = {1};
        long lo = 0;
        for (int j = r.length - 1; j >= 0; j--) {
            double a = r[j];
            int kmin = (int) Math.ceil(-a / h);
            int kmax = (int) Math.ceil(a / h);
            double[] pm = new double[kmax - kmin + 1];
            double prev = 0;
            for (int k = kmin; k <= kmax; k++) {
                double cdf = cdf(k * h, a);
                pm[k - kmin] = Math.max(0, cdf - prev);
                prev = cdf;
            }
            double[] next = new double[dist.length + pm.length - 1];
            for (int i = 0; i < dist.length; i++) {
                double d = dist[i];
                if (d == 0) {
                    continue;
                }
                for (int k = 0; k < pm.length; k++) {
                    next[i + k] += d * pm[k];
                }
            }
            lo += kmin;
            // Entries that cannot reach the statistic even if every remaining cosine is 1 never
            // count: drop them (exactly) to keep the arrays short. The rounded-up remaining
            // components add at most Σ ceil(r_i/h) <= before[j]/h + j grid steps.
            long reach = (long) Math.ceil(before[j] / h) + j + 1;
            int first = (int) Math.max(0, Math.min(next.length - 1, target - reach - lo));
            if (first > 0) {
                next = Arrays.copyOfRange(next, first, next.length);
                lo += first;
            }
            dist = next;
        }
        double p = 0;
        for (int i = (int) Math.max(0, target - lo); i < dist.length; i++) {
            p += dist[i];
        }
        return Math.min(1, p);
    }

    /** P(a·cos U &lt;= x). */
    private static double cdf(double x, double a) {
        if (x >= a) {
            return 1;
        }
        if (x < -a) {
            return 0;
        }
        return 1 - Math.acos(x / a) / Math.PI;
    }
}
