package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherOutputs;

/**
 * Where a distilled student's soft targets come from during training: logits cached once per data
 * set ({@link #cached}), or the teacher run on every batch as the student sees it ({@link
 * #online}), which is what augmentation needs.
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

    /** Soft targets computed by running the teacher on each batch. */
    static SoftTargets online(Teacher teacher) {
        return new Online(teacher);
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
