package org.distill4j.guard;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.testutil.SyntheticData;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watermark on a real teacher and students distilled from its (watermarked or clean) outputs. */
class WatermarkTest {

    /** The teacher whose (watermarked) outputs the students learn from; the gate binds to it. */
    private static final org.distill4j.teacher.TeacherIdentity TEACHER =
            new org.distill4j.teacher.TeacherIdentity("test", "/watermark-test-teacher", "t", "served outputs");

    static final InMemoryExampleSet TRAIN = SyntheticData.blobs("blobs/train", 6000, 5, 16, 1.2, 1);
    static final InMemoryExampleSet PROBES = SyntheticData.blobs("blobs/probes", 4000, 5, 16, 1.2, 2);
    static final byte[] SECRET =
            HexFormat.of().parseHex("00112233445566778899aabbccddeeff0123456789abcdef0011223344556677");

    static float[] trainX;
    static float[] probeX;
    static SavedModel teacherModel;
    static float[] teacherLogits;
    static float[] teacherProbeLogProbs;
    static float[] watermarkedLogits;
    static Watermark watermark;
    static WatermarkKey key;

    @TempDir
    static Path dir;

    static float[] features(InMemoryExampleSet set) {
        int[] rows = new int[set.size()];
        Arrays.setAll(rows, i -> i);
        float[] x = new float[set.size() * set.featureSize()];
        set.copyFeatures(rows, x);
        return x;
    }

    static TrainingConfig config(int epochs) {
        return TrainingConfig.of(epochs, 64, null, 0.003, null, null, null, null, null);
    }

