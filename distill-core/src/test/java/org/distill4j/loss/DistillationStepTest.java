package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The training step's path through the loss ({@link DistillationStep} over a {@link TeacherTable}
 * computed once for many rows): its values against an independent float64 computation, exact
 * zeros where the student equals the teacher whatever rows share its batch, and non-finite
 * students reported as such.
 */
class DistillationStepTest {

    private static final int ROWS = 10_000; // more than one block of the table's computation
    private static final int CLASSES = 10;
    private static final int BATCH = 64;

    private NDManager manager;
    private float[] teacherLogits;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager("PyTorch");
        teacherLogits = gaussian(ROWS * CLASSES, 3, 1);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @ParameterizedTest(name = "T={0}, alpha={1}")
    @CsvSource({"4, 0.9", "1, 0.5", "0.5, 0.3", "2, 1", "4, 0"})
    void valuesMatchAFloat64Reference(double t, double alpha) {
        KdParameters kd = new KdParameters(t, alpha);
        TeacherTable table = TeacherTable.of(teacherLogits, CLASSES, t, manager);
        int[] rows = randomRows(2);
        long[] labels = new long[BATCH];
        Random rng = new Random(3);
        for (int i = 0; i < BATCH; i++) {
            labels[i] = i % 5 == 0 ? -1 : rng.nextInt(CLASSES); // some unlabelled rows
        }
        float[] student = gaussian(BATCH * CLASSES, 2, 4);
        DistillationStep.Values v = run(kd, table, rows, labels, student);

        double soft = 0;
        double hard = 0;
        int labelled = 0;
        for (int i = 0; i < BATCH; i++) {
            double[] lp = logSoftmax(teacherLogits, rows[i] * CLASSES, 1 / t);
            double[] lq = logSoftmax(student, i * CLASSES, 1 / t);
            for (int c = 0; c < CLASSES; c++) {
                soft += Math.exp(lp[c]) * (lp[c] - lq[c]);
            }
            if (labels[i] >= 0) {
                hard -= logSoftmax(student, i * CLASSES, 1)[(int) labels[i]];
                labelled++;
            }
        }
        soft *= alpha * t * t / BATCH;
        hard *= (1 - alpha) / labelled;
        if (alpha > 0) {
            assertThat(v.soft()).isCloseTo(soft, within(1e-6 + 1e-5 * soft));
        } else {
            assertThat(v.soft()).isNaN();
        }
        if (alpha < 1) {
            assertThat(v.hard()).isCloseTo(hard, within(1e-6 + 1e-5 * hard));
        } else {
            assertThat(v.hard()).isNaN();
        }
        double total = (alpha > 0 ? soft : 0) + (alpha < 1 ? hard : 0);
        assertThat(v.total()).isCloseTo(total, within(1e-6 + 1e-5 * total));
    }

    @ParameterizedTest(name = "T={0}")
    @CsvSource({"0.5", "1", "4", "20"})
    void aStudentEqualToItsTeacherRowsHasASoftTermOfExactlyZero(double t) {
        // The table was computed once for all rows, in blocks; the student's rows come in a batch
        // of random rows: PyTorch's log-softmax of a row does not depend on its neighbours, so both
        // sides are bit-identical and KL(p || p) is exactly 0.
        TeacherTable table = TeacherTable.of(teacherLogits, CLASSES, t, manager);
        int[] rows = randomRows(5);
        float[] student = new float[BATCH * CLASSES];
        for (int i = 0; i < BATCH; i++) {
            System.arraycopy(teacherLogits, rows[i] * CLASSES, student, i * CLASSES, CLASSES);
        }
        DistillationStep.Values v = run(new KdParameters(t, 1), table, rows, null, student);
        assertThat(v.soft()).isZero();
        assertThat(v.total()).isZero();
    }

    @Test
    void aTableComputedInBlocksEqualsOneComputedPerBatch() {
        TeacherTable all = TeacherTable.of(teacherLogits, CLASSES, 4, manager);
        int from = 9_000; // in the second block
        float[] batch = new float[BATCH * CLASSES];
        System.arraycopy(teacherLogits, from * CLASSES, batch, 0, batch.length);
        TeacherTable one = TeacherTable.of(manager.create(batch, new Shape(BATCH, CLASSES)), 4);
        assertThat(one.rows()).isEqualTo(BATCH);
        for (int i = 0; i < BATCH; i++) {
            for (int c = 0; c < CLASSES; c++) {
                assertThat(one.logProbability(i, c)).isEqualTo(all.logProbability(from + i, c));
                assertThat(one.probability(i, c)).isEqualTo(all.probability(from + i, c));
            }
        }
    }

