package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.distill4j.data.InMemoryExampleSet;
import org.junit.jupiter.api.Test;

/** {@link PairedComparison}: McNemar's exact test and the paired bootstrap. */
class PairedComparisonTest {

    static final int CLASSES = 5;

    static InMemoryExampleSet rows(int[] labels) {
        return new InMemoryExampleSet(
                "rows", new long[] {1}, new float[labels.length], labels, List.of("a", "b", "c", "d", "e"));
    }

    /** Logits whose top class is {@code predicted[i]}. */
    static Predictions predicting(int[] predicted) {
        float[] logits = new float[predicted.length * CLASSES];
        for (int i = 0; i < predicted.length; i++) {
            logits[i * CLASSES + predicted[i]] = 1f;
        }
        return Predictions.ofLogits(predicted.length, CLASSES, logits);
    }

    /**
     * Labels, and two models' predictions: each right with its own probability, independently, and
     * a wrong answer is the next class (so per-class F1 differs between the models).
     */
    static int[][] models(int n, double rightA, double rightB, long seed) {
        Random rng = new Random(seed);
        int[] y = new int[n];
        int[] a = new int[n];
        int[] b = new int[n];
        for (int i = 0; i < n; i++) {
            // Skewed classes, as in the text benchmark: the last class is rare.
            y[i] = rng.nextDouble() < 0.05 ? 4 : rng.nextInt(4);
            a[i] = rng.nextDouble() < rightA ? y[i] : (y[i] + 1) % CLASSES;
            b[i] = rng.nextDouble() < rightB ? y[i] : (y[i] + 1) % CLASSES;
        }
        return new int[][] {y, a, b};
    }

    @Test
    void mcnemarIsTheExactBinomialTestOfScipy() {
        // scipy 1.14 (Debian's python3-scipy): binomtest(b, b + c, 0.5).pvalue, two-sided.
        assertThat(PairedComparison.mcnemar(62, 38)).isCloseTo(0.02097873567785172, within(1e-12));
        assertThat(PairedComparison.mcnemar(5, 0)).isCloseTo(0.0625, within(1e-15));
        assertThat(PairedComparison.mcnemar(3, 9)).isCloseTo(0.14599609375, within(1e-14));
        assertThat(PairedComparison.mcnemar(150, 110)).isCloseTo(0.01541558283317145, within(1e-13));
        assertThat(PairedComparison.mcnemar(1200, 1100)).isCloseTo(0.03896685268382023, within(1e-12));
        assertThat(PairedComparison.mcnemar(1, 1)).isEqualTo(1.0);
        assertThat(PairedComparison.mcnemar(0, 0)).isEqualTo(1.0);
        assertThat(PairedComparison.mcnemar(38, 62)).isEqualTo(PairedComparison.mcnemar(62, 38));
    }

    @Test
    void theDifferencesAreThoseOfTheTwoModelsScoredAlone() {
        int[][] m = models(3000, 0.8, 0.7, 1);
        InMemoryExampleSet data = rows(m[0]);
        Predictions a = predicting(m[1]);
        Predictions b = predicting(m[2]);
        PairedComparison c = PairedComparison.of(a, b, data);
        assertThat(c.rows()).isEqualTo(3000);
        assertThat(c.accuracy().value()).isCloseTo(a.accuracy(data) - b.accuracy(data), within(1e-12));
        assertThat(c.macroF1().value()).isCloseTo(a.macroF1(data) - b.macroF1(data), within(1e-12));
        int onlyA = 0;
        int onlyB = 0;
        for (int i = 0; i < 3000; i++) {
            onlyA += m[1][i] == m[0][i] && m[2][i] != m[0][i] ? 1 : 0;
            onlyB += m[2][i] == m[0][i] && m[1][i] != m[0][i] ? 1 : 0;
        }
        assertThat(c.onlyFirstRight()).isEqualTo(onlyA);
        assertThat(c.onlySecondRight()).isEqualTo(onlyB);
        assertThat(c.mcnemarP()).isEqualTo(PairedComparison.mcnemar(onlyA, onlyB));
        // Ten points apart on 3,000 rows: far outside what the choice of rows explains.
        assertThat(c.mcnemarP()).isLessThan(1e-10);
        assertThat(c.accuracy().low()).isGreaterThan(0.05);
        assertThat(c.accuracy().shareAboveZero()).isEqualTo(1.0);
        assertThat(c.macroF1().shareAboveZero()).isEqualTo(1.0);
    }

