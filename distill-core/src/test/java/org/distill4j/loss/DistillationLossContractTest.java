package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The behavioural contract of a knowledge-distillation loss, as a shared suite in the spirit of
 * Lucene's {@code BaseTokenStreamTestCase}: every test goes through {@link #newLoss} and the
 * public DJL {@link Loss} API with the label layout documented on {@link DistillationLoss}
 * (labels[0] = hard labels, negative = unlabelled; labels[1] = teacher logits). Another
 * implementation, or the same one on another engine, gets the whole contract by subclassing and
 * overriding {@link #newLoss} and/or {@link #engineName}. Checks of {@link
 * DistillationLoss}-only API ({@code terms()}, the term evaluators) are skipped for other types.
 *
 * <p>Numbers come from the real DJL PyTorch engine; PyTorch-computed reference values are checked
 * separately by {@link DistillationLossGoldenTest}.
 */
class DistillationLossContractTest {

    private static final int BATCH = 4;
    private static final int CLASSES = 5;

    private NDManager manager;

    /** The loss under test; override to run the contract against another implementation. */
    protected Loss newLoss(KdParameters parameters) {
        return new DistillationLoss(parameters);
    }

    /** The DJL engine the contract runs on. */
    protected String engineName() {
        return "PyTorch";
    }

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager(engineName());
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    private Loss newLoss(double temperature, double alpha) {
        return newLoss(new KdParameters(temperature, alpha));
    }

    // ---------------------------------------------------------------- soft term: values

    @ParameterizedTest(name = "T={0}, logit scale={1}")
    @CsvSource({"0.5, 1", "1, 1", "4, 1", "20, 1", "0.5, 50", "4, 500"})
    void softTermIsZeroWhenStudentEqualsTeacher(double temperature, double scale) {
        NDArray logits = manager.create(gaussian(BATCH * CLASSES, scale, 1), new Shape(BATCH, CLASSES));
        NDArray student = logits.duplicate();
        student.setRequiresGradient(true);
        Loss loss = newLoss(temperature, 1.0);
        NDArray value;
        try (GradientCollector collector = newCollector()) {
            value = loss.evaluate(new NDList(allUnlabelled(), logits), new NDList(student));
            collector.backward(value);
        }
        // KL(p || p) = 0 and it is a minimum, so the gradient vanishes too.
        assertThat(value.getFloat()).isCloseTo(0f, within(1e-6f));
        for (float g : student.getGradient().toFloatArray()) {
            assertThat(g).isCloseTo(0f, within(1e-6f));
        }
    }

    @ParameterizedTest(name = "T={0}")
    @ValueSource(doubles = {0.5, 1, 2, 4, 20})
    void softTermIsTSquaredTimesBatchMeanKl(double temperature) {
        float[] s = gaussian(BATCH * CLASSES, 3, 2);
        float[] t = gaussian(BATCH * CLASSES, 3, 3);
        double alpha = 0.7;
        // alpha = 0.7 with every row unlabelled: the hard term is 0, the loss is the soft term alone.
        float soft = newLoss(temperature, alpha)
                .evaluate(new NDList(allUnlabelled(), matrix(t)), new NDList(matrix(s)))
                .getFloat();
        double plainKl = batchMeanKl(s, t, temperature);
        assertThat(plainKl).isPositive();
        assertThat(soft / (alpha * temperature * temperature)).isCloseTo(plainKl, within(1e-6 + 1e-5 * plainKl));
    }

    @ParameterizedTest(name = "alpha={0}")
    @ValueSource(doubles = {0.0, 0.25, 0.5, 0.9, 1.0})
    void lossIsTheAlphaMixOfItsSoftOnlyAndHardOnlyVersions(double alpha) {
        NDList labels = new NDList(manager.create(new long[] {0, -1, 4, 2}), matrix(gaussian(20, 2, 5)));
        NDList predictions = new NDList(matrix(gaussian(20, 2, 4)));
        double temperature = 3;
        double soft = newLoss(temperature, 1).evaluate(labels, predictions).getFloat();
        double hard = newLoss(temperature, 0).evaluate(labels, predictions).getFloat();
        double mixed = newLoss(temperature, alpha).evaluate(labels, predictions).getFloat();
        assertThat(mixed).isCloseTo(alpha * soft + (1 - alpha) * hard, within(1e-5 * (soft + hard)));
    }

