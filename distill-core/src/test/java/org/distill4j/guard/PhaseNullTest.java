package org.distill4j.guard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The exact null of a sum of cosines with uniform phases, against closed forms and simulation. */
class PhaseNullTest {

    @Test
    void oneComponentIsTheArcsineTail() {
        // P(R cos U >= s) = arccos(s / R) / π; the grid rounds up, so never below it, and by at
        // most STEP_FRACTION of a standard deviation (R / √2) in s.
        double shift = PhaseNull.STEP_FRACTION * 2 / Math.sqrt(2);
        for (double s : new double[] {-1.5, -0.3, 0, 0.7, 1.9, 1.999}) {
            double exact = Math.acos(s / 2) / Math.PI;
            double p = PhaseNull.upperTail(new double[] {2}, s);
            assertThat(p).isGreaterThanOrEqualTo(exact - 1e-12);
            assertThat(p).isLessThanOrEqualTo(Math.acos(Math.max(-1, (s - shift) / 2)) / Math.PI + 1e-12);
        }
        assertThat(PhaseNull.upperTail(new double[] {2}, 2.01)).isZero();
        assertThat(PhaseNull.upperTail(new double[] {2}, -2)).isEqualTo(1);
        assertThat(PhaseNull.upperTail(new double[0], 1)).isEqualTo(1);
    }

    @Test
    void threeComponentsAreBracketedByTheIntegratedTail() {
        // The exact tail of three components by integration: for each pair of phases of the first
        // two (midpoints of a 3,000 x 3,000 grid over [0, π), cosines being symmetric), the third's
        // arcsine tail. Accurate to about 1e-8 here (checked against 12,000 x 12,000); the bracket the class promises
        // is [exact(s),
        // exact(s - 3h)], h the grid step (each rounded-up component adds at most h).
        double[] r = {1.0, 0.7, 0.4};
        double sd = Math.sqrt((1.0 + 0.49 + 0.16) / 2);
        double h = Math.max(PhaseNull.STEP_FRACTION * sd / 3, 2 * 2.1 / PhaseNull.MAX_POINTS);
        for (double s : new double[] {-1.2, 0.0, 0.6, 1.2, 1.7, 2.0}) {
            double p = PhaseNull.upperTail(r, s);
            assertThat(p).as("tail at %s", s).isGreaterThanOrEqualTo(integratedTail(r, s) - 1e-7);
            assertThat(p).as("tail at %s", s).isLessThanOrEqualTo(integratedTail(r, s - 3 * h) + 1e-7);
        }
    }

    private static double integratedTail(double[] r, double s) {
        int n = 3000;
        double[] c = new double[n];
        for (int i = 0; i < n; i++) {
            c[i] = Math.cos(Math.PI * (i + 0.5) / n);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double x = (s - r[0] * c[i] - r[1] * c[j]) / r[2];
                sum += x >= 1 ? 0 : x <= -1 ? 1 : Math.acos(x) / Math.PI;
            }
        }
        return sum / ((double) n * n);
    }

    @Test
    void matchesSimulationAndIsNeverBelowIt() {
        double[] r = {3.1, 0.4, 2.2, 1.7, 5.0, 0.9, 2.8};
        Random rng = new Random(1);
        int n = 1_000_000;
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (double a : r) {
                sum += a * Math.cos(2 * Math.PI * rng.nextDouble());
            }
            s[i] = sum;
        }
        for (double x : new double[] {-4, 0, 3, 6, 9, 12}) {
            long above = 0;
            for (double v : s) {
                above += v >= x ? 1 : 0;
            }
            double sim = (double) above / n;
            double p = PhaseNull.upperTail(r, x);
            double se = Math.sqrt(sim * (1 - sim) / n) + 1e-7;
            assertThat(p).as("tail at %s", x).isGreaterThanOrEqualTo(sim - 4 * se);
            // Conservative by at most STEP_FRACTION of a standard deviation in the statistic.
            assertThat(p).as("tail at %s", x).isLessThanOrEqualTo(tailOf(s, x - 0.06 * sd(r)) + 4 * se);
        }
    }

    @Test
    void manyEqualComponentsApproachTheNormalTail() {
        double[] r = new double[40];
        java.util.Arrays.fill(r, 1);
        double sd = Math.sqrt(20);
        // The normal tail at 3 sd is 1.35e-3; the bounded cosines make the exact tail a little
        // lighter, the grid's rounding up (at most 0.04 sd here) a little heavier.
        assertThat(PhaseNull.upperTail(r, 3 * sd)).isBetween(0.9e-3, 1.6e-3);
        // Deep tails stay finite and tiny, and near the largest value the tail vanishes.
        assertThat(PhaseNull.upperTail(r, 6 * sd)).isBetween(1e-12, 1e-8);
        assertThat(PhaseNull.upperTail(r, 39.9)).isLessThan(1e-40);
    }

    @Test
    void pValuesOfRandomPhasesAreUniform() {
        Random rng = new Random(2);
        int below05 = 0;
        int below01 = 0;
        int trials = 1000;
        for (int t = 0; t < trials; t++) {
            double[] r = new double[6];
            double sum = 0;
            for (int j = 0; j < r.length; j++) {
                r[j] = 0.2 + 3 * rng.nextDouble();
                sum += r[j] * Math.cos(2 * Math.PI * rng.nextDouble());
            }
            double p = PhaseNull.upperTail(r, sum);
            below05 += p < 0.05 ? 1 : 0;
            below01 += p < 0.01 ? 1 : 0;
        }
        // Valid (at most alpha, up to binomial noise) and not needlessly conservative.
        assertThat(below05).isBetween(25, 75);
        assertThat(below01).isBetween(2, 22);
    }

    static double sd(double[] r) {
        double v = 0;
        for (double a : r) {
            v += a * a / 2;
        }
        return Math.sqrt(v);
    }

    static double tailOf(double[] s, double x) {
        long above = 0;
        for (double v : s) {
            above += v >= x ? 1 : 0;
        }
        return (double) above / s.length;
    }
}
