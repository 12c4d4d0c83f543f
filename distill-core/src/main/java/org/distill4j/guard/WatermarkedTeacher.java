package org.distill4j.guard;

import ai.djl.ndarray.NDArray;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherIdentity;

/**
 * A teacher whose logits carry a {@link Watermark}: what a watermarked API serves, as a {@link
 * Teacher} (for serving, for evaluations that distil from watermarked outputs, and for tests). Its
 * identity is the inner teacher's with kind {@code <kind>+watermark}; the key is not part of it.
 */
public final class WatermarkedTeacher implements Teacher {

    private final Teacher inner;
    private final Watermark watermark;
    private final TeacherIdentity identity;

    /** Wraps {@code inner}; closing this closes it. */
    public WatermarkedTeacher(Teacher inner, Watermark watermark) {
        this.inner = inner;
        this.watermark = watermark;
        TeacherIdentity id = inner.identity();
        this.identity = new TeacherIdentity(
                id.kind() + "+watermark", id.location(), id.contentHash(), id.description() + " (watermarked)");
    }

    @Override
    public TeacherIdentity identity() {
        return identity;
    }

    @Override
    public NDArray logits(NDArray inputs) {
        NDArray clean = inner.logits(inputs);
        float[] wm = watermark.logitsBatch(inputs.toFloatArray(), clean.toFloatArray());
        return inputs.getManager().create(wm, clean.getShape());
    }

    @Override
    public void close() {
        inner.close();
    }
}
