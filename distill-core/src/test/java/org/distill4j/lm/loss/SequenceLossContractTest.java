package org.distill4j.lm.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every sequence loss must do, on one shared set of random logits (seed 2024). */
class SequenceLossContractTest {

    private static final List<SequenceLoss> KD =
            List.of(new FullKl(2.0, 1.0), new TopKKl(5, 1.0), new SampledKd(64, 1.0, 1.0));

    @Test
    void theDistillationTermIsZeroWhenTheStudentIsTheTeacher() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            m.getEngine().setRandomSeed(2024);
            NDArray logits = m.randomNormal(new Shape(2, 6, 30)).mul(3f);
            NDArray targets = m.randomInteger(0, 30, new Shape(2, 6), DataType.INT64);
            for (SequenceLoss loss : List.of(
                    new FullKl(2.0, 1.0),
                    new TopKKl(5, 1.0),
                    new ReverseKl(2.0, 1.0),
                    new GeneralizedJsd(0.5, 2.0, 1.0))) {
                float kd = loss.terms(logits, targets, loss.targetsFrom(logits, 1))
                        .total()
                        .getFloat();
                assertThat(kd).as(loss.toString()).isCloseTo(0f, within(1e-5f));
            }
            // A sample is not the distribution: the sampled term is > 0 but shrinks with more samples.
            float few = new SampledKd(4, 1.0, 1.0)
                    .terms(logits, targets, new SampledKd(4, 1.0, 1.0).targetsFrom(logits, 1))
                    .total()
                    .getFloat();
            SampledKd many = new SampledKd(1024, 1.0, 1.0);
            float lots = many.terms(logits, targets, many.targetsFrom(logits, 1))
                    .total()
                    .getFloat();
            assertThat(lots).isLessThan(few);
        }
    }

    @Test
    void paddingPositionsDoNotCount() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            m.getEngine().setRandomSeed(2025);
            NDArray s = m.randomNormal(new Shape(1, 4, 10));
            NDArray t = m.randomNormal(new Shape(1, 4, 10));
            NDArray all = m.create(new long[] {1, 2, 3, 4}, new Shape(1, 4));
            NDArray lastPadded = m.create(new long[] {1, 2, 3, -1}, new Shape(1, 4));
            for (SequenceLoss loss : List.of(
                    new FullKl(1.0, 0.5),
                    new TopKKl(3, 0.5),
                    new SampledKd(8, 1.0, 0.5),
                    new ReverseKl(1.0, 0.5),
                    new GeneralizedJsd(0.3, 1.0, 0.5))) {
                float full = loss.terms(s.get(":, :3"), all.get(":, :3"), loss.targetsFrom(t.get(":, :3"), 3))
                        .total()
                        .getFloat();
                // Changing the student at the padded position must not change the loss.
                NDArray s2 = s.duplicate();
                s2.set(new ai.djl.ndarray.index.NDIndex(":, 3"), 100f);
                float padded = loss.terms(s2, lastPadded, loss.targetsFrom(t, 3))
                        .total()
                        .getFloat();
                assertThat(padded).as(loss.toString()).isCloseTo(full, within(1e-5f));
            }
        }
    }

    @Test
    void sampledTargetsAreAnUnbiasedSeededEstimateOfTheTeacher() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray teacher = m.create(new float[] {2f, 1f, 0f, -1f, 0.5f}, new Shape(1, 1, 5));
            double[] p = new double[5];
            double z = 0;
            for (int i = 0; i < 5; i++) {
                z += Math.exp(teacher.getFloat(0, 0, i) / 2.0);
            }
            for (int i = 0; i < 5; i++) {
                p[i] = Math.exp(teacher.getFloat(0, 0, i) / 2.0) / z;
            }
            SampledKd loss = new SampledKd(12, 2.0, 1.0);
            double[] mean = new double[5];
            int rounds = 4000;
            for (int r = 0; r < rounds; r++) {
                TeacherTargets.Sampled s = (TeacherTargets.Sampled) loss.targetsFrom(teacher, r);
                long[] ids = s.ids().toLongArray();
                float[] w = s.weights().toFloatArray();
                double sum = 0;
                for (int j = 0; j < ids.length; j++) {
                    mean[(int) ids[j]] += w[j] / rounds;
                    sum += w[j];
                }
                assertThat(sum).isCloseTo(1.0, within(1e-6));
            }
            for (int i = 0; i < 5; i++) {
                // Standard error of a mean of 4000 x (count/12): < 0.003; 0.01 is > 3 sigma.
                assertThat(mean[i]).as("E[w(%d)] vs p_T(%d)", i, i).isCloseTo(p[i], within(0.01));
            }
            TeacherTargets.Sampled a = (TeacherTargets.Sampled) loss.targetsFrom(teacher, 7);
            TeacherTargets.Sampled b = (TeacherTargets.Sampled) loss.targetsFrom(teacher, 7);
            assertThat(a.weights().toFloatArray()).containsExactly(b.weights().toFloatArray());
        }
    }

    @Test
    void topKTargetsAreTheLargestLogProbabilitiesInOrder() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray teacher = m.create(new float[] {0f, 3f, 1f, 2f}, new Shape(1, 1, 4));
            TeacherTargets.TopK top = (TeacherTargets.TopK) new TopKKl(2, 1.0).targetsFrom(teacher, 0);
            assertThat(top.ids().toLongArray()).containsExactly(1, 3);
            double z = Math.log(Math.exp(0) + Math.exp(3) + Math.exp(1) + Math.exp(2));
            assertThat(top.logProbs().toFloatArray()[0]).isCloseTo((float) (3 - z), within(1e-6f));
        }
    }

    @Test
    void misuseIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> new TopKKl(21, 1.0)).hasMessageContaining("illegal k value: 21, must be in [1, 20]");
        assertThatThrownBy(() -> new FullKl(0, 1.0)).hasMessageContaining("illegal temperature value: 0.0");
        assertThatThrownBy(() -> new SampledKd(8, 1.0, 1.5)).hasMessageContaining("illegal alpha value: 1.5");
        assertThatThrownBy(() -> new GeneralizedJsd(0, 1.0, 1.0)).hasMessageContaining("illegal beta value: 0.0");
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray s = m.zeros(new Shape(1, 2, 5));
            NDArray y = m.zeros(new Shape(1, 2), DataType.INT64);
            assertThatThrownBy(() -> new TopKKl(2, 1.0).terms(s, y, new TeacherTargets.Full(s)))
                    .hasMessageContaining("TopKKL(k=2, alpha=1.0) needs teacher targets of kind TopK, got Full");
            assertThatThrownBy(() -> new FullKl(1, 1).terms(s, y, new TeacherTargets.Full(m.zeros(new Shape(1, 2, 6)))))
                    .hasMessageContaining("does not match student");
            assertThat(new FullKl(1, 0).terms(s, y, new TeacherTargets.None()).soft())
                    .isNull();
        }
        assertThat(KD)
                .extracting(Object::toString)
                .containsExactly(
                        "FullKL(T=2.0, alpha=1.0)", "TopKKL(k=5, alpha=1.0)", "SampledKD(n=64, T=1.0, alpha=1.0)");
    }
}
