package org.distill4j.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.distill4j.teacher.http.lm.PromptTopK;
import org.junit.jupiter.api.Test;

/** {@link AuditedLm}'s readings: a whole distribution's top k, and what an API's top-k list tells. */
class AuditedLmTest {

    @Test
    void aWholeDistributionGivesItsTopKInOrderAndEveryLogProbability() {
        Random rng = new Random(4);
        int vocab = 300;
        float[] logProbs = new float[2 * vocab];
        for (int i = 0; i < logProbs.length; i++) {
            logProbs[i] = (float) -Math.abs(rng.nextGaussian() * 5);
        }
        AuditedLm.FullReading r = new AuditedLm.FullReading(2, vocab, logProbs);
        for (int row = 0; row < 2; row++) {
            final int base = row * vocab;
            Integer[] order = new Integer[vocab];
            for (int t = 0; t < vocab; t++) {
                order[t] = t;
            }
            Arrays.sort(order, (a, b) -> Float.compare(logProbs[base + b], logProbs[base + a]));
            int[] expected = new int[20];
            for (int j = 0; j < 20; j++) {
                expected[j] = order[j];
            }
            assertThat(r.top(row, 20)).containsExactly(expected);
            assertThat(r.argmax(row)).isEqualTo(order[0]);
            assertThat(r.logProb(row, 7)).isEqualTo(logProbs[base + 7]);
        }
        assertThat(r.top(0, 1000)).hasSize(vocab);
        assertThat(r.logProb(0, vocab)).isNaN();
    }

    @Test
    void anApiListBoundsWhatItLeftOutAndNothingWhereItIsShort() {
        // Row 0: a full list of 3; row 1: a short one (one alternative, the rest absent).
        float inf = Float.NEGATIVE_INFINITY;
        PromptTopK top = new PromptTopK(
                3,
                new int[] {5, 9, 2, 4, 4, 4},
                new float[] {-0.5f, -1.5f, -2.5f, -0.1f, inf, inf},
                new float[2],
                1,
                0);
        AuditedLm.TopReading r = new AuditedLm.TopReading(top);
        assertThat(r.rows()).isEqualTo(2);
        assertThat(r.argmax(0)).isEqualTo(5);
        assertThat(r.logProb(0, 9)).isEqualTo(-1.5f);
        assertThat(r.logProb(0, 77)).as("left out: at most the least listed").isEqualTo(-2.5f);
        assertThat(r.top(0, 20)).containsExactly(5, 9, 2);
        assertThat(r.logProb(1, 4)).isEqualTo(-0.1f);
        assertThat(r.logProb(1, 77)).as("a short list bounds nothing").isNaN();
        assertThat(r.top(1, 20)).containsExactly(4);
    }
}
