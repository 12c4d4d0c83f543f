package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The paired comparison of two language models' per-document losses: point values from their
 * definitions, the bootstrap against the delta method's standard error of a ratio of sums, the
 * sign-flip p-value against full enumeration of the sign patterns, and degenerate and bad input.
 */
class PairedLossComparisonTest {

    private static final double LN2 = Math.log(2);

    /** Documents of 50-500 bytes; the second model loses 0.02 nats per byte more, noisily. */
    private static double[][] documents(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] first = new double[n];
        double[] second = new double[n];
        double[] teacher = new double[n];
        double[] bytes = new double[n];
        for (int d = 0; d < n; d++) {
            bytes[d] = 50 + r.nextInt(451);
            double base = bytes[d] * (1.4 + 0.3 * r.nextDouble());
            first[d] = base;
            second[d] = base + bytes[d] * (0.02 + 0.05 * (r.nextDouble() - 0.5));
            teacher[d] = base - bytes[d] * (0.03 + 0.04 * (r.nextDouble() - 0.5));
        }
        return new double[][] {first, second, teacher, bytes};
    }

    private static long[] longs(double[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (long) v[i];
        }
        return out;
    }

    @Test
    void pointValuesAreTheDefinitions() {
        double[][] x = documents(300, 1);
        PairedLossComparison c = PairedLossComparison.of(x[0], x[1], x[2], longs(x[3]));
        double f = 0;
        double s = 0;
        double t = 0;
        double b = 0;
        int better = 0;
        for (int d = 0; d < 300; d++) {
            f += x[0][d];
            s += x[1][d];
            t += x[2][d];
            b += x[3][d];
            better += x[1][d] > x[0][d] ? 1 : 0;
        }

        assertThat(c.documents()).isEqualTo(300);
        assertThat(c.bytes()).isEqualTo((long) b);
        assertThat(c.bitsPerByteSaved().value()).isCloseTo((s - f) / LN2 / b, within(1e-12));
        assertThat(c.gapShare().value()).isCloseTo((s - f) / (s - t), within(1e-12));
        assertThat(c.documentsFirstBetter()).isEqualTo(better);
        assertThat(c.bitsPerByteSaved().low()).isLessThan(c.bitsPerByteSaved().value());
        assertThat(c.bitsPerByteSaved().high())
                .isGreaterThan(c.bitsPerByteSaved().value());
        assertThat(c.signFlipP()).isEqualTo(1.0 / 10_001); // 0.02 nats per byte on 80,000 bytes: never reached
        assertThat(PairedLossComparison.signFlipText(c.signFlipP(), c.permutations()))
                .isEqualTo("p < 0.0002 (no sign pattern of 10,000 reached it)");
        assertThat(PairedLossComparison.signFlipText(0.0312, 10_000)).isEqualTo("p = 0.031");
    }

    @Test
    void theBootstrapStandardErrorIsTheDeltaMethods() {
        double[][] x = documents(400, 2);
        PairedLossComparison c = PairedLossComparison.of(x[0], x[1], null, longs(x[3]), 4000, 100, 5);
        double saved = 0;
        double b = 0;
        for (int d = 0; d < 400; d++) {
            saved += (x[1][d] - x[0][d]) / LN2;
            b += x[3][d];
        }
        double ratio = saved / b;
        double z2 = 0;
        for (int d = 0; d < 400; d++) {
            double z = (x[1][d] - x[0][d]) / LN2 - ratio * x[3][d];
            z2 += z * z;
        }
        double analytic = Math.sqrt(z2) / b;

        assertThat(c.bitsPerByteSaved().standardError()).isCloseTo(analytic, within(0.06 * analytic));
        assertThat(c.bitsPerByteSaved().high() - c.bitsPerByteSaved().low())
                .isCloseTo(2 * 1.96 * analytic, within(0.1 * 2 * 1.96 * analytic));
        assertThat(c.gapShare()).isNull();
    }

    @Test
    void theSignFlipPValueIsTheEnumeratedOne() {
        double[] delta = {0.9, -0.2, 0.4, 1.1, -0.7, 0.3, 0.05, -0.1, 0.6, 0.2, -0.5, 0.35};
        int n = delta.length;
        double[] first = new double[n];
        double[] second = new double[n];
        for (int d = 0; d < n; d++) {
            first[d] = 5;
            second[d] = 5 + delta[d];
        }
        double observed = java.util.Arrays.stream(delta).sum();
        int reached = 0;
        for (int pattern = 0; pattern < 1 << n; pattern++) {
            double sum = 0;
            for (int d = 0; d < n; d++) {
                sum += (pattern >> d & 1) == 0 ? delta[d] : -delta[d];
            }
            reached += Math.abs(sum) >= Math.abs(observed) - 1e-12 ? 1 : 0;
        }
        double exact = (double) reached / (1 << n);

        PairedLossComparison c = PairedLossComparison.of(
                first, second, null, new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 100, 40_000, 3);

        assertThat(exact).isBetween(0.05, 0.5); // a case where the p-value is neither 0 nor 1
        assertThat(c.signFlipP()).isCloseTo(exact, within(0.008)); // 3.8 Monte Carlo sd at 40,000 patterns
    }

    @Test
    void identicalModelsDifferByNothing() {
        double[][] x = documents(50, 3);
        PairedLossComparison same = PairedLossComparison.of(x[0], x[0].clone(), x[2], longs(x[3]));
        PairedLossComparison teacherLevel = PairedLossComparison.of(x[2], x[1], x[2].clone(), longs(x[3]));

        assertThat(same.bitsPerByteSaved().value()).isZero();
        assertThat(same.bitsPerByteSaved().low()).isZero();
        assertThat(same.bitsPerByteSaved().high()).isZero();
        assertThat(same.signFlipP()).isEqualTo(1.0);
        assertThat(same.documentsFirstBetter()).isZero();
        assertThat(same.gapShare().value()).isZero();
        assertThat(teacherLevel.gapShare().value()).isCloseTo(1, within(1e-12));
        assertThat(teacherLevel.gapShare().low()).isCloseTo(1, within(1e-12));
        assertThat(teacherLevel.gapShare().high()).isCloseTo(1, within(1e-12));
    }

    @Test
    void aReferenceBehindTheSecondModelHasNoGapToClose() {
        double[][] x = documents(40, 4);
        // The "reference" is the second model plus a loss everywhere: it is not ahead of it.
        double[] behind = x[1].clone();
        for (int d = 0; d < behind.length; d++) {
            behind[d] += 3;
        }
        PairedLossComparison c = PairedLossComparison.of(x[0], x[1], behind, longs(x[3]));

        assertThat(c.gapShare()).isNull();
        assertThat(c.toMap()).containsEntry("gap_share", null);
    }

    @Test
    void theSeedFixesTheNumbers() {
        double[][] x = documents(80, 5);
        PairedLossComparison a = PairedLossComparison.of(x[0], x[1], x[2], longs(x[3]), 500, 500, 9);
        PairedLossComparison b = PairedLossComparison.of(x[0], x[1], x[2], longs(x[3]), 500, 500, 9);
        PairedLossComparison other = PairedLossComparison.of(x[0], x[1], x[2], longs(x[3]), 500, 500, 10);

        assertThat(a).isEqualTo(b);
        assertThat(other.bitsPerByteSaved().low())
                .isNotEqualTo(a.bitsPerByteSaved().low());
    }

    @Test
    void badInputIsNamed() {
        double[] two = {1, 2};
        assertThatThrownBy(() -> PairedLossComparison.of(two, new double[] {1, 2, 3}, null, new long[] {1, 1}))
                .hasMessageContaining("do not match the 2 documents");
        assertThatThrownBy(() -> PairedLossComparison.of(new double[] {1}, new double[] {1}, null, new long[] {1}))
                .hasMessageContaining("at least 2 documents");
        assertThatThrownBy(() -> PairedLossComparison.of(two, new double[] {1, Double.NaN}, null, new long[] {1, 1}))
                .hasMessageContaining("second model's loss on document 1 is NaN");
        assertThatThrownBy(() -> PairedLossComparison.of(two, two, null, new long[] {0, 0}))
                .hasMessageContaining("no byte");
        assertThatThrownBy(() -> PairedLossComparison.of(two, two, null, new long[] {1, 1}, 10, 100, 1))
                .hasMessageContaining("at least 100");
    }
}
