package org.distill4j.terms;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a teacher's terms say about using its outputs to train another model. The YAML spelling is
 * the lower-case constant name ({@link #yamlValue()}); registry files use the first four.
 */
public enum OutputsForTraining {
    /** Permitted; at most notices are owed. */
    ALLOWED,
    /** Permitted if the listed conditions are met. */
    CONDITIONAL,
    /** Forbidden unless the rights holder has given permission. */
    PROHIBITED,
    /** Nobody has recorded what the terms say; treated as a refusal unless acknowledged. */
    UNKNOWN,
    /**
     * The teacher is the user's own model, trained by them on their own data: no third party's
     * terms apply. Never read from a registry file; only {@link GateRequest#ownModel} asks for it.
     */
    OWN_MODEL;

    /** The spelling used in registry files, e.g. {@code conditional}. */
    public String yamlValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a registry spelling; empty when the value is not one of {@link #allowedValues()}. */
    public static Optional<OutputsForTraining> fromYaml(String value) {
        return Arrays.stream(values())
                .filter(v -> v != OWN_MODEL && v.yamlValue().equals(value))
                .findFirst();
    }

    /** The accepted spellings, comma-separated, for error messages. */
    public static String allowedValues() {
        return Arrays.stream(values())
                .filter(v -> v != OWN_MODEL)
                .map(OutputsForTraining::yamlValue)
                .collect(Collectors.joining(", "));
    }
}
