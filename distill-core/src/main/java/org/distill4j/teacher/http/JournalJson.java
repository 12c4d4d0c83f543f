package org.distill4j.teacher.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON mapper of this package: reads NaN and Infinity (Python servers write them) so they can
 * be rejected by name.
 */
final class JournalJson {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private JournalJson() {}

    /** Returns the parser's own message for a JSON error, without the source excerpt Jackson appends. */
    static String describe(java.io.IOException e) {
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    }

    /** Returns a text or number field as text, "" when it is missing or null. */
    static String text(com.fasterxml.jackson.databind.JsonNode n) {
        return n != null && (n.isTextual() || n.isNumber()) ? n.asText() : "";
    }

    /** Returns the compact JSON of a value built from maps, lists, strings and numbers. */
    static String canonical(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }
}
