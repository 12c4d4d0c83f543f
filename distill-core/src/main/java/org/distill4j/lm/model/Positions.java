package org.distill4j.lm.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a decoder knows where a token is. */
public enum Positions {
    /** A learned (contextLength, C) table added to the token embeddings (GPT-2). */
    LEARNED,
    /** Rotary embeddings applied to queries and keys in every attention layer (RoFormer); no parameters. */
    ROTARY;

    /** Returns the recipe / model.json name, lower case. */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code learned} or {@code rotary}. */
    @JsonCreator
    public static Positions of(String id) {
        for (Positions p : values()) {
            if (p.id().equalsIgnoreCase(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown positions '" + id + "', expected learned or rotary");
    }
}
