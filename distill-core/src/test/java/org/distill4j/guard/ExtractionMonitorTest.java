package org.distill4j.guard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.testutil.SyntheticData;
import org.junit.jupiter.api.Test;

/** The extraction monitor on synthetic traffic: natural users, synthetic probes and bulk labelling. */
class ExtractionMonitorTest {

    static final int DIMS = 16;
    static final InMemoryExampleSet TRAIN = SyntheticData.blobs("blobs/train", 12_000, 5, DIMS, 1.2, 1);
    static final InMemoryExampleSet TEST = SyntheticData.blobs("blobs/test", 3000, 5, DIMS, 1.2, 2);
    static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    static float[] row(InMemoryExampleSet set, int i) {
        float[] x = new float[DIMS];
        set.copyFeatures(new int[] {i}, x);
        return x;
    }

    @Test
    void shapiroWilkTellsNormalFromSkewedSamples() {
        Random rng = new Random(1);
        double[] normal = new double[500];
        double[] uniform = new double[500];
        double[] exponential = new double[500];
        for (int i = 0; i < 500; i++) {
            normal[i] = rng.nextGaussian();
            uniform[i] = rng.nextDouble();
            exponential[i] = -Math.log(1 - rng.nextDouble());
        }
        ShapiroWilk.Result n = ShapiroWilk.test(normal);
        assertThat(n.w()).isGreaterThan(0.99);
        assertThat(n.pValue()).isGreaterThan(0.01);
        assertThat(ShapiroWilk.test(uniform).pValue()).isLessThan(1e-4);
        ShapiroWilk.Result e = ShapiroWilk.test(exponential);
        assertThat(e.w()).isLessThan(0.9);
        assertThat(e.pValue()).isLessThan(1e-10);
    }

    @Test
    void naturalTestSetTrafficIsNotFlagged() {
        ExtractionMonitor m =
                new ExtractionMonitor(ExtractionMonitor.Config.defaults(ExtractionMonitor.Policy.DEGRADE));
        for (int i = 0; i < TEST.size(); i++) {
            ExtractionMonitor.Action a = m.observe("addr:user", row(TEST, i), 1, DIMS, T0.plusSeconds(2L * i));
            assertThat(a).as("row %d: %s", i, m.status("addr:user")).isEqualTo(ExtractionMonitor.Action.ALLOW);
        }
        ExtractionMonitor.ClientStatus s = m.status("addr:user");
        System.out.println("natural: " + s);
        assertThat(s.flagged()).isFalse();
        assertThat(s.items()).isEqualTo(3000);
        assertThat(s.lastW()).isGreaterThan(0.90);
    }

    @Test
    void syntheticProbesAreFlaggedWithinAFewHundredQueries() {
        // Jacobian-based-augmentation-like probes: seeds from the data, then small signed steps.
        ExtractionMonitor m = new ExtractionMonitor(ExtractionMonitor.Config.defaults(ExtractionMonitor.Policy.SLOW));
        Random rng = new Random(3);
        float[][] pool = new float[20][];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = row(TEST, i);
        }
        int flaggedAt = -1;
        for (int q = 0; q < 2000 && flaggedAt < 0; q++) {
            float[] x = pool[rng.nextInt(pool.length)].clone();
            for (int d = 0; d < DIMS; d++) {
                x[d] += rng.nextBoolean() ? 0.1f : -0.1f;
            }
            pool[rng.nextInt(pool.length)] = x;
            if (m.observe("key:attacker", x, 1, DIMS, T0.plusSeconds(q)) == ExtractionMonitor.Action.SLOW) {
                flaggedAt = q + 1;
            }
        }
        System.out.println("synthetic probes flagged at query " + flaggedAt + ": " + m.status("key:attacker"));
        assertThat(flaggedAt).isBetween(100, 300);
        assertThat(m.status("key:attacker").reason()).contains("Shapiro-Wilk");
    }

    @Test
    void bulkLabellingIsFlaggedByVolumeAndTheSameVolumeSpreadOverTimeIsNot() {
        ExtractionMonitor.Config c = new ExtractionMonitor.Config(
                ExtractionMonitor.Policy.DEGRADE, 0.90, 100, 10, 1000, 10_000, Duration.ofHours(1), 5000);
        ExtractionMonitor m = new ExtractionMonitor(c);
        // distill label sends each distinct row once, in data-set order after de-duplication: a permutation.
        int[] order = new int[TRAIN.size()];
        java.util.Arrays.setAll(order, i -> i);
        Random rng = new Random(5);
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int batch = 64;
        long flaggedAt = -1;
        for (int r = 0; r < 12_000 / batch && flaggedAt < 0; r++) {
            float[] x = new float[batch * DIMS];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(row(TRAIN, order[r * batch + b]), 0, x, b * DIMS, DIMS);
            }
            if (m.observe("key:labeller", x, batch, DIMS, T0.plusMillis(100L * r))
                    == ExtractionMonitor.Action.DEGRADE) {
                flaggedAt = m.status("key:labeller").items();
            }
        }
        System.out.println("bulk flagged at " + flaggedAt + ": " + m.status("key:labeller"));
        assertThat(flaggedAt).isBetween(10_001L, 10_000L + batch);
        assertThat(m.status("key:labeller").reason()).startsWith("volume");
        // The same rows at one per 2 s (1,800 an hour) stay under the budget.
        for (int i = 0; i < 12_000; i++) {
            m.observe("key:patient", null, 1, DIMS, T0.plusSeconds(2L * i));
        }
        assertThat(m.status("key:patient").flagged()).isFalse();
        assertThat(m.status().keySet()).containsExactly("key:labeller", "key:patient");
    }
}
