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
 * @param teacherCalibration a temperature applied to the teacher's logits alone before T, finite
 *     and &gt; 0 (1 = none): the teacher's side of the soft term is {@code softmax(z_t / (T *
 *     teacherCalibration))}, the student's stays {@code softmax(z_s / T)}; what temperature scaling
 *     on held-out rows fits ({@code org.distill4j.eval.TemperatureScaling}), so that an overconfident
 *     teacher's targets carry its held-out uncertainty
 */
public record KdParameters(double temperature, double alpha, boolean correctTeacher, double teacherCalibration) {

    /** Validates the values; the messages name the value and what is allowed. */
    public KdParameters {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException(
                    "illegal temperature value: " + temperature + ", must be a finite value > 0");
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("illegal alpha value: " + alpha + ", must be in [0, 1]");
        }
        if (!(teacherCalibration > 0) || Double.isInfinite(teacherCalibration)) {
            throw new IllegalArgumentException(
                    "illegal teacher calibration temperature: " + teacherCalibration + ", must be a finite value > 0");
        }
    }

    /** (T, alpha), with or without teacher correction, and no teacher calibration. */
    public KdParameters(double temperature, double alpha, boolean correctTeacher) {
        this(temperature, alpha, correctTeacher, 1.0);
    }

    /** (T, alpha) without teacher correction or calibration. */
    public KdParameters(double temperature, double alpha) {
        this(temperature, alpha, false);
    }

    /** These parameters with the teacher's logits divided by {@code calibration} before T. */
    public KdParameters withTeacherCalibration(double calibration) {
        return new KdParameters(temperature, alpha, correctTeacher, calibration);
    }

    /** The temperature the teacher's logits are divided by: T times the calibration. */
    public double teacherTemperature() {
        return temperature * teacherCalibration;
    }

    @Override
    public String toString() {
        // Without correction or calibration, the form that benchmark records and training
        // fingerprints have always used.
        return String.format(
                Locale.ROOT,
                "KD(T=%s, alpha=%s%s%s)",
                temperature,
                alpha,
                correctTeacher ? ", teacher corrected" : "",
                teacherCalibration == 1.0 ? "" : ", teacher calibrated: T x " + teacherCalibration);
    }
}
