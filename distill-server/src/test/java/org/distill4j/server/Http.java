package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A JDK HttpClient against one server, returning status, headers and the parsed JSON body. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One answer. */
    record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        String error() {
            return body.path("error").isTextual()
                    ? body.path("error").asText()
                    : body.path("error").path("message").asText();
        }
    }

    private final URI base;

    Http(URI base) {
        this.base = base;
    }

    Reply get(String path, String... headers) throws IOException, InterruptedException {
        return send(request(path, headers).GET().build());
    }

    Reply post(String path, String json, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(path, headers).POST(HttpRequest.BodyPublishers.ofString(json));
        if (headers.length == 0) {
            b.header("Content-Type", "application/json");
        }
        return send(b.build());
    }

    Reply post(String path, JsonNode body) throws IOException, InterruptedException {
        return post(path, JSON.writeValueAsString(body));
    }

    Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body = r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
        return new Reply(r.statusCode(), body, r);
    }

    HttpRequest.Builder request(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }
}
