package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.distill4j.data.ExampleSet;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherOutputCache;
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
     * Computes the teacher's logits on {@code views} fixed augmented views of every training row,
     * or reads them from {@code cache} (keyed by the teacher and by the views' content: the rows,
     * the augmentation, K and the seed), where they are stored once computed. View k of row i is
     * {@code augmentation} drawn from a generator seeded by (seed, i, k), so the trainer can rebuild
     * exactly the input the teacher scored: shift and flip (or dropped text ids) and, with mixup or
     * cutmix, a partner row drawn from the whole training set (not the batch, which changes every
     * epoch) mixed in with the view's own lambda. Mixed views make Beyer et al.'s function matching
     * (mixup, consistent, patient) cost K teacher passes in all instead of one per epoch.
     *
     * @param teacher the teacher
     * @param train the training rows the student will see
     * @param augmentation the student's augmentation
     * @param views K, in [1, 1000]
     * @param seed seed of the views
     * @param cache where computed views are stored and found again, or null to compute them here
     * @param manager manager for the teacher's temporary batches
     * @param batchSize rows per teacher forward pass
     * @param progress told the number of (row, view) pairs done after each batch (may be a no-op)
     * @return targets holding (rows x K x classes) logits
     */
    public static Views views(
            Teacher teacher,
            ExampleSet train,
            Augmentation augmentation,
            int views,
            long seed,
            TeacherOutputCache cache,
            NDManager manager,
            int batchSize,
            java.util.function.IntConsumer progress)
            throws java.io.IOException {
        if (views < 1 || views > 1000) {
            throw new IllegalArgumentException("illegal views value: " + views + ", must be in [1, 1000]");
        }
        ViewSet set = new ViewSet(train, augmentation, views, seed);
        TeacherOutputs outputs = cache == null
                ? TeacherOutputCache.compute(teacher, set, manager, batchSize, progress)
                : cache.getOrCompute(teacher, set, manager, batchSize, progress);
        return new Views(teacher.identity().cacheKey(), augmentation, views, seed, train, outputs.logits());
    }

    /** {@link #views(Teacher, ExampleSet, Augmentation, int, long, TeacherOutputCache, NDManager, int, java.util.function.IntConsumer)} without a cache. */
    static Views views(
            Teacher teacher,
            ExampleSet train,
            Augmentation augmentation,
            int views,
            long seed,
            NDManager manager,
            int batchSize) {
        try {
            return views(teacher, train, augmentation, views, seed, null, manager, batchSize, done -> {});
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // no cache, no I/O
        }
    }

    /**
     * The teacher's logits on K fixed views of every row (see {@link #views}).
     *
     * @param teacherKey the teacher's cache key
     * @param augmentation how each view was drawn
     * @param views K
     * @param seed seed of the views
     * @param train the training rows the views were drawn from (mixed views take partners from it)
     * @param logits row-major (row, view, class)
     */
    record Views(String teacherKey, Augmentation augmentation, int views, long seed, ExampleSet train, float[] logits)
            implements SoftTargets {

        /** Returns the number of classes per logit row. */
        public int classes() {
            return train.numClasses();
        }

        /** Returns the view every row shows in an epoch (1-based): the views in turn. */
        public int viewFor(int epoch) {
            return (epoch - 1) % views;
        }

        /**
         * Turns {@code batch}'s row {@code r}, holding training row {@code row}'s features, into
         * view {@code k} of that row in place.
         */
        public void applyView(float[] batch, int r, int row, int k, long[] featureShape) {
            ViewSet.render(train, augmentation, seed, row, k, batch, r, featureShape);
        }

        /** Copies view {@code k}'s logits of {@code rows} into {@code dst}, row-major (B, classes). */
        public void copyRows(int[] rows, int k, float[] dst) {
            int classes = classes();
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
