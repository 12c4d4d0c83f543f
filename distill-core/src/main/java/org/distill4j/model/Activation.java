package org.distill4j.model;

import ai.djl.nn.Block;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** The non-linearities a declared architecture may use between layers. */
public enum Activation {
    /** max(0, x). */
    RELU,
    /** Hyperbolic tangent. */
    TANH,
    /** Gaussian error linear unit. */
    GELU,
    /** Logistic sigmoid. */
    SIGMOID;

    /** Returns a parameter-free DJL block applying this activation. */
    public Block block() {
        return switch (this) {
            case RELU -> ai.djl.nn.Activation.reluBlock();
            case TANH -> ai.djl.nn.Activation.tanhBlock();
            case GELU -> new ai.djl.nn.LambdaBlock(ai.djl.nn.Activation::gelu, "gelu");
            case SIGMOID -> ai.djl.nn.Activation.sigmoidBlock();
        };
    }

    /** The recipe spelling: lower case. */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the recipe spelling, naming the allowed values when it is unknown. */
    @JsonCreator
    public static Activation of(String id) {
        for (Activation a : values()) {
            if (a.id().equalsIgnoreCase(id)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + id + "', allowed: "
                + Arrays.stream(values()).map(Activation::id).toList());
    }
}
