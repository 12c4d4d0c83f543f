package org.distill4j.terms;

import java.util.Map;
import java.util.Objects;

/** String checks shared by the records of this package; package-private on purpose. */
final class Texts {
    private Texts() {}

    static String requireNonBlank(String value, String field) {
        Objects.requireNonNull(value, field + " must not be null");
        if (value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be blank");
        }
        return value.strip();
    }

    static String orEmpty(String value) {
        return value == null ? "" : value.strip();
    }

    static void putIfPresent(Map<String, Object> map, String key, String value) {
        if (!value.isEmpty()) {
            map.put(key, value);
        }
    }
}
