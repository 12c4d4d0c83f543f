package org.distill4j.guard;

import java.util.Arrays;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * The Shapiro-Wilk test of normality, with Royston's (1992, 1995) approximations of the
 * coefficients and of the p-value (as in R's {@code shapiro.test}), for 12 to 5000 values.
 */
final class ShapiroWilk {

    private static final NormalDistribution N01 = new NormalDistribution(null, 0, 1);

    /**
     * The statistic and its p-value.
     *
     * @param w W in (0, 1]; values well below 1 mean "not normal"
     * @param pValue P(W' &lt;= W) under normality
     */
    record Result(double w, double pValue) {}

    private ShapiroWilk() {}

    static Result test(double[] values) {
        int n = values.length;
        if (n < 12 || n > 5000) {
            throw new IllegalArgumentException("Shapiro-Wilk needs 12 to 5000 values, got " + n);
        }
        double[] x = values.clone();
        Arrays.sort(x);
        double range = x[n - 1] - x[0];
        if (!(range > 0)) {
            return new Result(0, 0);
        }
        double[] m = new double[n];
        double mm = 0;
        for (int i = 0; i < n; i++) {
            m[i] = N01.inverseCumulativeProbability((i + 1 - 0.375) / (n + 0.25));
            mm += m[i] * m[i];
        }
        double u = 1 / Math.sqrt(n);
        double[] a = new double[n];
        double an = m[n - 1] / Math.sqrt(mm) + poly(u, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056);
        double an1 = m[n - 2] / Math.sqrt(mm) + poly(u, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633);
        double phi = (mm - 2 * m[n - 1] * m[n - 1] - 2 * m[n - 2] * m[n - 2]) / (1 - 2 * an * an - 2 * an1 * an1);
        for (int i = 2; i < n - 2; i++) {
            a[i] = m[i] / Math.sqrt(phi);
        }
        a[n - 1] = an;
        a[n - 2] = an1;
        a[0] = -an;
        a[1] = -an1;
        double mean = Arrays.stream(x).average().orElseThrow();
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += a[i] * x[i];
            den += (x[i] - mean) * (x[i] - mean);
        }
        double w = Math.min(1, num * num / den);
        double ln = Math.log(n);
        double mu = 0.0038915 * ln * ln * ln - 0.083751 * ln * ln - 0.31082 * ln - 1.5861;
        double sigma = Math.exp(0.0030302 * ln * ln - 0.082676 * ln - 0.4803);
        double z = (Math.log(Math.max(1 - w, 1e-300)) - mu) / sigma;
        // The upper tail as the lower one of -z: 1 - cdf(z) cancels to 0 beyond z ~ 8 (p < 1e-15).
        return new Result(w, N01.cumulativeProbability(-z));
    }

    /** c1·u + c2·u² + ... + c5·u⁵. */
    private static double poly(double u, double c1, double c2, double c3, double c4, double c5) {
        return u * (c1 + u * (c2 + u * (c3 + u * (c4 + u * c5))));
    }
}