    // ---------------------------------------------------------------- gradients

    @ParameterizedTest(name = "T={0}, alpha={1}, logit scale={2}")
    @CsvSource({"1, 0, 1", "4, 0.5, 1", "4, 1, 1", "0.5, 0.5, 50", "20, 0.9, 500", "4, 0.5, 500"})
    void gradientsAreFiniteAndNonZero(double temperature, double alpha, double scale) {
        NDArray student = matrix(gaussian(BATCH * CLASSES, scale, 6));
        NDArray teacher = matrix(gaussian(BATCH * CLASSES, scale, 7));
        teacher.setRequiresGradient(true);
        student.setRequiresGradient(true);
        NDArray value;
        try (GradientCollector collector = newCollector()) {
            value = newLoss(temperature, alpha)
                    .evaluate(new NDList(manager.create(new long[] {1, 0, 3, 4}), teacher), new NDList(student));
            collector.backward(value);
        }
        assertThat(Float.isFinite(value.getFloat()))
                .as("loss %s", value.getFloat())
                .isTrue();
        float[] grad = student.getGradient().toFloatArray();
        double norm = 0;
        for (float g : grad) {
            assertThat(Float.isFinite(g)).as("gradient entry %s", g).isTrue();
            norm += g * g;
        }
        assertThat(norm).as("squared gradient norm").isGreaterThan(1e-12);
        // The teacher is a constant target: no gradient may flow into it.
        for (float g : teacher.getGradient().toFloatArray()) {
            assertThat(g).isZero();
        }
    }

    @ParameterizedTest(name = "T={0}, alpha={1}")
    @CsvSource({"0.5, 1", "1, 1", "4, 1", "20, 1", "4, 0.5", "2, 0"})
    void gradientMatchesCentralFiniteDifferencesInFloat64(double temperature, double alpha) {
        double[] s = toDouble(gaussian(BATCH * CLASSES, 2, 8));
        NDArray teacher = manager.create(toDouble(gaussian(BATCH * CLASSES, 2, 9)), new Shape(BATCH, CLASSES));
        // Row 1 is unlabelled: with alpha = 0 its gradient must be exactly 0.
        NDArray hardLabels = manager.create(new long[] {2, -1, 0, 4});
        NDList labels = new NDList(hardLabels, teacher);
        Loss loss = newLoss(temperature, alpha);

        NDArray student = manager.create(s, new Shape(BATCH, CLASSES));
        student.setRequiresGradient(true);
        try (GradientCollector collector = newCollector()) {
            NDArray value = loss.evaluate(labels, new NDList(student));
            assertThat(value.getDataType()).isEqualTo(DataType.FLOAT64);
            collector.backward(value);
        }
        double[] analytic = student.getGradient().toDoubleArray();

        // Central differences: truncation ~h^2 * f''' ~ 1e-10, round-off ~1e-16 / h ~ 1e-11.
        double h = 1e-5;
        for (int i = 0; i < s.length; i++) {
            double[] plus = s.clone();
            double[] minus = s.clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (evalDouble(loss, labels, plus) - evalDouble(loss, labels, minus)) / (2 * h);
            assertThat(analytic[i])
                    .as("d loss / d s[%d][%d]", i / CLASSES, i % CLASSES)
                    .isCloseTo(numeric, within(1e-8 + 1e-6 * Math.abs(numeric)));
        }
        if (alpha == 0) {
            for (int j = 0; j < CLASSES; j++) {
                assertThat(analytic[CLASSES + j]).isZero();
            }
        }
    }

    // ---------------------------------------------------------------- labels and teacher presence

