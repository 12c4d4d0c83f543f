package org.distill4j.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** The optimisers a training configuration may name. */
public enum OptimizerKind {
    /** Adam with L2 weight decay added to the gradient (PyTorch's {@code Adam}). */
    ADAM,
    /** Adam with decoupled weight decay (PyTorch's {@code AdamW}). */
    ADAMW,
    /** Stochastic gradient descent with (optional) momentum and L2 weight decay. */
    SGD;

    /** The recipe spelling: lower case. */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the recipe spelling, naming the allowed values when it is unknown. */
    @JsonCreator
    public static OptimizerKind of(String id) {
        for (OptimizerKind k : values()) {
            if (k.id().equalsIgnoreCase(id)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown optimizer '" + id + "', allowed: "
                + Arrays.stream(values()).map(OptimizerKind::id).toList());
    }
}
