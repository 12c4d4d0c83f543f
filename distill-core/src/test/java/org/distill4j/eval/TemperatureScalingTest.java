package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.InMemoryExampleSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Temperature scaling finds the temperature the labels were drawn at, is a minimum of the mean
 * cross-entropy, sharpens without end where sharper is always better, and refuses what it cannot fit.
 */
class TemperatureScalingTest {

    private static final int CLASSES = 5;

    /** Logits with Gaussian entries (scale 3), and labels drawn from softmax(logits / t). */
    private static Object[] drawn(int rows, double t, long seed) {
        Random random = new Random(seed);
        float[] logits = new float[rows * CLASSES];
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            double[] p = new double[CLASSES];
            double sum = 0;
            for (int c = 0; c < CLASSES; c++) {
                logits[i * CLASSES + c] = (float) (3 * random.nextGaussian());
                p[c] = Math.exp(logits[i * CLASSES + c] / t);
                sum += p[c];
            }
            double u = random.nextDouble() * sum;
            int y = 0;
            while (y < CLASSES - 1 && (u -= p[y]) > 0) {
                y++;
            }
            labels[i] = y;
        }
        return new Object[] {Predictions.ofLogits(rows, CLASSES, logits), set(labels)};
    }

    private static ExampleSet set(int... labels) {
        return new InMemoryExampleSet(
                "calibration", new long[] {1}, new float[labels.length], labels, List.of("a", "b", "c", "d", "e"));
    }

    @ParameterizedTest(name = "labels drawn at T = {0}")
    @ValueSource(doubles = {0.5, 1.0, 2.5})
    void findsTheTemperatureTheLabelsWereDrawnAt(double t) {
        Object[] d = drawn(20_000, t, 7);
        TemperatureScaling fit = TemperatureScaling.fit((Predictions) d[0], (ExampleSet) d[1]);
        // 20,000 rows pin T to a few percent (the estimate's standard error is about 1%).
        assertThat(fit.temperature()).isCloseTo(t, within(0.05 * t));
        assertThat(fit.rows()).isEqualTo(20_000);
        assertThat(fit.crossEntropyAfter()).isLessThanOrEqualTo(fit.crossEntropyBefore());
        assertThat(fit.crossEntropyBefore())
                .isCloseTo(((Predictions) d[0]).crossEntropy((ExampleSet) d[1]), within(1e-9));
    }

    @Test
    void theFitIsAMinimumOfTheMeanCrossEntropy() {
        Object[] d = drawn(3_000, 1.8, 11);
        Predictions p = (Predictions) d[0];
        ExampleSet data = (ExampleSet) d[1];
        TemperatureScaling fit = TemperatureScaling.fit(p, data);
        assertThat(fit.crossEntropyAfter()).isCloseTo(crossEntropy(p, data, fit.temperature()), within(1e-9));
        for (double factor : new double[] {0.98, 0.995, 1.005, 1.02}) {
            assertThat(crossEntropy(p, data, fit.temperature() * factor)).isGreaterThan(fit.crossEntropyAfter());
        }
    }

    /** Mean cross-entropy of softmax(logits / t), straight from the definition. */
    private static double crossEntropy(Predictions p, ExampleSet data, double t) {
        double sum = 0;
        for (int i = 0; i < p.rows(); i++) {
            double z = 0;
            for (int c = 0; c < CLASSES; c++) {
                z += Math.exp(p.logits()[i * CLASSES + c] / t);
            }
            sum += Math.log(z) - p.logits()[i * CLASSES + data.label(i)] / t;
        }
        return sum / p.rows();
    }

    @Test
    void unlabelledRowsAreSkipped() {
        Object[] d = drawn(2_000, 1.5, 13);
        Predictions p = (Predictions) d[0];
        ExampleSet labelled = (ExampleSet) d[1];
        int[] withGaps = new int[4_000];
        float[] logits = new float[4_000 * CLASSES];
        for (int i = 0; i < 2_000; i++) {
            withGaps[2 * i] = labelled.label(i);
            withGaps[2 * i + 1] = -1;
            System.arraycopy(p.logits(), i * CLASSES, logits, 2 * i * CLASSES, CLASSES);
            System.arraycopy(p.logits(), ((i + 1) % 2_000) * CLASSES, logits, (2 * i + 1) * CLASSES, CLASSES);
        }
        TemperatureScaling gaps = TemperatureScaling.fit(Predictions.ofLogits(4_000, CLASSES, logits), set(withGaps));
        assertThat(gaps).isEqualTo(TemperatureScaling.fit(p, labelled));
    }

    @Test
    void whereEveryRowIsRightSharperIsAlwaysBetter() {
        float[] logits = {3, 1, 0, 0, 0, 0, 2, 1, 0, 0};
        TemperatureScaling fit = TemperatureScaling.fit(Predictions.ofLogits(2, CLASSES, logits), set(0, 1));
        assertThat(fit.temperature())
                .isGreaterThanOrEqualTo(1 / TemperatureScaling.MAX_INVERSE)
                .isLessThan(0.1);
        assertThat(fit.crossEntropyAfter()).isLessThan(1e-8).isLessThan(fit.crossEntropyBefore());
    }

    @Test
    void refusesDataWithoutLabelsOrOfAnotherSize() {
        Predictions two = Predictions.ofLogits(2, CLASSES, new float[2 * CLASSES]);
        assertThatThrownBy(() -> TemperatureScaling.fit(two, set(-1, -1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("none of the 2 rows has a label");
        assertThatThrownBy(() -> TemperatureScaling.fit(two, set(0, 1, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 rows")
                .hasMessageContaining("3");
    }
}
