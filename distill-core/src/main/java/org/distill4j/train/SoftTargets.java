package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherOutputs;

/**
 * Where a distilled student's soft targets come from during training: logits cached once per data
 * set ({@link #cached}), or the teacher run on every batch as the student sees it ({@link
 * #online}), which is what augmentation needs, or the teacher's logits on K fixed augmented views
 * of every row, computed once and replayed ({@link #views}, "fast knowledge distillation", Shen
 * and Xing 2022): consistent like online targets for shifts and flips, at K teacher passes over
 * the data instead of one per epoch.
 */
public interface SoftTargets {

    /**
     * Returns the output-cache key ({@link org.distill4j.teacher.TeacherIdentity#cacheKey()}) of
     * the teacher these targets come from; the trainer checks the gate's approval against it.
     */
    String teacherKey();

    /**
     * Returns the teacher logits for a training batch.
     *
     * @param rows the batch's row indices into the training set
     * @param inputs the batch as the student sees it (after augmentation), float32 (B, ...)
     * @return float32 logits (B, C) in {@code inputs}' manager, without gradient
     */
    NDArray logits(int[] rows, NDArray inputs);

    /** Returns whether these targets follow augmented inputs (only online targets do). */
    boolean followsAugmentation();

    /** Soft targets read from a teacher's cached outputs on the training set. */
    static SoftTargets cached(TeacherOutputs outputs) {
        return new Cached(outputs);
    }

    /**
     * Soft targets that come with the training batches themselves: an {@link
     * org.distill4j.data.ExampleStream} whose batches carry the logits of the teacher {@code
     * teacherKey} (e.g. a {@link org.distill4j.data.ShardStream} joined with a teacher-output file).
     */
    static SoftTargets streamed(String teacherKey) {
        return new Streamed(teacherKey);
    }

    /** Soft targets computed by running the teacher on each batch. */
    static SoftTargets online(Teacher teacher) {
        return new Online(teacher);
    }

    /**
     * Computes the teacher's logits on {@code views} fixed augmented views of every training row.
     * View k of row i is {@code augmentation} (shift and flip; no mixing) drawn from a generator
     * seeded by (seed, i, k), so the trainer can rebuild exactly the image the teacher scored.
     *
     * @param teacher the teacher
     * @param train the training rows the student will see (image features (c, h, w))
     * @param augmentation the student's augmentation; must not mix rows
     * @param views K, in [1, 1000]
     * @param seed seed of the views
     * @param manager manager for the teacher's temporary batches
     * @param batchSize rows per teacher forward pass
     * @return targets holding (rows x K x classes) logits
     */
    static Views views(
            Teacher teacher,
            ExampleSet train,
            Augmentation augmentation,
            int views,
            long seed,
            NDManager manager,
            int batchSize) {
        if (views < 1 || views > 1000) {
            throw new IllegalArgumentException("illegal views value: " + views + ", must be in [1, 1000]");
        }
        if (augmentation.mixes()) {
            throw new IllegalArgumentException("cached views cannot replay mixup or cutmix: a mixed image depends "
                    + "on its batch partner; use distillation mode 'online' for mixing");
        }
        int n = train.size();
        int classes = train.numClasses();
        float[] logits = new float[Math.multiplyExact(Math.multiplyExact(n, views), classes)];
        Views v = new Views(teacher.identity().cacheKey(), augmentation, views, seed, classes, logits);
        float[] buf = new float[batchSize * train.featureSize()];
        long[] shape = train.featureShape();
        for (int k = 0; k < views; k++) {
            for (int from = 0; from < n; from += batchSize) {
                int count = Math.min(batchSize, n - from);
                int[] rows = new int[count];
                for (int i = 0; i < count; i++) {
                    rows[i] = from + i;
                }
                train.copyFeatures(rows, buf);
                for (int i = 0; i < count; i++) {
                    v.applyView(buf, i, rows[i], k, shape);
                }
                try (NDManager batch = manager.newSubManager()) {
                    float[] out = teacher.logits(batch.create(
                                    java.util.Arrays.copyOf(buf, count * train.featureSize()),
                                    ExampleSets.batchShape(train, count)))
                            .toFloatArray();
                    for (int i = 0; i < count; i++) {
                        System.arraycopy(out, i * classes, logits, ((from + i) * views + k) * classes, classes);
                    }
                }
            }
        }
        return v;
    }

    /**
     * The teacher's logits on K fixed views of every row (see {@link #views}).
     *
     * @param teacherKey the teacher's cache key
     * @param augmentation how each view was drawn (shift and flip only)
     * @param views K
     * @param seed seed of the views
     * @param classes classes per logit row
     * @param logits row-major (row, view, class)
     */
    record Views(String teacherKey, Augmentation augmentation, int views, long seed, int classes, float[] logits)
            implements SoftTargets {

        /** Returns the view every row shows in an epoch (1-based): the views in turn. */
        public int viewFor(int epoch) {
            return (epoch - 1) % views;
        }

        /** Applies view {@code k} of training row {@code row} to {@code batch}'s row {@code r} in place. */
        public void applyView(float[] batch, int r, int row, int k, long[] featureShape) {
            long z = (seed * 0x9E3779B97F4A7C15L) ^ (row * 0xBF58476D1CE4E5B9L) ^ (k * 0x94D049BB133111EBL + 1);
            augmentation.applyRow(batch, r, featureShape, new Random(z));
        }

        /** Copies view {@code k}'s logits of {@code rows} into {@code dst}, row-major (B, classes). */
        public void copyRows(int[] rows, int k, float[] dst) {
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(logits, (rows[i] * views + k) * classes, dst, i * classes, classes);
            }
        }

        @Override
        public NDArray logits(int[] rows, NDArray inputs) {
            throw new UnsupportedOperationException("view targets depend on the epoch; the trainer reads them "
                    + "with copyRows(rows, viewFor(epoch), dst)");
        }

        @Override
        public boolean followsAugmentation() {
            return true;
        }
    }

    /**
     * Logits carried by the training stream's batches (see {@link #streamed}).
     *
     * @param teacherKey the teacher's cache key
     */
    record Streamed(String teacherKey) implements SoftTargets {
        /** Requires the key. */
        public Streamed {
            java.util.Objects.requireNonNull(teacherKey, "teacherKey");
        }

        @Override
        public NDArray logits(int[] rows, NDArray inputs) {
            throw new UnsupportedOperationException(
                    "streamed targets come with each batch; the trainer reads them " + "from the batch");
        }

        @Override
        public boolean followsAugmentation() {
            return false;
        }
    }

    /** Cached logits, looked up by row. */
    record Cached(TeacherOutputs outputs) implements SoftTargets {
        @Override
        public String teacherKey() {
            return outputs.teacherKey();
        }

        @Override
        public NDArray logits(int[] rows, NDArray inputs) {
            float[] buf = new float[rows.length * outputs.classes()];
            outputs.copyRows(rows, buf);
            return inputs.getManager().create(buf, new Shape(rows.length, outputs.classes()));
        }

        @Override
        public boolean followsAugmentation() {
            return false;
        }
    }

    /** A teacher forward pass per batch. */
    record Online(Teacher teacher) implements SoftTargets {
        @Override
        public String teacherKey() {
            return teacher.identity().cacheKey();
        }

        @Override
        public NDArray logits(int[] rows, NDArray inputs) {
            return teacher.logits(inputs).stopGradient();
        }

        @Override
        public boolean followsAugmentation() {
            return true;
        }
    }
}
