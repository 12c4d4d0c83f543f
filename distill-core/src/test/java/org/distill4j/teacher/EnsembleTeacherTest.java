package org.distill4j.teacher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EnsembleTeacher}: the mean of its members' probabilities, exact where a naive form underflows. */
class EnsembleTeacherTest {

    @TempDir
    Path tmp;

    private NDManager manager;

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    /** A linear teacher: logits = scale * x (3 features, 3 classes), for logits of any size. */
    static final class ScaledInputTeacher implements Teacher {
        final float scale;
        boolean closed;

        ScaledInputTeacher(float scale) {
            this.scale = scale;
        }

        @Override
        public TeacherIdentity identity() {
            return new TeacherIdentity(
                    "scaled", "memory", Integer.toHexString(Float.floatToIntBits(scale)), "x * " + scale);
        }

        @Override
        public NDArray logits(NDArray inputs) {
            return inputs.mul(scale);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static double[] softmax(float[] z, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            max = Math.max(max, z[from + c]);
        }
        double sum = 0;
        double[] p = new double[n];
        for (int c = 0; c < n; c++) {
            p[c] = Math.exp(z[from + c] - max);
            sum += p[c];
        }
        for (int c = 0; c < n; c++) {
            p[c] /= sum;
        }
        return p;
    }

    @Test
    void softmaxOfItsLogitsIsTheMeanOfTheMembersProbabilities() throws Exception {
        List<Path> dirs = List.of(
                SavedModelTeacherContractTest.saved(tmp.resolve("a"), 1),
                SavedModelTeacherContractTest.saved(tmp.resolve("b"), 2),
                SavedModelTeacherContractTest.saved(tmp.resolve("c"), 3));
        float[] x = new float[7 * 6];
        Random rng = new Random(5);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        NDArray inputs = manager.create(x, new Shape(7, 6));
        List<float[]> memberLogits = new ArrayList<>();
        List<Teacher> members = new ArrayList<>();
        for (Path d : dirs) {
            Teacher m = SavedModelTeacher.load(d);
            members.add(m);
            memberLogits.add(m.logits(inputs).toFloatArray());
        }
        try (EnsembleTeacher ensemble = EnsembleTeacher.of(members)) {
            float[] z = ensemble.logits(inputs).toFloatArray();
            for (int r = 0; r < 7; r++) {
                double[] expected = new double[3];
                for (float[] m : memberLogits) {
                    double[] p = softmax(m, r * 3, 3);
                    for (int c = 0; c < 3; c++) {
                        expected[c] += p[c] / memberLogits.size();
                    }
                }
                double[] got = softmax(z, r * 3, 3);
                for (int c = 0; c < 3; c++) {
                    assertThat(got[c]).as("row %d class %d", r, c).isCloseTo(expected[c], within(1e-6));
                }
            }
            assertThat(ensemble.identity().kind()).isEqualTo("ensemble");
            assertThat(ensemble.identity().description()).startsWith("ensemble of 3 (mean probability)");
            assertThat(ensemble.identity().location().split(";")).hasSize(3);
        }
    }

    @Test
    void logitsStayExactWhereAMemberIsCertain() {
        // log(mean(softmax)) would give -infinity for class 2 (both members' probabilities underflow),
        // and a student NaN losses.
        NDArray inputs = manager.create(new float[] {0, 50, -80}, new Shape(1, 3));
        try (EnsembleTeacher e = EnsembleTeacher.of(List.of(new ScaledInputTeacher(1), new ScaledInputTeacher(300)))) {
            float[] z = e.logits(inputs).toFloatArray();
            // log((p1 + p2) / 2) per class; member 1's probability of class 2 is exp(-130), below
            // float32's smallest number, and member 2's is exp(-39,000).
            double norm1 = logSumExp(0, 50, -80);
            double norm2 = logSumExp(0, 15_000, -24_000);
            assertThat((double) z[0]).isCloseTo(logSumExp(0 - norm1, 0 - norm2) - Math.log(2), within(1e-3));
            assertThat((double) z[1]).isCloseTo(logSumExp(50 - norm1, 15_000 - norm2) - Math.log(2), within(1e-3));
            assertThat((double) z[2]).isCloseTo(logSumExp(-80 - norm1, -24_000 - norm2) - Math.log(2), within(1e-3));
            assertThat(z[2]).isFinite();
        }
    }

    private static double logSumExp(double... v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double d : v) {
            max = Math.max(max, d);
        }
        double s = 0;
        for (double d : v) {
            s += Math.exp(d - max);
        }
        return max + Math.log(s);
    }

    @Test
    void identityFollowsTheMembersAndTheirOrder() {
        ScaledInputTeacher a = new ScaledInputTeacher(1);
        ScaledInputTeacher b = new ScaledInputTeacher(2);
        ScaledInputTeacher c = new ScaledInputTeacher(3);
        String ab = EnsembleTeacher.of(List.of(a, b)).identity().cacheKey();
        assertThat(EnsembleTeacher.of(List.of(a, b)).identity().cacheKey()).isEqualTo(ab);
        assertThat(EnsembleTeacher.of(List.of(b, a)).identity().cacheKey()).isNotEqualTo(ab);
        assertThat(EnsembleTeacher.of(List.of(a, c)).identity().cacheKey()).isNotEqualTo(ab);
        assertThat(ab).isNotEqualTo(a.identity().cacheKey()).startsWith("ensemble:");
    }

    @Test
    void closesEveryMemberAndRefusesTooFewOrTooMany() {
        ScaledInputTeacher a = new ScaledInputTeacher(1);
        ScaledInputTeacher b = new ScaledInputTeacher(2);
        EnsembleTeacher.of(List.of(a, b)).close();
        assertThat(a.closed).isTrue();
        assertThat(b.closed).isTrue();
        assertThatThrownBy(() -> EnsembleTeacher.of(List.of(a))).hasMessageContaining("2 to 16 members, got 1");
        assertThatThrownBy(() -> EnsembleTeacher.of(Collections.nCopies(17, a))).hasMessageContaining("got 17");
    }
}
