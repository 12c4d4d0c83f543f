package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** What an endpoint answers with status 200: one JSON document, or a stream of server-sent events. */
sealed interface Reply {

    /** A JSON document ({@code application/json}). */
    record Json(Object body) implements Reply {}

    /**
     * Server-sent events ({@code text/event-stream}): one {@code data: <json>} event per element,
     * then {@code data: [DONE]}, as OpenAI streams.
     */
    record Events(List<JsonNode> events) implements Reply {}
}
