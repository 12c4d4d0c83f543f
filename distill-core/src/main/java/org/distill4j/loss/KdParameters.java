package org.distill4j.loss;

import java.util.Locale;

/**
 * The two hyper-parameters of Hinton-style distillation, validated.
 *
 * @param temperature softmax temperature T: finite and &gt; 0 (T &gt; 1 softens, T = 1 is plain
 *     softmax)
 * @param alpha weight of the soft-target term in [0, 1]; 1 - alpha weighs the hard labels
 */
public record KdParameters(double temperature, double alpha) {

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

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "KD(T=%s, alpha=%s)", temperature, alpha);
    }
}
