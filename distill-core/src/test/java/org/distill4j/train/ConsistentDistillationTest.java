package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.Activation;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherIdentity;
import org.junit.jupiter.api.Test;

/**
 * Consistent distillation: the teacher scores exactly the augmented (and mixed) batch the student
 * trains on; mixup and cutmix are seeded and mix in the stated ratio; cached views replay the
 * images the teacher scored.
 */
class ConsistentDistillationTest {

    static final long[] SHAPE = {1, 8, 8};

    /** Binary 8x8 images: class = which quadrant is lit, plus sparse noise pixels. */
    static InMemoryExampleSet images(int rows, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[rows * 64];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = rng.nextInt(4);
            int oy = (y[i] / 2) * 4;
            int ox = (y[i] % 2) * 4;
            for (int py = 0; py < 8; py++) {
                for (int px = 0; px < 8; px++) {
                    boolean lit = py >= oy && py < oy + 4 && px >= ox && px < ox + 4;
                    x[i * 64 + py * 8 + px] = lit ^ rng.nextDouble() < 0.05 ? 1f : 0f;
                }
            }
        }
        return new InMemoryExampleSet("quadrants", SHAPE, x, y, List.of("tl", "tr", "bl", "br"));
    }

    static final InMemoryExampleSet TRAIN = images(256, 1);

    /** A teacher whose logits are the first four pixels, remembering every batch it was shown. */
    static final class RecordingTeacher implements Teacher {
        final List<float[]> seen = new ArrayList<>();

        @Override
        public TeacherIdentity identity() {
            return ClassifierTrainerTest.teacherId("recording");
        }

        @Override
        public NDArray logits(NDArray inputs) {
            seen.add(inputs.toFloatArray());
            long b = inputs.getShape().get(0);
            return inputs.reshape(new Shape(b, -1)).get(":, 0:4").mul(3f);
        }

        @Override
        public void close() {}
    }

    /** A student that remembers every batch its forward pass received. */
    static SavedModel recordingStudent(List<float[]> seen) {
        SequentialBlock block = new SequentialBlock()
                .add(new LambdaBlock(list -> {
                    seen.add(list.head().toFloatArray());
                    return list;
                }))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(4).build());
        return SavedModel.builder()
                .setBlock(block)
                .setFeatureShape(SHAPE)
                .setClassNames(TRAIN.classNames())
                .build();
    }

    /**
     * The batches a recording student trained on: DJL's LambdaBlock infers its output shape by
     * running once on zeros when the trainer initialises, so that first call is dropped.
     */
    static List<float[]> trainingBatches(List<float[]> seen) {
        for (float v : seen.get(0)) {
            assertThat(v).isZero();
        }
        return seen.subList(1, seen.size());
    }

    static TrainingConfig config(Augmentation augment, int epochs) {
        return TrainingConfig.builder()
                .setEpochs(epochs)
                .optBatchSize(32)
                .optLearningRate(0.01)
                .optAugmentation(augment)
                .build();
    }

    @Test
    void theOnlineTeacherScoresTheStudentsMixedViewBitForBit() throws Exception {
        for (Augmentation augment : List.of(new Augmentation(2, true, 0.4, 0), new Augmentation(1, false, 0, 1.0))) {
            RecordingTeacher teacher = new RecordingTeacher();
            List<float[]> student = new ArrayList<>();
            try (SavedModel model = recordingStudent(student)) {
                ClassifierTrainer.builder(config(augment, 2))
                        .optSeed(3)
                        .optDistillation(
                                new KdParameters(2, 1),
                                SoftTargets.online(teacher),
                                ClassifierTrainerTest.approval(teacher.identity()))
                        .build()
                        .fit(model, TRAIN, null);
            }
            assertThat(teacher.seen).hasSize(2 * 8);
            student = trainingBatches(student);
            assertThat(student).hasSize(teacher.seen.size());
            for (int i = 0; i < student.size(); i++) {
                assertThat(teacher.seen.get(i)).as("batch %d", i).containsExactly(student.get(i));
            }
            // The batches were really augmented: mixup blends binary pixels into fractions; cutmix and
            // shifts move pixels, so no batch equals its rows' originals in any order.
            if (augment.mixup() > 0) {
                boolean fractional = false;
                for (float v : teacher.seen.get(0)) {
                    fractional |= v != 0f && v != 1f;
                }
                assertThat(fractional).isTrue();
            }
        }
    }

    @Test
    void mixedTrainingIsReproducibleForASeed() throws Exception {
        Augmentation augment = new Augmentation(1, true, 0.2, 1.0);
        List<List<EpochRecord>> runs = new ArrayList<>();
        for (long seed : new long[] {5, 5, 6}) {
            RecordingTeacher teacher = new RecordingTeacher();
            try (SavedModel model = recordingStudent(new ArrayList<>())) {
                runs.add(ClassifierTrainer.builder(config(augment, 2))
                        .optSeed(seed)
                        .optDistillation(
                                new KdParameters(2, 1),
                                SoftTargets.online(teacher),
                                ClassifierTrainerTest.approval(teacher.identity()))
                        .build()
                        .fit(model, TRAIN, null)
                        .history());
            }
        }
        assertThat(runs.get(1).get(1).trainLoss()).isEqualTo(runs.get(0).get(1).trainLoss());
        // Mixed rows have no label of their own, so no training accuracy is claimed for them.
        assertThat(runs.get(0).get(1).trainAccuracy()).isNaN();
        assertThat(runs.get(2).get(1).trainLoss())
                .isNotEqualTo(runs.get(0).get(1).trainLoss());

        float[] a = new float[32 * 64];
        TRAIN.copyFeatures(java.util.stream.IntStream.range(0, 32).toArray(), a);
        float[] b = a.clone();
        float[] c = a.clone();
        augment.apply(a, 32, SHAPE, new Random(1));
        augment.apply(b, 32, SHAPE, new Random(1));
        augment.apply(c, 32, SHAPE, new Random(2));
        assertThat(b).containsExactly(a);
        assertThat(Arrays.equals(a, c)).isFalse();
    }

    @Test
    void mixupBlendsEachRowWithItsPartnerInTheDrawnRatio() {
        int rows = 16;
        float[] batch = new float[rows * 64];
        for (int r = 0; r < rows; r++) {
            Arrays.fill(batch, r * 64, (r + 1) * 64, r);
        }
        Augmentation.Mix mix = new Augmentation(0, false, 0.4, 0).apply(batch, rows, SHAPE, new Random(9));
        assertThat(mix.kind()).isEqualTo("mixup");
        assertThat(mix.lambda()).isBetween(0.0, 1.0);
        assertThat(Arrays.stream(mix.partner()).sorted().toArray())
                .isEqualTo(java.util.stream.IntStream.range(0, rows).toArray());
        for (int r = 0; r < rows; r++) {
            double expected = mix.lambda() * r + (1 - mix.lambda()) * mix.partner()[r];
            for (int i = 0; i < 64; i++) {
                assertThat((double) batch[r * 64 + i]).isCloseTo(expected, within(1e-4));
            }
        }
    }

    @Test
    void cutmixPastesTheStatedFractionOfThePartner() {
        int rows = 8;
        for (int seed = 0; seed < 20; seed++) {
            float[] batch = new float[rows * 64];
            for (int r = 0; r < rows; r++) {
                Arrays.fill(batch, r * 64, (r + 1) * 64, r + 1);
            }
            Augmentation.Mix mix = new Augmentation(0, false, 0, 1.0).apply(batch, rows, SHAPE, new Random(seed));
            assertThat(mix.kind()).isEqualTo("cutmix");
            for (int r = 0; r < rows; r++) {
                if (mix.partner()[r] == r) {
                    continue;
                }
                int own = 0;
                for (int i = 0; i < 64; i++) {
                    float v = batch[r * 64 + i];
                    assertThat(v).isIn((float) (r + 1), (float) (mix.partner()[r] + 1));
                    own += v == r + 1 ? 1 : 0;
                }
                assertThat(own / 64.0).isCloseTo(mix.lambda(), within(1e-9));
            }
        }
    }

    @Test
    void betaDrawsHaveTheMeanAndVarianceOfBetaAA() {
        Random rng = new Random(4);
        for (double a : new double[] {0.2, 1.0, 4.0}) {
            double sum = 0;
            double sq = 0;
            int n = 20_000;
            for (int i = 0; i < n; i++) {
                double x = Augmentation.beta(a, rng);
                assertThat(x).isBetween(0.0, 1.0);
                sum += x;
                sq += x * x;
            }
            double mean = sum / n;
            double var = sq / n - mean * mean;
            assertThat(mean).as("mean for a=%s", a).isCloseTo(0.5, within(0.01));
            assertThat(var).as("variance for a=%s", a).isCloseTo(1 / (4 * (2 * a + 1)), within(0.006));
        }
    }

    @Test
    void mixingNeedsATeacherThatScoresTheMixedImageAndNoHardTerm() throws Exception {
        TrainingConfig mixed = config(new Augmentation(0, false, 0.2, 0), 1);
        RecordingTeacher teacher = new RecordingTeacher();
        try (SavedModel model = recordingStudent(new ArrayList<>())) {
            assertThatThrownBy(() -> ClassifierTrainer.builder(mixed)
                            .optDistillation(
                                    new KdParameters(2, 0.9),
                                    SoftTargets.online(teacher),
                                    ClassifierTrainerTest.approval(teacher.identity()))
                            .build()
                            .fit(model, TRAIN, null))
                    .hasMessageContaining("alpha is 0.9, must be 1.0");
            assertThatThrownBy(() -> ClassifierTrainer.builder(mixed).build().fit(model, TRAIN, null))
                    .hasMessageContaining("mode 'online' or 'views'");
            SoftTargets cached = SoftTargets.cached(new org.distill4j.teacher.TeacherOutputs(
                    teacher.identity().cacheKey(), TRAIN.contentHash(), TRAIN.size(), 4, new float[TRAIN.size() * 4]));
            assertThatThrownBy(() -> ClassifierTrainer.builder(mixed)
                            .optDistillation(
                                    new KdParameters(2, 1), cached, ClassifierTrainerTest.approval(teacher.identity()))
                            .build()
                            .fit(model, TRAIN, null))
                    .hasMessageContaining("mode 'online' or 'views'");
        }
    }

    @Test
    void mixedViewsReplayTheMixedImagesTheTeacherScored() throws Exception {
        for (Augmentation augment : List.of(new Augmentation(0, false, 1.0, 0), new Augmentation(1, false, 0.5, 1.0))) {
            RecordingTeacher teacher = new RecordingTeacher();
            SoftTargets.Views views;
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                views = SoftTargets.views(teacher, TRAIN, augment, 2, 7, manager, 100);
            }
            List<float[]> student = new ArrayList<>();
            try (SavedModel model = recordingStudent(student)) {
                ClassifierTrainer.builder(config(augment, 3))
                        .optSeed(3)
                        .optDistillation(
                                new KdParameters(2, 1), views, ClassifierTrainerTest.approval(teacher.identity()))
                        .build()
                        .fit(model, TRAIN, null);
            }
            student = trainingBatches(student);
            List<String> view0 = viewOf(teacher.seen, 0, 2);
            assertThat(view0).isNotEqualTo(viewOf(teacher.seen, 1, 2));
            assertThat(rowsOf(student.subList(0, 8))).as("%s", augment).isEqualTo(view0);
            assertThat(rowsOf(student.subList(8, 16))).isEqualTo(viewOf(teacher.seen, 1, 2));
            assertThat(rowsOf(student.subList(16, 24))).isEqualTo(view0);
        }
        // Mixup alone, no shift: every view is lambda * its own image + (1 - lambda) * a partner
        // row of the training set, partners and lambdas varying from view to view.
        RecordingTeacher teacher = new RecordingTeacher();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            SoftTargets.views(teacher, TRAIN, new Augmentation(0, false, 1.0, 0), 4, 7, manager, 1024);
        }
        float[] seen = teacher.seen.get(0);
        float[] x = new float[TRAIN.size() * 64];
        TRAIN.copyFeatures(java.util.stream.IntStream.range(0, TRAIN.size()).toArray(), x);
        java.util.Set<Integer> partners = new java.util.HashSet<>();
        List<Double> lambdas = new ArrayList<>();
        for (int pair = 0; pair < TRAIN.size() * 4; pair++) {
            int own = pair / 4;
            int best = -1;
            double bestLambda = 0;
            for (int j = 0; j < TRAIN.size() && best < 0; j++) {
                double lambda = mixWeight(seen, pair, x, own, j);
                if (!Double.isNaN(lambda)) {
                    best = j;
                    bestLambda = lambda;
                }
            }
            assertThat(best)
                    .as("(row %d, view %d) is a mix of row %d and a training row", own, pair % 4, own)
                    .isNotNegative();
            partners.add(best);
            lambdas.add(bestLambda);
        }
        assertThat(partners).hasSizeGreaterThan(TRAIN.size() / 2);
        double mean =
                lambdas.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertThat(mean).as("mean lambda of Beta(1, 1)").isCloseTo(0.5, within(0.05));
    }

    /**
     * The lambda in [0, 1] with which 64-pixel image {@code pair} of {@code seen} equals lambda *
     * row {@code own} + (1 - lambda) * row {@code other} of {@code x} (to float precision), or NaN.
     */
    private static double mixWeight(float[] seen, int pair, float[] x, int own, int other) {
        double num = 0;
        double den = 0;
        for (int p = 0; p < 64; p++) {
            double d = x[own * 64 + p] - x[other * 64 + p];
            num += (seen[pair * 64 + p] - x[other * 64 + p]) * d;
            den += d * d;
        }
        double lambda = den == 0 ? 1 : num / den;
        if (lambda < -1e-6 || lambda > 1 + 1e-6) {
            return Double.NaN;
        }
        for (int p = 0; p < 64; p++) {
            double expected = lambda * x[own * 64 + p] + (1 - lambda) * x[other * 64 + p];
            if (Math.abs(expected - seen[pair * 64 + p]) > 1e-5) {
                return Double.NaN;
            }
        }
        return lambda;
    }

    @Test
    void cachedViewsAreComputedOnceAndReplayTheImagesTheTeacherScored() throws Exception {
        Augmentation augment = new Augmentation(2, true);
        RecordingTeacher teacher = new RecordingTeacher();
        SoftTargets.Views views;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            views = SoftTargets.views(teacher, TRAIN, augment, 2, 7, manager, 100);
        }
        // 2 x 256 (row, view) pairs in 6 batches (5 x 100, 12); none during training.
        assertThat(teacher.seen).hasSize(6);
        List<float[]> student = new ArrayList<>();
        try (SavedModel model = recordingStudent(student)) {
            ClassifierTrainer.builder(config(augment, 3))
                    .optSeed(3)
                    .optDistillation(
                            new KdParameters(2, 0.5), views, ClassifierTrainerTest.approval(teacher.identity()))
                    .build()
                    .fit(model, TRAIN, null);
        }
        assertThat(teacher.seen).hasSize(6);
        student = trainingBatches(student);
        // Epoch e shows view (e - 1) mod 2 of every row: the same images the teacher scored, which
        // it scored as (row, view) pairs in row-major order.
        List<String> view0 = viewOf(teacher.seen, 0, 2);
        List<String> view1 = viewOf(teacher.seen, 1, 2);
        assertThat(view0).isNotEqualTo(view1);
        assertThat(rowsOf(student.subList(0, 8))).isEqualTo(view0);
        assertThat(rowsOf(student.subList(8, 16))).isEqualTo(view1);
        assertThat(rowsOf(student.subList(16, 24))).isEqualTo(view0);
        // A student trained with another augmentation than the views' is refused.
        try (SavedModel model = recordingStudent(new ArrayList<>())) {
            SoftTargets.Views v = views;
            assertThatThrownBy(() -> ClassifierTrainer.builder(config(new Augmentation(1, true), 1))
                            .optDistillation(
                                    new KdParameters(2, 0.5), v, ClassifierTrainerTest.approval(teacher.identity()))
                            .build()
                            .fit(model, TRAIN, null))
                    .hasMessageContaining("views were drawn with");
        }
    }

    @Test
    void viewsStoredInTheOutputCacheAreReadBackNotRecomputed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        Augmentation augment = new Augmentation(2, true);
        RecordingTeacher teacher = new RecordingTeacher();
        org.distill4j.teacher.TeacherOutputCache cache = new org.distill4j.teacher.TeacherOutputCache(tmp);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            SoftTargets.Views first = SoftTargets.views(teacher, TRAIN, augment, 3, 7, cache, manager, 100, n -> {});
            int passes = teacher.seen.size();
            assertThat(cache.lastWasHit()).isFalse();
            SoftTargets.Views again = SoftTargets.views(teacher, TRAIN, augment, 3, 7, cache, manager, 100, n -> {});
            assertThat(cache.lastWasHit()).isTrue();
            assertThat(teacher.seen).hasSize(passes);
            assertThat(again.logits()).containsExactly(first.logits());
            // The same views computed without a cache: equal, (row, view) by (row, view).
            assertThat(SoftTargets.views(teacher, TRAIN, augment, 3, 7, manager, 100)
                            .logits())
                    .containsExactly(first.logits());
            // Another seed, K or augmentation is another set of views.
            SoftTargets.views(teacher, TRAIN, augment, 3, 8, cache, manager, 100, n -> {});
            assertThat(cache.lastWasHit()).isFalse();
            SoftTargets.views(teacher, TRAIN, new Augmentation(1, true), 3, 7, cache, manager, 100, n -> {});
            assertThat(cache.lastWasHit()).isFalse();
        }
    }

    /** Of batches of (row, view) pairs in row-major order, the images of view k, as {@link #rowsOf} gives them. */
    static List<String> viewOf(List<float[]> batches, int k, int views) {
        float[] all = new float[batches.stream().mapToInt(b -> b.length).sum()];
        int at = 0;
        for (float[] b : batches) {
            System.arraycopy(b, 0, all, at, b.length);
            at += b.length;
        }
        List<float[]> rows = new ArrayList<>();
        for (int j = k; j < all.length / 64; j += views) {
            rows.add(Arrays.copyOfRange(all, j * 64, (j + 1) * 64));
        }
        return rowsOf(rows);
    }

    /** The rows of the batches, each as text, sorted: the multiset of images shown. */
    static List<String> rowsOf(List<float[]> batches) {
        List<String> rows = new ArrayList<>();
        for (float[] b : batches) {
            for (int r = 0; r < b.length / 64; r++) {
                rows.add(Arrays.toString(Arrays.copyOfRange(b, r * 64, (r + 1) * 64)));
            }
        }
        rows.sort(null);
        return rows;
    }

    @Test
    void aSeparableCnnStudentTrainsToHighAccuracy() throws Exception {
        CnnSpec spec = new CnnSpec(List.of(4, 8), 3, 2, List.of(), Activation.RELU, 0, true, true);
        InMemoryExampleSet val = images(128, 2);
        try (SavedModel model = SavedModel.create(spec, SHAPE, TRAIN.classNames())) {
            List<EpochRecord> h = ClassifierTrainer.builder(config(Augmentation.NONE, 6))
                    .optSeed(1)
                    .build()
                    .fit(model, TRAIN, val)
                    .history();
            assertThat(h.get(5).valAccuracy()).isGreaterThan(0.9);
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                NDArray out = model.model()
                        .getBlock()
                        .forward(
                                new ai.djl.training.ParameterStore(m, false),
                                new NDList(m.zeros(new Shape(3, 1, 8, 8))),
                                false)
                        .head();
                assertThat(out.getShape()).isEqualTo(new Shape(3, 4));
            }
        }
    }
}
