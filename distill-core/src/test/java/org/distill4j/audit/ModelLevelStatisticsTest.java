package org.distill4j.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ModelLevelTest}, the audit's verdict, against closed forms: with 2 or 3 independent models
 * the t distribution has 1 or 2 degrees of freedom, whose upper tails are {@code 1/2 - atan(t)/pi}
 * and {@code 1/2 - t / (2 sqrt(2 + t^2))} (so the expected p-values come from no statistics
 * library, in particular not the commons-math one the code uses).
 */
class ModelLevelStatisticsTest {

    private static double atanh(double r) {
        return 0.5 * Math.log((1 + r) / (1 - r));
    }

    @Test
    void aSuspectCloserThanTwoReferencesGetsTheCauchyTail() {
        ModelLevelTest.Outcome o = ModelLevelTest.of(0.5, List.of(0.1, 0.3));
        double z1 = atanh(0.1);
        double z2 = atanh(0.3);
        double mean = (z1 + z2) / 2;
        double sd = Math.abs(z2 - z1) / Math.sqrt(2); // sample sd of two values
        double t = (atanh(0.5) - mean) / (sd * Math.sqrt(1 + 1.0 / 2));
        assertThat(o.degreesOfFreedom()).isEqualTo(1);
        assertThat(o.statistic()).isCloseTo(t, within(1e-12));
        assertThat(o.pValue()).isCloseTo(0.5 - Math.atan(t) / Math.PI, within(1e-9));
        assertThat(o.effectSize()).isCloseTo((atanh(0.5) - mean) / sd, within(1e-12));
        // No reference is at least as close: the smallest rank p-value two references allow.
        assertThat(o.rankPValue()).isEqualTo(1.0 / 3);
    }

    @Test
    void aSuspectFarBeyondTheReferencesGetsItsTinyPValueNotZero() {
        // Two references 1e-15 apart: t is about 1e15 and P(T_1 >= t) = atan(1/t)/pi about 2e-16,
        // which 1 - cdf(t) rounds to 0 or to a multiple of 1.1e-16.
        ModelLevelTest.Outcome o = ModelLevelTest.of(0.9, List.of(0.3, 0.3 + 1e-15));
        double t = o.statistic();
        assertThat(t).isGreaterThan(1e14).isFinite();
        double expected = Math.atan(1 / t) / Math.PI;
        assertThat(o.pValue()).isPositive().isCloseTo(expected, within(1e-6 * expected));
    }

    @Test
    void aSuspectFartherThanMostOfThreeNullModelsGetsALargePValue() {
        ModelLevelTest.Outcome o = ModelLevelTest.of(0.15, List.of(0.1, 0.2, 0.4));
        double[] z = {atanh(0.1), atanh(0.2), atanh(0.4)};
        double mean = (z[0] + z[1] + z[2]) / 3;
        double ss = 0;
        for (double v : z) {
            ss += (v - mean) * (v - mean);
        }
        double sd = Math.sqrt(ss / 2);
        double t = (atanh(0.15) - mean) / (sd * Math.sqrt(1 + 1.0 / 3));
        assertThat(t).as("below the sample's mean").isNegative();
        assertThat(o.degreesOfFreedom()).isEqualTo(2);
        assertThat(o.statistic()).isCloseTo(t, within(1e-12));
        assertThat(o.pValue()).isCloseTo(0.5 - t / (2 * Math.sqrt(2 + t * t)), within(1e-9));
        assertThat(o.pValue()).isGreaterThan(0.5);
        // Two of the three are at least as close as the suspect: (1 + 2) / (3 + 1).
        assertThat(o.rankPValue()).isEqualTo(0.75);
    }

    @Test
    void identicalReferencesGiveAnInfiniteStatisticAndAnExtremePValue() {
        ModelLevelTest.Outcome above = ModelLevelTest.of(0.3, List.of(0.2, 0.2));
        assertThat(above.statistic()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(above.pValue()).isZero();
        assertThat(above.effectSize()).isEqualTo(Double.POSITIVE_INFINITY);
        ModelLevelTest.Outcome below = ModelLevelTest.of(0.1, List.of(0.2, 0.2));
        assertThat(below.statistic()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(below.pValue()).isEqualTo(1.0);
        ModelLevelTest.Outcome equal = ModelLevelTest.of(0.2, List.of(0.2, 0.2));
        assertThat(equal.statistic()).isZero();
        assertThat(equal.pValue()).isEqualTo(0.5);
        // Ties count as at least as close.
        assertThat(equal.rankPValue()).isEqualTo(1.0);
    }

    @Test
    void aPerfectCorrelationStaysFinite() {
        assertThat(ModelLevelTest.fisher(1.0)).isCloseTo(atanh(0.999999), within(1e-12));
        assertThat(ModelLevelTest.fisher(-1.0)).isCloseTo(-atanh(0.999999), within(1e-12));
        assertThat(ModelLevelTest.fisher(0.5)).isCloseTo(atanh(0.5), within(1e-15));
        ModelLevelTest.Outcome o = ModelLevelTest.of(1.0, List.of(0.1, 0.2, 0.3));
        assertThat(o.statistic()).isFinite().isPositive();
        assertThat(o.pValue()).isBetween(0.0, 0.05);
    }
}