    @Test
    void alphaOneWorksWithEveryRowUnlabelled() {
        NDList predictions = new NDList(matrix(gaussian(20, 1, 10)));
        NDArray teacher = matrix(gaussian(20, 1, 11));
        float unlabelled = newLoss(4, 1)
                .evaluate(new NDList(allUnlabelled(), teacher), predictions)
                .getFloat();
        float labelled = newLoss(4, 1)
                .evaluate(new NDList(manager.create(new long[] {0, 1, 2, 3}), teacher), predictions)
                .getFloat();
        assertThat(unlabelled).isPositive().isEqualTo(labelled);
    }

    @Test
    void alphaOneNeverReadsHardLabels() {
        // Wrong length and wrong type: harmless, because alpha = 1 has no cross-entropy term.
        NDList labels = new NDList(manager.create(new float[] {7.5f}), matrix(gaussian(20, 1, 12)));
        NDList valid = new NDList(manager.create(new long[] {0, 1, 2, 3}), matrix(gaussian(20, 1, 12)));
        NDList predictions = new NDList(matrix(gaussian(20, 1, 13)));
        // The soft term alone: the same value whatever the hard labels are, and a real (positive) loss.
        float broken = newLoss(2, 1).evaluate(labels, predictions).getFloat();
        assertThat(broken).isEqualTo(newLoss(2, 1).evaluate(valid, predictions).getFloat());
        assertThat(broken).isPositive();
    }

    @Test
    void hardTermIsZeroWhenNoRowIsLabelled() {
        float value = newLoss(4, 0)
                .evaluate(new NDList(allUnlabelled()), new NDList(matrix(gaussian(20, 1, 14))))
                .getFloat();
        assertThat(value).isZero();
    }

    @Test
    void alphaZeroDoesNotNeedTeacherLogits() {
        NDList labelsOnly = new NDList(manager.create(new long[] {0, 1, 2, 3}));
        float value = newLoss(4, 0)
                .evaluate(labelsOnly, new NDList(matrix(gaussian(20, 1, 15))))
                .getFloat();
        assertThat(value).isPositive().isFinite();
    }

    @ParameterizedTest(name = "alpha={0}")
    @ValueSource(doubles = {1e-9, 0.5, 1.0})
    void positiveAlphaWithoutTeacherLogitsFailsClearly(double alpha) {
        NDList labelsOnly = new NDList(manager.create(new long[] {0, 1, 2, 3}));
        Loss loss = newLoss(4, alpha);
        NDList predictions = new NDList(matrix(gaussian(20, 1, 16)));
        assertThatThrownBy(() -> loss.evaluate(labelsOnly, predictions))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alpha=" + alpha)
                .hasMessageContaining("teacher logits");
    }

    // ---------------------------------------------------------------- shape errors

