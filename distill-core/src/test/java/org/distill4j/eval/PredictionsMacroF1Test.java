package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.InMemoryExampleSet;
import org.junit.jupiter.api.Test;

class PredictionsMacroF1Test {

    static final int CLASSES = 4;

    /** Logits that put the top score on {@code predicted[i]}. */
    static Predictions predicting(int... predicted) {
        float[] logits = new float[predicted.length * CLASSES];
        for (int i = 0; i < predicted.length; i++) {
            logits[i * CLASSES + predicted[i]] = 1f;
        }
        return Predictions.ofLogits(predicted.length, CLASSES, logits);
    }

    static ExampleSet labelled(int... labels) {
        return new InMemoryExampleSet(
                "golden", new long[] {1}, new float[labels.length], labels, List.of("a", "b", "c", "d"));
    }

    @Test
    void matchesHandComputedValuesSkippingUnlabeledRowsAndAbsentClasses() {
        // Class 0: tp 2, fp 0, fn 1 -> 4/5. Class 1: tp 1, fp 1, fn 1 -> 2/4. Class 2: tp 1, fp 1, fn 0
        // -> 2/3. Class 3 is predicted only on the unlabeled last row: absent, not counted as 0.
        Predictions p = predicting(0, 0, 1, 1, 2, 2, 3);
        ExampleSet data = labelled(0, 0, 0, 1, 1, 2, ExampleSet.UNLABELED);

        double[] f1 = p.classF1(data);
        assertThat(f1[0]).isCloseTo(0.8, within(1e-12));
        assertThat(f1[1]).isCloseTo(0.5, within(1e-12));
        assertThat(f1[2]).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(f1[3]).isNaN();
        // sklearn.metrics.f1_score([0,0,0,1,1,2], [0,0,1,1,2,2], average="macro") = 0.6555...
        assertThat(p.macroF1(data)).isCloseTo((0.8 + 0.5 + 2.0 / 3) / 3, within(1e-12));
    }

    @Test
    void aClassOnlyPredictedCountsAsZero() {
        // As above plus a labelled row of class 0 predicted as 3: class 0 becomes tp 2, fn 2 -> 4/6,
        // class 3 tp 0, fp 1 -> 0, and it now takes a full share of the mean.
        Predictions p = predicting(0, 0, 1, 1, 2, 2, 3);
        ExampleSet data = labelled(0, 0, 0, 1, 1, 2, 0);

        assertThat(p.classF1(data)[3]).isZero();
        assertThat(p.macroF1(data)).isCloseTo((4.0 / 6 + 0.5 + 2.0 / 3 + 0) / 4, within(1e-12));
        assertThat(p.accuracy(data)).isCloseTo(4.0 / 7, within(1e-12));
    }

    @Test
    void perfectPredictionsScoreOneAndNoLabelsGiveNaN() {
        assertThat(predicting(0, 1, 3).macroF1(labelled(0, 1, 3))).isEqualTo(1.0);
        assertThat(predicting(0, 1).macroF1(labelled(ExampleSet.UNLABELED, ExampleSet.UNLABELED)))
                .isNaN();
    }
}
