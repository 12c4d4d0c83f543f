package org.distill4j.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Summaries of a bootstrap distribution shared by the paired comparisons. */
final class Bootstrap {

    private Bootstrap() {}

    /** Each unit counted once: the statistic on the sample as it is. */
    static int[] once(int n) {
        int[] all = new int[n];
        Arrays.fill(all, 1);
        return all;
    }

    /**
     * Draws {@code resamples} bootstrap samples of {@code n} units (each unit's count in a draw of n
     * with replacement) from {@code rng} and returns the statistic of each, in draw order.
     */
    static double[][] resample(
            SplittableRandom rng, int n, int resamples, java.util.function.Function<int[], double[]> statistic) {
        double[][] out = new double[resamples][];
        int[] counts = new int[n];
        for (int r = 0; r < resamples; r++) {
            Arrays.fill(counts, 0);
            for (int i = 0; i < n; i++) {
                counts[rng.nextInt(n)]++;
            }
            out[r] = statistic.apply(counts);
        }
        return out;
    }

    /** Column {@code k} of {@link #resample}'s result. */
    static double[] column(double[][] draws, int k) {
        double[] out = new double[draws.length];
        for (int r = 0; r < draws.length; r++) {
            out[r] = draws[r][k];
        }
        return out;
    }

    /**
     * A statistic's value and its resampled distribution summarised: the 2.5th and 97.5th
     * percentiles, the standard deviation and the share of resamples strictly above zero; NaN
     * resamples (a statistic undefined on that draw) are left out.
     *
     * @throws IllegalArgumentException if no resample is defined
     */
    static PairedComparison.Difference difference(double value, double[] resampled) {
        double[] sorted =
                Arrays.stream(resampled).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no resample of " + resampled.length + " defines the statistic");
        }
        double mean = 0;
        int above = 0;
        for (double d : sorted) {
            mean += d;
            above += d > 0 ? 1 : 0;
        }
        mean /= sorted.length;
        double ss = 0;
        for (double d : sorted) {
            ss += (d - mean) * (d - mean);
        }
        return new PairedComparison.Difference(
                value,
                percentile(sorted, 0.025),
                percentile(sorted, 0.975),
                sorted.length > 1 ? Math.sqrt(ss / (sorted.length - 1)) : 0,
                (double) above / sorted.length);
    }

    /** Linear interpolation between order statistics (numpy's default). */
    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
