package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

/**
 * Writes answers to Jetty responses: JSON documents, errors in the API's error body (through
 * {@link ErrorBodies}), and server-sent event streams, one flushed {@code data:} line per event.
 */
final class ReplyWriter {

    private ReplyWriter() {}

    /** Writes a 200 {@code reply}; event streams are written on the calling thread, blocking. */
    static void write(Response response, Reply reply, Callback callback) {
        if (reply instanceof Reply.Json json) {
            json(response, 200, json.body(), Map.of(), callback);
        } else if (reply instanceof Reply.Events events) {
            events(response, events, callback);
        }
    }

    /** Writes {@code e} as the API's error body for {@code path}; never blocks. */
    static void error(Response response, ApiException e, String path, Map<String, String> headers, Callback callback) {
        json(response, e.status, ErrorBodies.body(e, path), headers, callback);
    }

    static void json(Response response, int status, Object body, Map<String, String> headers, Callback callback) {
        byte[] bytes;
        try {
            bytes = ModelServer.JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            callback.failed(e);
            return;
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    /** {@code data: <json>} per event, each flushed as it is written, then {@code data: [DONE]}. */
    private static void events(Response response, Reply.Events events, Callback callback) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        try {
            for (JsonNode event : events.events()) {
                send(response, "data: " + ModelServer.JSON.writeValueAsString(event) + "\n\n");
            }
        } catch (IOException e) {
            callback.failed(e);
            return;
        }
        response.write(true, ByteBuffer.wrap("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)), callback);
    }

    private static void send(Response response, String line) throws IOException {
        try (Blocker.Callback done = Blocker.callback()) {
            response.write(false, ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)), done);
            done.block();
        }
    }
}