    @Test
    void theBootstrapStandardErrorOfAccuracyIsTheAnalyticOne() {
        int[][] m = models(5000, 0.78, 0.76, 7);
        InMemoryExampleSet data = rows(m[0]);
        PairedComparison c = PairedComparison.of(predicting(m[1]), predicting(m[2]), data, 4000, 3);
        double n = 5000;
        double b = c.onlyFirstRight() / n;
        double d = c.onlySecondRight() / n;
        // The paired difference of proportions: Var = ((b + c) - (b - c)^2) / n.
        double analytic = Math.sqrt((b + d - (b - d) * (b - d)) / n);
        assertThat(c.accuracy().standardError()).isCloseTo(analytic, within(0.06 * analytic));
        // Near normal: the 2.5th and 97.5th percentiles sit 1.96 standard errors out (the 5th and 95th
        // would be 1.64 out, 0.3 standard errors narrower in all).
        assertThat(c.accuracy().high() - c.accuracy().low()).isCloseTo(2 * 1.96 * analytic, within(0.2 * analytic));
        assertThat(c.accuracy().value())
                .isBetween(c.accuracy().low(), c.accuracy().high());
        assertThat(c.macroF1().value()).isBetween(c.macroF1().low(), c.macroF1().high());
        // Macro-F1 weighs the rare class as much as the others, so it varies more than accuracy.
        assertThat(c.macroF1().standardError()).isGreaterThan(c.accuracy().standardError());
    }

    @Test
    void identicalModelsDifferByNothingOnEveryResample() {
        int[][] m = models(500, 0.7, 0.7, 2);
        PairedComparison c = PairedComparison.of(predicting(m[1]), predicting(m[1]), rows(m[0]));
        assertThat(c.accuracy().value()).isZero();
        assertThat(c.macroF1().low()).isZero();
        assertThat(c.macroF1().high()).isZero();
        assertThat(c.macroF1().shareAboveZero()).isZero();
        assertThat(c.mcnemarP()).isEqualTo(1.0);
    }

    @Test
    void theSeedFixesTheIntervalsAndUnlabelledRowsAreLeftOut() {
        int[][] m = models(800, 0.75, 0.72, 4);
        int[] labels = m[0].clone();
        labels[0] = -1;
        labels[1] = -1;
        InMemoryExampleSet data = rows(labels);
        PairedComparison first = PairedComparison.of(predicting(m[1]), predicting(m[2]), data, 500, 9);
        assertThat(PairedComparison.of(predicting(m[1]), predicting(m[2]), data, 500, 9))
                .isEqualTo(first);
        assertThat(PairedComparison.of(predicting(m[1]), predicting(m[2]), data, 500, 10)
                        .macroF1())
                .isNotEqualTo(first.macroF1());
        assertThat(first.rows()).isEqualTo(798);
        assertThat(first.toMap()).containsKeys("accuracy", "macro_f1", "mcnemar_exact", "bootstrap_seed");
    }

    @Test
    void rowsThatDoNotMatchAreRefusedByName() {
        int[][] m = models(100, 0.7, 0.7, 5);
        assertThatThrownBy(() -> PairedComparison.of(predicting(m[1]), predicting(new int[99]), rows(m[0])))
                .hasMessageContaining("do not both match the 100 rows of rows");
        int[] none = new int[10];
        java.util.Arrays.fill(none, -1);
        assertThatThrownBy(() -> PairedComparison.of(predicting(new int[10]), predicting(new int[10]), rows(none)))
                .hasMessageContaining("no labelled row");
        assertThatThrownBy(() -> PairedComparison.of(predicting(m[1]), predicting(m[2]), rows(m[0]), 10, 1))
                .hasMessageContaining("illegal resamples value: 10");
    }
}