    @Test
    void teacherShapeMismatchNamesBothShapes() {
        NDList labels =
                new NDList(manager.create(new long[] {0, 1, 2, 3}), manager.zeros(new Shape(BATCH, CLASSES + 1)));
        assertThatThrownBy(() -> newLoss(4, 0.5).evaluate(labels, new NDList(matrix(gaussian(20, 1, 17)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("teacher")
                .hasMessageContaining("(4, 6)")
                .hasMessageContaining("(4, 5)");
    }

    @Test
    void studentMustBeTwoDimensional() {
        NDArray flat = manager.create(gaussian(20, 1, 18));
        NDList labels = new NDList(manager.create(new long[] {0, 1, 2, 3}), matrix(gaussian(20, 1, 19)));
        assertThatThrownBy(() -> newLoss(4, 0.5).evaluate(labels, new NDList(flat)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("student logits")
                .hasMessageContaining("(20)");
    }

    @Test
    void hardLabelCountMismatchNamesBothCounts() {
        NDList labels = new NDList(manager.create(new long[] {0, 1, 2}), matrix(gaussian(20, 1, 20)));
        assertThatThrownBy(() -> newLoss(4, 0.5).evaluate(labels, new NDList(matrix(gaussian(20, 1, 21)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hard labels have 3 entries for 4 rows");
    }

    // ---------------------------------------------------------------- parameters and naming

    @ParameterizedTest(name = "T={0}")
    @ValueSource(doubles = {0.0, -0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void rejectsIllegalTemperature(double temperature) {
        assertThatThrownBy(() -> new KdParameters(temperature, 0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("temperature")
                .hasMessageContaining(String.valueOf(temperature));
        assertThatThrownBy(() -> newLoss(temperature, 0.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "alpha={0}")
    @ValueSource(
            doubles = {-0.1, -1e-12, 1.0000001, 2.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void rejectsIllegalAlpha(double alpha) {
        assertThatThrownBy(() -> new KdParameters(4, alpha))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alpha")
                .hasMessageContaining(String.valueOf(alpha));
    }

    @ParameterizedTest(name = "T={0}, alpha={1}")
    @CsvSource({"1e-3, 0", "0.5, 1", "1, 0.5", "1e6, 0.3"})
    void acceptsLegalParameters(double temperature, double alpha) {
        KdParameters parameters = new KdParameters(temperature, alpha);
        assertThat(parameters.temperature()).isEqualTo(temperature);
        assertThat(parameters.alpha()).isEqualTo(alpha);
    }

    @Test
    void toStringNamesTemperatureAndAlphaInAnyLocale() {
        Locale saved = Locale.getDefault();
        try {
            // A comma-decimal locale must not leak into names used in logs and reports.
            Locale.setDefault(Locale.GERMANY);
            assertThat(new KdParameters(4, 0.7)).hasToString("KD(T=4.0, alpha=0.7)");
            assertThat(newLoss(4, 0.7)).hasToString("KD(T=4.0, alpha=0.7)");
            assertThat(newLoss(0.5, 1)).hasToString("KD(T=0.5, alpha=1.0)");
        } finally {
            Locale.setDefault(saved);
        }
    }

    // ---------------------------------------------------------------- teacher calibration

    @ParameterizedTest(name = "T={0}, calibration={1}")
    @CsvSource({"1, 2.5", "4, 0.5", "2, 1.7"})
    void aCalibratedTeacherIsTheTeacherWithItsLogitsDividedByTheCalibration(double temperature, double calibration) {
        NDArray teacher = matrix(gaussian(20, 3, 31));
        NDList labels = new NDList(manager.create(new long[] {0, 1, -1, 3}), teacher);
        NDList divided = new NDList(labels.get(0), teacher.div(calibration));
        NDList student = new NDList(matrix(gaussian(20, 1, 32)));
        KdParameters plain = new KdParameters(temperature, 0.7);
        float calibrated = newLoss(plain.withTeacherCalibration(calibration))
                .evaluate(labels, student)
                .getFloat();
        // The student's side and the T^2 factor keep T: only the teacher's distribution changes.
        assertThat(calibrated)
                .isCloseTo(newLoss(plain).evaluate(divided, student).getFloat(), within(1e-5f))
                .isNotCloseTo(newLoss(plain).evaluate(labels, student).getFloat(), within(1e-3f));
        assertThat(plain.withTeacherCalibration(calibration).teacherTemperature())
                .isEqualTo(temperature * calibration);
    }

    @ParameterizedTest(name = "calibration={0}")
    @ValueSource(doubles = {0, -1, Double.NaN, Double.POSITIVE_INFINITY})
    void rejectsAnIllegalCalibrationByName(double calibration) {
        assertThatThrownBy(() -> new KdParameters(4, 0.5).withTeacherCalibration(calibration))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("teacher calibration temperature")
                .hasMessageContaining(String.valueOf(calibration));
    }

    @Test
    void toStringNamesACalibrationOnlyWhenThereIsOne() {
        assertThat(new KdParameters(4, 0.7).withTeacherCalibration(1.0)).hasToString("KD(T=4.0, alpha=0.7)");
        assertThat(new KdParameters(1, 0.5).withTeacherCalibration(2.25))
                .hasToString("KD(T=1.0, alpha=0.5, teacher calibrated: T x 2.25)");
    }

    // ---------------------------------------------------------------- DJL integration

    @Test
    void lossIsAFloat32ScalarThatDjlCanAccumulate() {
        // Regression: scalar weights passed as double once promoted the loss to float64, and
        // Loss.updateAccumulators (getFloat) then threw during training.
        NDList labels = new NDList(manager.create(new long[] {0, -1, 2, 3}), matrix(gaussian(20, 1, 22)));
        NDList predictions = new NDList(matrix(gaussian(20, 1, 23)));
        for (double alpha : new double[] {0, 0.3, 1}) {
            Loss loss = newLoss(4, alpha);
            NDArray value = loss.evaluate(labels, predictions);
            assertThat(value.getDataType()).as("alpha=%s", alpha).isEqualTo(DataType.FLOAT32);
            assertThat(value.getShape()).isEqualTo(new Shape());
            loss.addAccumulator("train");
            loss.updateAccumulators(new String[] {"train"}, labels, predictions);
            assertThat(loss.getAccumulator("train")).isCloseTo(value.getFloat(), within(1e-6f));
        }
    }

    @Test
    void termEvaluatorsAddUpToTheTotal() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                newLoss(4, 0.5) instanceof DistillationLoss, "DistillationLoss-specific API");
        NDList labels = new NDList(manager.create(new long[] {0, -1, 2, 3}), matrix(gaussian(20, 1, 24)));
        NDList predictions = new NDList(matrix(gaussian(20, 1, 25)));
        for (double alpha : new double[] {0, 0.3, 1}) {
            DistillationLoss loss = (DistillationLoss) newLoss(4, alpha);
            DistillationLoss.Terms terms = loss.terms(labels, predictions);
            assertThat(terms.soft() == null).as("soft computed iff alpha > 0").isEqualTo(alpha == 0);
            assertThat(terms.hard() == null).as("hard computed iff alpha < 1").isEqualTo(alpha == 1);
            float soft = loss.softTarget().evaluate(labels, predictions).getFloat();
            float hard = loss.hardLabel().evaluate(labels, predictions).getFloat();
            assertThat(soft + hard).isCloseTo(terms.total().getFloat(), within(1e-5f));
            assertThat(loss.evaluate(labels, predictions).getFloat())
                    .isEqualTo(terms.total().getFloat());
            assertThat(loss.softTarget().getName()).isEqualTo("KD.soft");
            assertThat(loss.hardLabel().getName()).isEqualTo("KD.hard");
        }
    }

    // ---------------------------------------------------------------- helpers

    private GradientCollector newCollector() {
        return Engine.getEngine(engineName()).newGradientCollector();
    }

    private NDArray matrix(float[] values) {
        return manager.create(values, new Shape(BATCH, CLASSES));
    }

    private NDArray allUnlabelled() {
        return manager.create(new long[] {-1, -1, -1, -1});
    }

    private double evalDouble(Loss loss, NDList labels, double[] student) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray s = scope.create(student, new Shape(BATCH, CLASSES));
            return loss.evaluate(labels, new NDList(s)).getDouble();
        }
    }

    private static float[] gaussian(int n, double scale, long seed) {
        Random random = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (random.nextGaussian() * scale);
        }
        return out;
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** Independent float64 reference: mean over rows of sum_j p_j (log p_j - log q_j) at T. */
    private static double batchMeanKl(float[] student, float[] teacher, double temperature) {
        double total = 0;
        for (int row = 0; row < BATCH; row++) {
            double[] logP = logSoftmax(teacher, row, temperature);
            double[] logQ = logSoftmax(student, row, temperature);
            for (int j = 0; j < CLASSES; j++) {
                total += Math.exp(logP[j]) * (logP[j] - logQ[j]);
            }
        }
        return total / BATCH;
    }

    private static double[] logSoftmax(float[] logits, int row, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < CLASSES; j++) {
            max = Math.max(max, logits[row * CLASSES + j] / temperature);
        }
        double sum = 0;
        for (int j = 0; j < CLASSES; j++) {
            sum += Math.exp(logits[row * CLASSES + j] / temperature - max);
        }
        double logZ = max + Math.log(sum);
        double[] out = new double[CLASSES];
        for (int j = 0; j < CLASSES; j++) {
            out[j] = logits[row * CLASSES + j] / temperature - logZ;
        }
        return out;
    }
}