    static float[] logits(SavedModel m, float[] x, int rows) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray in = manager.create(x, new ai.djl.ndarray.types.Shape(rows, TRAIN.featureSize()));
            return m.logits(in).toFloatArray();
        }
    }

    static float[] logSoftmax(float[] z, int c) {
        float[] out = new float[z.length];
        for (int r = 0; r < z.length / c; r++) {
            float[] p = Watermark.softmax(Arrays.copyOfRange(z, r * c, (r + 1) * c));
            for (int k = 0; k < c; k++) {
                out[r * c + k] = (float) Math.log(Math.max(p[k], 1e-30));
            }
        }
        return out;
    }

    @BeforeAll
    static void teacher() throws Exception {
        trainX = features(TRAIN);
        probeX = features(PROBES);
        teacherModel = SavedModel.create(new MlpSpec(List.of(64), null, 0), TRAIN.featureShape(), TRAIN.classNames());
        ClassifierTrainer.builder(config(10)).optSeed(3).build().fit(teacherModel, TRAIN, null);
        teacherLogits = logits(teacherModel, trainX, TRAIN.size());
        teacherProbeLogProbs = logSoftmax(logits(teacherModel, probeX, PROBES.size()), TRAIN.numClasses());
        key = WatermarkKey.of(SECRET, 1, 0.005);
        key = WatermarkKey.of(SECRET, key.projectionSpread(trainX, TRAIN.featureSize()), 0.005);
        watermark = new Watermark(key, TRAIN.featureSize(), TRAIN.numClasses());
        watermarkedLogits = watermark.logitsBatch(trainX, teacherLogits);
    }

    @org.junit.jupiter.api.AfterAll
    static void close() {
        teacherModel.close();
    }

    /** Distils a student from the given logits on TRAIN and returns its log-probabilities on PROBES. */
    static float[] student(float[] targets, long seed) throws Exception {
        TeacherOutputs outputs =
                new TeacherOutputs(TEACHER.cacheKey(), TRAIN.contentHash(), TRAIN.size(), TRAIN.numClasses(), targets);
        try (SavedModel s =
                SavedModel.create(new MlpSpec(List.of(128, 128), null, 0), TRAIN.featureShape(), TRAIN.classNames())) {
            ClassifierTrainer.builder(config(15))
                    .optSeed(seed)
                    .optDistillation(
                            new KdParameters(1, 1),
                            SoftTargets.cached(outputs),
                            new DistillationGate()
                                    .approve(GateRequest.forTeacher(
                                                    TermsRegistry.builtIn().get("mit"), "student")
                                            .withTeacher(TEACHER)))
                    .build()
                    .fit(s, ExampleSets.withoutLabels(TRAIN), null);
            return logSoftmax(logits(s, probeX, PROBES.size()), TRAIN.numClasses());
        }
    }

    @Test
    void utilityBoundsHold() {
        Watermark.Utility u = watermark.measure(trainX, teacherLogits);
        System.out.println("utility: " + u);
        assertThat(u.top1Unchanged()).isGreaterThanOrEqualTo(0.995);
        assertThat(u.meanKl()).isLessThanOrEqualTo(0.005);
        assertThat(u.maxKl()).isLessThanOrEqualTo(Math.log(1 + 2 * 0.005) + 1e-6);
        assertThat(u.meanKl()).isGreaterThan(0);
    }

    @Test
    void servedOutputsCarryTheSignalAndCleanModelsDoNot() throws Exception {
        float[] teacherProbe = logits(teacherModel, probeX, PROBES.size());
        float[] served = logSoftmax(watermark.logitsBatch(probeX, teacherProbe), 5);
        WatermarkDetector.Detection marked = WatermarkDetector.detect(watermark, probeX, served);
        WatermarkDetector.Detection clean = WatermarkDetector.detect(watermark, probeX, teacherProbeLogProbs);
        WatermarkDetector.Detection student =
                WatermarkDetector.detect(watermark, probeX, student(teacherLogits, 5), teacherProbeLogProbs);
        System.out.println("served " + marked + "\nclean teacher " + clean + "\nclean student " + student);
        assertThat(marked.pValue()).isLessThan(1e-6);
        assertThat(clean.pValue()).isGreaterThan(0.01);
        assertThat(student.pValue()).isGreaterThan(0.01);
        // Against random keys (exact under H0): the served outputs rank first, the clean ones do not.
        WatermarkDetector.KeyTest servedTest = WatermarkDetector.test(key, 16, 5, probeX, served, null, 99, 1);
        WatermarkDetector.KeyTest cleanTest =
                WatermarkDetector.test(key, 16, 5, probeX, teacherProbeLogProbs, null, 99, 1);
        System.out.println("served vs random keys " + servedTest + "\nclean vs random keys " + cleanTest);
        assertThat(servedTest.pValue()).isEqualTo(0.01);
        assertThat(servedTest.tailPValue()).isLessThan(1e-6);
        assertThat(cleanTest.pValue()).isGreaterThan(0.01);
        // Another key finds nothing in the watermarked outputs.
        byte[] other = SECRET.clone();
        other[0] ^= 1;
        Watermark wrong = new Watermark(WatermarkKey.of(other, key.scale(), 0.005), 16, 5);
        assertThat(WatermarkDetector.detect(wrong, probeX, served).pValue()).isGreaterThan(0.01);
    }

    /**
     * Measures transfer to students (docs/audit.md): off by default (about a minute of CPU); run
     * with {@code -Dwatermark.transfer=true -Dtest=WatermarkTest#transferToStudents}.
     */
    @Test
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "watermark.transfer", matches = "true")
    void transferToStudents() throws Exception {
        for (double temp : new double[] {1, 4}) {
            TeacherOutputs outputs =
                    new TeacherOutputs(TEACHER.cacheKey(), TRAIN.contentHash(), TRAIN.size(), 5, watermarkedLogits);
            try (SavedModel s = SavedModel.create(
                    new MlpSpec(List.of(128, 128), null, 0), TRAIN.featureShape(), TRAIN.classNames())) {
                ClassifierTrainer.builder(config(40))
                        .optSeed(5)
                        .optDistillation(
                                new KdParameters(temp, 1),
                                SoftTargets.cached(outputs),
                                new DistillationGate()
                                        .approve(GateRequest.forTeacher(
                                                        TermsRegistry.builtIn().get("mit"), "student")
                                                .withTeacher(TEACHER)))
                        .build()
                        .fit(s, ExampleSets.withoutLabels(TRAIN), null);
                float[] lp = logSoftmax(logits(s, probeX, PROBES.size()), 5);
                float[] lpTrain = logSoftmax(logits(s, trainX, TRAIN.size()), 5);
                System.out.println("T=" + temp + " fresh probes, clean baseline: "
                        + WatermarkDetector.test(key, 16, 5, probeX, lp, teacherProbeLogProbs, 99, 1)
                        + "\nT=" + temp + " its transfer rows, clean baseline: "
                        + WatermarkDetector.test(key, 16, 5, trainX, lpTrain, logSoftmax(teacherLogits, 5), 99, 1));
            }
        }
    }

    @Test
    void probabilityAndLogitOutputsAgree() {
        float[] z = Arrays.copyOfRange(teacherLogits, 0, 5);
        float[] viaLogits = Watermark.softmax(watermark.logits(trainX, 0, z));
        float[] viaProbabilities = watermark.probabilities(trainX, 0, Watermark.softmax(z));
        for (int c = 0; c < 5; c++) {
            assertThat(viaLogits[c]).isCloseTo(viaProbabilities[c], org.assertj.core.api.Assertions.within(1e-5f));
        }
    }
}