    @ParameterizedTest(name = "alpha={0}")
    @CsvSource({"0", "0.5", "1"})
    void aNonFiniteStudentGivesANonFiniteTotal(double alpha) {
        TeacherTable table = TeacherTable.of(teacherLogits, CLASSES, 4, manager);
        float[] student = gaussian(BATCH * CLASSES, 2, 6);
        student[17] = Float.NaN;
        long[] unlabelled = new long[BATCH];
        java.util.Arrays.fill(unlabelled, -1);
        // Even where no weight reads the NaN (no row labelled): training must stop, not go on.
        assertThat(run(new KdParameters(4, alpha), table, randomRows(7), unlabelled, student)
                        .total())
                .isNaN();
    }

    @ParameterizedTest(name = "T={0}, alpha={1}")
    @CsvSource({"4, 0.9", "1, 0.5", "2, 1"})
    void aCorrectedTeacherIsTheTeacherWithItsTopClassAndTheLabelSwapped(double t, double alpha) {
        TeacherTable table = TeacherTable.of(teacherLogits, CLASSES, t, manager);
        int[] rows = randomRows(7);
        long[] labels = new long[BATCH];
        Random rng = new Random(11);
        // The reference: the batch's teacher logits with, on each labelled row the teacher gets
        // wrong, its top class's logit and the label's exchanged (temperature keeps the order).
        float[] swapped = new float[BATCH * CLASSES];
        int wrong = 0;
        for (int i = 0; i < BATCH; i++) {
            labels[i] = i % 7 == 0 ? -1 : rng.nextInt(CLASSES);
            System.arraycopy(teacherLogits, rows[i] * CLASSES, swapped, i * CLASSES, CLASSES);
            int top = 0;
            for (int c = 1; c < CLASSES; c++) {
                top = swapped[i * CLASSES + c] > swapped[i * CLASSES + top] ? c : top;
            }
            if (labels[i] >= 0 && top != labels[i]) {
                int y = (int) labels[i];
                float z = swapped[i * CLASSES + top];
                swapped[i * CLASSES + top] = swapped[i * CLASSES + y];
                swapped[i * CLASSES + y] = z;
                wrong++;
            }
        }
        assertThat(wrong).as("random labels: most rows need correcting").isGreaterThan(BATCH / 2);
        float[] student = gaussian(BATCH * CLASSES, 2, 5);
        KdParameters kd = new KdParameters(t, alpha, true);
        DistillationStep.Values corrected = run(kd, table, rows, labels, student);
        DistillationStep.Values reference =
                run(new KdParameters(t, alpha), TeacherTable.of(swapped, CLASSES, t, manager), null, labels, student);
        DistillationStep.Values plain = run(new KdParameters(t, alpha), table, rows, labels, student);
        assertThat(corrected.soft()).isCloseTo(reference.soft(), within(1e-6 * Math.abs(reference.soft())));
        assertThat(corrected.total()).isCloseTo(reference.total(), within(1e-6 * Math.abs(reference.total())));
        assertThat(Math.abs(corrected.soft() - plain.soft())).isGreaterThan(1e-3 * plain.soft());
        assertThat(kd.toString()).endsWith(", teacher corrected)");
        assertThat(new KdParameters(t, alpha).toString()).isEqualTo("KD(T=" + t + ", alpha=" + alpha + ")");
    }

    private DistillationStep.Values run(
            KdParameters kd, TeacherTable table, int[] rows, long[] labels, float[] student) {
        try (NDManager batch = manager.newSubManager()) {
            DistillationStep step = new DistillationStep(kd, CLASSES, BATCH, DataType.FLOAT32, batch);
            step.prepare(BATCH, labels, kd.alpha() > 0 ? table : null, rows);
            int size = Math.toIntExact(step.weightShape().size());
            NDArray weights = batch.create(java.util.Arrays.copyOf(step.floatWeights(), size), step.weightShape());
            NDArray s = batch.create(student, new Shape(BATCH, CLASSES));
            return step.read(step.forward(s, weights));
        }
    }

    private static int[] randomRows(long seed) {
        Random rng = new Random(seed);
        int[] rows = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            rows[i] = rng.nextInt(ROWS);
        }
        return rows;
    }

    /** log_softmax(x * scale) of one row, in float64. */
    private static double[] logSoftmax(float[] x, int from, double scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < CLASSES; c++) {
            max = Math.max(max, x[from + c] * scale);
        }
        double sum = 0;
        for (int c = 0; c < CLASSES; c++) {
            sum += Math.exp(x[from + c] * scale - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[CLASSES];
        for (int c = 0; c < CLASSES; c++) {
            out[c] = x[from + c] * scale - lse;
        }
        return out;
    }

    private static float[] gaussian(int n, double scale, long seed) {
        Random rng = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (scale * rng.nextGaussian());
        }
        return out;
    }
}
