package org.distill4j.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.testutil.SyntheticData;
import org.junit.jupiter.api.Test;

/**
 * The audit's p-value is valid only if the suspect cannot influence which probes it is asked
 * about: the probes must be a function of the seed, the teacher, the references and the data
 * alone. Suspects that behave as differently as possible (a near copy of the teacher, an
 * independent model, one that answers at random on every call) must be asked exactly the same
 * rows, in the same order, in one call.
 */
class ProbeIndependenceTest {

    static final InMemoryExampleSet DATA = SyntheticData.blobs("blobs/probes", 600, 5, 12, 1.4, 3);

    @Test
    void suspectsWithDifferentBehaviourGetTheSameProbes() throws Exception {
        LinearModel teacher = new LinearModel("teacher", 1, null, 0);
        List<AuditedModel> refs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            refs.add(new LinearModel("ref-" + i, 100 + i, null, 0));
        }
        List<LinearModel> suspects = List.of(
                new LinearModel("copy", 1, null, 0.01), // the teacher's weights, slightly perturbed
                new LinearModel("independent", 999, null, 0),
                new LinearModel("erratic", 5, new Random(77), 0)); // random answers on every call
        List<AuditResult> results = new ArrayList<>();
        for (LinearModel s : suspects) {
            results.add(DistillationAudit.builder()
                    .setTeacher(teacher)
                    .setSuspect(s)
                    .addReferences(refs)
                    .setData(DATA)
                    .optQueries(200)
                    .optSeed(42)
                    .build()
                    .run());
        }
        for (LinearModel s : suspects) {
            assertThat(s.calls).as("%s is asked once, never adaptively", s.name).hasSize(1);
        }
        float[] probes = suspects.get(0).calls.get(0);
        assertThat(probes.length).isEqualTo(200 * DATA.featureSize());
        for (LinearModel s : suspects) {
            assertThat(s.calls.get(0)).as("probes asked of %s", s.name).isEqualTo(probes);
        }
        // The suspects did behave differently: the copy is distilled, the others are not.
        assertThat(results.get(0).distilled()).isTrue();
        assertThat(results.get(1).distilled()).isFalse();
        assertThat(results.get(0).pValue()).isLessThan(results.get(1).pValue());

        // Another seed chooses other probes: the equality above is not a constant selection.
        LinearModel again = new LinearModel("independent", 999, null, 0);
        DistillationAudit.builder()
                .setTeacher(teacher)
                .setSuspect(again)
                .addReferences(refs)
                .setData(DATA)
                .optQueries(200)
                .optSeed(43)
                .build()
                .run();
        assertThat(again.calls.get(0)).isNotEqualTo(probes);
    }

    /**
     * A softmax-linear classifier with seeded weights that records every row it is asked about;
     * with {@code erratic} set it ignores its weights and answers at random on every call.
     */
    static final class LinearModel implements AuditedModel {
        final String name;
        final float[][] w;
        final Random erratic;
        final List<float[]> calls = new ArrayList<>();
        long queries;

        LinearModel(String name, long seed, Random erratic, double noise) {
            this.name = name;
            this.erratic = erratic;
            Random r = new Random(seed);
            Random n = new Random(seed * 31 + 7);
            int c = DATA.numClasses();
            int f = DATA.featureSize();
            w = new float[c][f + 1];
            for (float[] row : w) {
                for (int i = 0; i <= f; i++) {
                    row[i] = (float) (r.nextGaussian() + noise * n.nextGaussian());
                }
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<String> classNames() {
            return DATA.classNames();
        }

        @Override
        public long[] featureShape() {
            return DATA.featureShape();
        }

        @Override
        public float[][] logProbabilities(ExampleSet probes) {
            int f = probes.featureSize();
            int[] rows = new int[probes.size()];
            java.util.Arrays.setAll(rows, i -> i);
            float[] x = new float[rows.length * f];
            probes.copyFeatures(rows, x);
            calls.add(x);
            queries += rows.length;
            float[][] out = new float[rows.length][w.length];
            for (int i = 0; i < rows.length; i++) {
                double max = Double.NEGATIVE_INFINITY;
                double[] z = new double[w.length];
                for (int c = 0; c < w.length; c++) {
                    if (erratic != null) {
                        z[c] = 3 * erratic.nextGaussian();
                    } else {
                        double s = w[c][f];
                        for (int k = 0; k < f; k++) {
                            s += w[c][k] * x[i * f + k];
                        }
                        z[c] = s;
                    }
                    max = Math.max(max, z[c]);
                }
                double sum = 0;
                for (double v : z) {
                    sum += Math.exp(v - max);
                }
                for (int c = 0; c < w.length; c++) {
                    out[i][c] = (float) (z[c] - max - Math.log(sum));
                }
            }
            return out;
        }

        @Override
        public long queries() {
            return queries;
        }

        @Override
        public void close() {}
    }
}
