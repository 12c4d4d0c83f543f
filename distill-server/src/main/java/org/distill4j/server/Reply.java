package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;

/** What an endpoint answers with status 200: one JSON document, or a stream of server-sent events. */
sealed interface Reply {

    /** A JSON document ({@code application/json}). */
    record Json(Object body) implements Reply {}

    /**
     * Server-sent events ({@code text/event-stream}): one {@code data: <json>} event per element,
     * then {@code data: [DONE]}, as OpenAI streams. The events may be produced lazily, as the
     * iteration reaches them (generated text); an {@link AutoCloseable} iterable is closed when the
     * stream ends, completed or not.
     */
    record Events(Iterable<JsonNode> events) implements Reply {}
}
