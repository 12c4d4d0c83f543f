package org.distill4j.guard;

/**
 * Chernoff's bound on the upper tail of {@code S = sum w_i B_i}, the {@code B_i} independent
 * Bernoulli(gamma): {@code P(S >= s) <= exp(Lambda(lambda) - lambda s)} for every {@code lambda >=
 * 0}, {@code Lambda} the exact log moment-generating function {@code sum log(1 - gamma + gamma
 * exp(lambda w_i))}. Any lambda gives a valid bound; the search only makes it tight.
 */
final class WeightedBernoulliTail {

    private WeightedBernoulliTail() {}

    /** The base-10 logarithm of the bound, at most 0; weights are best scaled to about 1. */
    static double log10UpperBound(double[] w, double s, double gamma) {
        double mean = 0;
        double reachable = 0;
        for (double x : w) {
            mean += gamma * x;
            reachable += Math.max(0, x);
        }
        if (!(s > mean)) {
            return 0;
        }
        if (s > reachable) {
            return Double.NEGATIVE_INFINITY;
        }
        // Lambda is convex; its derivative (the tilted mean) rises from the mean towards the
        // reachable maximum, so the minimiser is where it equals s: bisect for it.
        double lo = 0;
        double hi = 1;
        while (tiltedMean(w, hi, gamma) < s && hi < 1e6) {
            hi *= 2;
        }
        for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
            double mid = 0.5 * (lo + hi);
            if (tiltedMean(w, mid, gamma) < s) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double lambda = 0.5 * (lo + hi);
        double logBound = logMgf(w, lambda, gamma) - lambda * s;
        return Math.min(0, logBound / Math.log(10));
    }

    private static double logMgf(double[] w, double lambda, double gamma) {
        double sum = 0;
        for (double x : w) {
            double a = lambda * x;
            // log(1 - gamma + gamma e^a), without overflow for large a
            sum += a > 0 ? a + Math.log(gamma + (1 - gamma) * Math.exp(-a)) : Math.log1p(gamma * Math.expm1(a));
        }
        return sum;
    }

    private static double tiltedMean(double[] w, double lambda, double gamma) {
        double sum = 0;
        for (double x : w) {
            double a = lambda * x;
            double q = a > 0
                    ? gamma / (gamma + (1 - gamma) * Math.exp(-a))
                    : gamma * Math.exp(a) / (1 + gamma * Math.expm1(a));
            sum += x * q;
        }
        return sum;
    }
}
