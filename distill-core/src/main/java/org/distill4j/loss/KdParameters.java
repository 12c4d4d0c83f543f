package org.distill4j.loss;

import java.util.Locale;

/**
 * The hyper-parameters of Hinton-style distillation, validated.
 *
 * @param temperature softmax temperature T: finite and &gt; 0 (T &gt; 1 softens, T = 1 is plain
 *     softmax)
 * @param alpha weight of the soft-target term in [0, 1]; 1 - alpha weighs the hard labels
 * @param correctTeacher whether, on a labelled row where the teacher's top class is not the label,
 *     the teacher's (tempered) probabilities of those two classes are swapped before the student
 *     learns from them: the soft target keeps the teacher's view of which classes look alike but
 *     never teaches its mistake (see {@link DistillationStep#prepare})
 */
public record KdParameters(double temperature, double alpha, boolean correctTeacher) {

    /** Validates both values; the messages name the value and what is allowed. */
    public KdParameters {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException(
                    "illegal temperature value: " + temperature + ", must be a finite value > 0");
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("illegal alpha value: " + alpha + ", must be in [0, 1]");
        }
    }

    /** (T, alpha) without teacher correction. */
    public KdParameters(double temperature, double alpha) {
        this(temperature, alpha, false);
    }

    @Override
    public String toString() {
        // Without correction, the form that benchmark records and training fingerprints have always used.
        return String.format(
                Locale.ROOT, "KD(T=%s, alpha=%s%s)", temperature, alpha, correctTeacher ? ", teacher corrected" : "");
    }
}
