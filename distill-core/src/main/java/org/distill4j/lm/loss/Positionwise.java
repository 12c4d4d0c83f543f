package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Helpers shared by the sequence losses: masks, masked means, cross-entropy, validation. */
final class Positionwise {

    private Positionwise() {}

    /** (B, T) float mask of real positions (target &gt;= 0). */
    static NDArray mask(NDArray targets, DataType type) {
        return targets.gte(0).toType(type, false);
    }

    /** Sum of {@code perPosition * mask} divided by max(1, #real positions): 0 when there are none. */
    static NDArray maskedMean(NDArray perPosition, NDArray mask) {
        return perPosition.mul(mask).sum().div(mask.sum().maximum(1f));
    }

    /** Mean over real positions of -log softmax(s)[y]. */
    static NDArray crossEntropy(NDArray student, NDArray targets) {
        NDArray ids = targets.toType(DataType.INT64, false);
        NDArray mask = mask(ids, student.getDataType());
        NDArray safe = ids.maximum(0L).expandDims(2);
        NDArray nll = student.logSoftmax(2).gather(safe, 2).squeeze(2).neg();
        return maskedMean(nll, mask);
    }

    /**
     * Multiplies by a weight without promoting float32 to float64, through a 0-d constant attached
     * to {@code x}'s manager. Never {@code x.mul(number)} on the gradient path: DJL 0.36 builds that
     * scalar over a direct buffer it releases at once while autograd keeps the scalar for the
     * backward pass, so a GC in between corrupts the gradient (docs/engine.md).
     */
    static NDArray times(NDArray x, double w) {
        NDManager m = x.getManager();
        return x.mul(x.getDataType() == DataType.FLOAT64 ? m.create(w) : m.create((float) w));
    }

    /** Adds a constant the way {@link #times} multiplies: never {@code x.add(number)} on the gradient path. */
    static NDArray plus(NDArray x, double c) {
        NDManager m = x.getManager();
        return x.add(x.getDataType() == DataType.FLOAT64 ? m.create(c) : m.create((float) c));
    }

    /** Checks that student logits are (B, T, V) and targets (B, T). */
    static void checkShapes(NDArray student, NDArray targets) {
        Shape s = student.getShape();
        if (s.dimension() != 3) {
            throw new IllegalArgumentException("student logits must be (batch, positions, vocab), got " + s);
        }
        if (!targets.getShape().equals(new Shape(s.get(0), s.get(1)))) {
            throw new IllegalArgumentException("targets " + targets.getShape() + " do not match student logits " + s
                    + "; expected (batch, positions)");
        }
    }

    /** Checks that a teacher array has shape (B, T, last) matching the student. */
    static void checkTeacher(String what, NDArray teacher, NDArray student, long last) {
        Shape s = student.getShape();
        Shape want = new Shape(s.get(0), s.get(1), last);
        if (!teacher.getShape().equals(want)) {
            throw new IllegalArgumentException("teacher " + what + " " + teacher.getShape() + " does not match student "
                    + s + "; expected " + want);
        }
    }

    static void checkAlpha(double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("illegal alpha value: " + alpha + ", must be in [0, 1]");
        }
    }

    static void checkTemperature(double t) {
        if (!(t > 0) || Double.isInfinite(t)) {
            throw new IllegalArgumentException("illegal temperature value: " + t + ", must be a positive finite value");
        }
    }

    static <T extends TeacherTargets> T expect(Class<T> type, TeacherTargets teacher, Object loss) {
        if (!type.isInstance(teacher)) {
            throw new IllegalArgumentException(loss + " needs teacher targets of kind " + type.getSimpleName()
                    + ", got " + (teacher == null ? "none" : teacher.getClass().getSimpleName()));
        }
        return type.cast(teacher);
    }
}
