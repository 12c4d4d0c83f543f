package org.distill4j.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link WeightedBernoulliTail}, the bound behind the watermark audits' p-values, against what it
 * must equal: with equal weights the optimal Chernoff bound of a binomial, {@code exp(-n D(s/n ||
 * gamma))}; with unequal ones a brute-force minimum over lambda computed here with the plain
 * formula; and never below the tail it bounds (simulated).
 */
class WeightedBernoulliTailTest {

    private static double kl(double a, double g) {
        double left = a == 0 ? 0 : a * Math.log(a / g);
        double right = a == 1 ? 0 : (1 - a) * Math.log((1 - a) / (1 - g));
        return left + right;
    }

    private static double[] ones(int n) {
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1.0);
        return w;
    }

    @Test
    void equalWeightsGiveTheBinomialChernoffBound() {
        double gamma = 0.25;
        int n = 200;
        for (int s : new int[] {51, 60, 80, 120, 199}) {
            double expected = -n * kl((double) s / n, gamma) / Math.log(10);
            assertThat(WeightedBernoulliTail.log10UpperBound(ones(n), s, gamma))
                    .as("s = %d", s)
                    .isCloseTo(expected, within(1e-6 * Math.abs(expected)));
        }
    }

    @Test
    void theMeanAndTheMaximumAreTheEdges() {
        double gamma = 0.25;
        int n = 40; // mean 10, maximum 40
        assertThat(WeightedBernoulliTail.log10UpperBound(ones(n), 10, gamma))
                .as("at the mean")
                .isZero();
        assertThat(WeightedBernoulliTail.log10UpperBound(ones(n), 3, gamma)).isZero();
        // At the maximum the bound is exact: P(S >= n) = gamma^n.
        assertThat(WeightedBernoulliTail.log10UpperBound(ones(n), n, gamma))
                .isCloseTo(n * Math.log10(gamma), within(1e-6));
        assertThat(WeightedBernoulliTail.log10UpperBound(ones(n), n + 1e-9, gamma))
                .as("beyond what the weights can reach")
                .isEqualTo(Double.NEGATIVE_INFINITY);
        // Negative weights cannot help reach s: the maximum counts the positive ones only.
        double[] mixed = {1, 1, -1, -1};
        assertThat(WeightedBernoulliTail.log10UpperBound(mixed, 2.0, gamma))
                .isCloseTo(2 * Math.log10(gamma) + 2 * Math.log10(1 - gamma), within(1e-6));
        assertThat(WeightedBernoulliTail.log10UpperBound(mixed, 2.5, gamma)).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void unequalWeightsGiveTheMinimumOverLambda() {
        double gamma = 0.3;
        // Negative weights too (a residual below its position's mean), which take the other branch
        // of the stable log-MGF and tilted mean.
        double[] w = {0.5, 1.0, 2.0, 0.25, 1.5, 3.0, 0.75, 1.0, -0.5, -1.0};
        double mean = 0;
        for (double x : w) {
            mean += gamma * x;
        }
        for (double s : new double[] {mean + 0.1, mean + 0.5, mean + 2, 7.5}) {
            double best = 0;
            for (double lambda = 0; lambda <= 40; lambda += 1e-4) {
                double logMgf = 0;
                for (double x : w) {
                    logMgf += Math.log(1 - gamma + gamma * Math.exp(lambda * x));
                }
                best = Math.min(best, logMgf - lambda * s);
            }
            assertThat(WeightedBernoulliTail.log10UpperBound(w, s, gamma))
                    .as("s = %f", s)
                    .isCloseTo(best / Math.log(10), within(1e-6));
        }
    }

    @Test
    void theBoundIsNeverBelowTheSimulatedTail() {
        SplittableRandom r = new SplittableRandom(7);
        double gamma = 0.5;
        double[] w = new double[60];
        for (int i = 0; i < w.length; i++) {
            w[i] = 0.2 + 1.6 * r.nextDouble();
        }
        int trials = 200_000;
        double[] sums = new double[trials];
        for (int t = 0; t < trials; t++) {
            double s = 0;
            for (double x : w) {
                s += r.nextDouble() < gamma ? x : 0;
            }
            sums[t] = s;
        }
        double mean = 0;
        for (double x : w) {
            mean += gamma * x;
        }
        for (double s : new double[] {mean + 1, mean + 3, mean + 5}) {
            int above = 0;
            for (double v : sums) {
                above += v >= s ? 1 : 0;
            }
            double tail = (double) above / trials;
            double bound = Math.pow(10, WeightedBernoulliTail.log10UpperBound(w, s, gamma));
            assertThat(bound).as("s = %f, simulated tail %f", s, tail).isGreaterThanOrEqualTo(tail);
            assertThat(bound).as("a bound, but not a vacuous one").isLessThan(1.0);
        }
    }
}
