package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests Jetty refuses before the router sees them (issue 14.9): a malformed request line, a URI
 * too long, headers too large. Each answer is JSON in the API's error format, never Jetty's HTML
 * page, and nothing the client sent is echoed at length.
 */
class ErrorPagesTest {

    @TempDir
    static Path tmp;

    static ModelServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ModelServer.builder()
                .optPort(0)
                .addModel(ServedSavedModel.load("sentiment", TestModels.text(tmp.resolve("text"), 5)))
                .build()
                .start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The status line and the body of the answer to raw {@code request} bytes. */
    record Raw(int status, String head, String body) {
        JsonNode json() throws IOException {
            return Http.JSON.readTree(body);
        }
    }

    static Raw send(String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            s.setSoTimeout(5000);
            try {
                s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
            } catch (IOException e) {
                // The server may answer and close before reading everything: read what it said.
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    String sofar = out.toString(StandardCharsets.UTF_8);
                    int end = sofar.indexOf("\r\n\r\n");
                    if (end > 0 && contentLength(sofar) >= 0 && out.size() >= end + 4 + contentLength(sofar)) {
                        break;
                    }
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // What arrived is the answer.
            }
            String text = out.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            assertThat(end).as("an HTTP answer: " + text).isPositive();
            String head = text.substring(0, end);
            return new Raw(Integer.parseInt(head.substring(9, 12)), head, text.substring(end + 4));
        }
    }

    static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                return Integer.parseInt(line.substring(15).strip());
            }
        }
        return -1;
    }

    @Test
    void malformedRequestLineIsJson400() throws Exception {
        Raw r = send("THIS IS NOT HTTP\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.head()).containsIgnoringCase("Content-Type: application/json");
        assertThat(r.json().path("error").asText()).startsWith("bad request");
        Raw header = send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n");
        assertThat(header.status()).isEqualTo(400);
        assertThat(header.json().path("error").asText()).startsWith("bad request");
    }

    @Test
    void aOneMegabytePathIsJson414WithoutTheEcho() throws Exception {
        String longPath = "/v2/models/" + "m".repeat(1 << 20) + "/infer";
        Raw r = send("GET " + longPath + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r.status()).isEqualTo(414);
        assertThat(r.head()).containsIgnoringCase("Content-Type: application/json");
        assertThat(r.json().path("error").asText()).contains("URI is too long", "8192 bytes");
        assertThat(r.body().length()).isLessThan(600);
    }

    @Test
    void headersTooLargeAreJson431() throws Exception {
        Raw r = send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(431);
        assertThat(r.head()).containsIgnoringCase("Content-Type: application/json");
        assertThat(r.json().path("error").asText()).contains("headers are too large", "8192 bytes");
        assertThat(r.body().length()).isLessThan(600);
    }

    @Test
    void aRefusalBeforeTheBodyIsReadSaysConnectionCloseAndOnlyThen() throws Exception {
        Raw get = send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(get.status()).isEqualTo(404);
        assertThat(get.head()).doesNotContainIgnoringCase("Connection: close");
        Raw post = send(
                "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(post.status()).isEqualTo(404);
        assertThat(post.head()).containsIgnoringCase("Connection: close");
        Raw jetty = send("POST /v2/%00 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(jetty.status()).isEqualTo(400);
        assertThat(jetty.head()).containsIgnoringCase("Connection: close");
        assertThat(jetty.json().path("error").asText()).isNotEmpty();
        Raw put = send("PUT /v2/%00 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        assertThat(put.status()).isEqualTo(400);
        assertThat(put.json().path("error").asText())
                .as("a JSON body for every method")
                .isNotEmpty();
    }

    @Test
    void aOneMegabyteModelNameInABodyIsTruncatedWithItsLength() throws Exception {
        String name = "x".repeat(1 << 20);
        String chat = "{\"model\":\"" + name + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        Http.Reply r = new Http(server.baseUri()).post("/v1/chat/completions", chat);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body().at("/error/param").asText()).isEqualTo("model");
        assertThat(r.error()).contains("xxx...", "(" + (1 << 20) + " chars)").hasSizeLessThan(300);
        String infer =
                "{\"inputs\":[{\"name\":\"" + name + "\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"a\"]}]}";
        Http.Reply v2 = new Http(server.baseUri()).post("/v2/models/sentiment/infer", infer);
        assertThat(v2.status()).isEqualTo(400);
        assertThat(v2.error()).contains("(" + (name.length() + 2) + " chars)").hasSizeLessThan(300);
    }
}
