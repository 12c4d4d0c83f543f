package org.distill4j.provenance;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deep, null-tolerant immutable copies of JSON-shaped values (maps, lists, scalars). Whole numbers
 * become {@code Long} and {@code Float}s become the {@code Double} they print as, so that a value
 * equals itself after a JSON round trip (Jackson reads small whole numbers back as {@code
 * Integer}).
 */
final class JsonValues {

    private JsonValues() {}

    /**
     * Copies a JSON-shaped map so that neither it nor any nested map or list can change. {@code
     * Map.copyOf} is not used because gate decisions deliberately hold {@code null} for absent
     * values, and a manifest must keep them to show the absence was recorded.
     */
    static Map<String, Object> immutableMap(Map<String, ?> map) {
        if (map == null) {
            return null;
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(k, immutableValue(v)));
        return Collections.unmodifiableMap(copy);
    }

    private static Object immutableValue(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> copy.put(String.valueOf(k), immutableValue(v)));
            return Collections.unmodifiableMap(copy);
        }
        if (value instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            l.forEach(v -> copy.add(immutableValue(v)));
            return Collections.unmodifiableList(copy);
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof java.math.BigInteger b && b.bitLength() < Long.SIZE) {
            return b.longValue();
        }
        if (value instanceof Float f) {
            return Double.parseDouble(f.toString());
        }
        return value;
    }
}
