package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated requests against a real server: valid v2 and chat requests with fields deleted, values
 * replaced by other JSON types, huge or non-finite numbers, long strings, truncated or corrupted
 * text, and odd paths and methods. Every answer must be JSON in the API's error format with a 4xx
 * status (or 200), never a 5xx, and the server must stay healthy. Fixed seed (printed; set
 * {@code -Ddistill4j.fuzz.seed} and {@code -Ddistill4j.fuzz.requests} for a longer run), bounded
 * in count and time.
 */
class HttpFuzzTest {

    static final long SEED = Long.getLong("distill4j.fuzz.seed", 20261202L);
    static final int REQUESTS = Integer.getInteger("distill4j.fuzz.requests", 400);
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    @TempDir
    static Path tmp;

    static ModelServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ModelServer.builder()
                .optPort(0)
                .optMaxRequestBytes(64 * 1024)
                .addModel(ServedSavedModel.load(
                        "dense", TestModels.dense(tmp.resolve("d"), new long[] {4}, TestModels.DENSE_CLASSES, 2)))
                .addModel(ServedSavedModel.load("sentiment", TestModels.text(tmp.resolve("t"), 5)))
                .build()
                .start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static final String[] TEMPLATES = {
        "{\"id\":\"a\",\"inputs\":[{\"name\":\"input\",\"shape\":[2,4],\"datatype\":\"FP32\","
                + "\"data\":[[1,2,3,4],[5,6,7,8]]}],\"outputs\":[{\"name\":\"probabilities\"}]}",
        "{\"inputs\":[{\"name\":\"text\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"good\",\"bad film\"]}]}",
        "{\"model\":\"sentiment\",\"messages\":[{\"role\":\"system\",\"content\":\"Classify.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"<text>fine</text>\"}]}],"
                + "\"logprobs\":true,\"top_logprobs\":2,\"stream\":false,\"temperature\":0}",
    };
    static final String[] PATHS = {"/v2/models/dense/infer", "/v2/models/sentiment/infer", "/v1/chat/completions"};

    @Test
    @Timeout(60)
    void mutatedRequestsGetJsonErrorsNever5xx() throws Exception {
        Random rnd = new Random(SEED);
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<String> failures = new ArrayList<>();
        int ok = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        int sent = 0;
        String previous = "none";
        for (; sent < REQUESTS && System.nanoTime() < deadline; sent++) {
            int t = rnd.nextInt(TEMPLATES.length);
            String path = rnd.nextInt(20) == 0 ? oddPath(rnd) : PATHS[t];
            String body = mutate(TEMPLATES[t], rnd);
            String method =
                    rnd.nextInt(25) == 0 ? new String[] {"PUT", "DELETE", "PATCH", "GET"}[rnd.nextInt(4)] : "POST";
            HttpRequest req = HttpRequest.newBuilder(server.baseUri().resolve(path))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", rnd.nextInt(30) == 0 ? "text/plain" : "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body))
                    .build();
            HttpResponse<String> r;
            try {
                r = client.send(req, HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                failures.add("no answer (" + e.getMessage() + ") for " + method + " " + Tensors.abbreviate(path, 80)
                        + " " + Tensors.abbreviate(body, 300) + "; the previous answer was " + previous);
                continue;
            }
            previous = r.statusCode() + " " + r.headers().map() + " to " + method + " " + Tensors.abbreviate(path, 80)
                    + " " + Tensors.abbreviate(body, 100);
            String problem = check(path, r);
            if (problem != null) {
                failures.add(problem + " for " + method + " " + Tensors.abbreviate(path, 80) + " "
                        + Tensors.abbreviate(body, 300));
            } else if (r.statusCode() == 200) {
                ok++;
            }
        }
        System.out.printf(
                "http fuzz: seed %d, %d requests, %d answered 200, %d failures%n", SEED, sent, ok, failures.size());
        assertThat(failures).as("seed %d", SEED).isEmpty();
        assertThat(sent).as("requests sent within the time budget").isGreaterThan(Math.min(REQUESTS, 100));
        HttpResponse<String> health = client.send(
                HttpRequest.newBuilder(server.baseUri().resolve("/v2/health/ready"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
    }

    /** Why the answer breaks the contract, or null if it keeps it. */
    static String check(String path, HttpResponse<String> r) {
        int status = r.statusCode();
        if (status >= 500) {
            return "status " + status + " " + Tensors.abbreviate(r.body(), 300);
        }
        if (status == 200) {
            return null;
        }
        JsonNode body;
        try {
            body = Http.JSON.readTree(r.body());
        } catch (Exception e) {
            return "status " + status + " with a body that is not JSON: " + Tensors.abbreviate(r.body(), 200);
        }
        JsonNode error = body.path("error");
        boolean openAi = ErrorBodies.isOpenAi(path) && !path.contains("%");
        boolean shaped = error.isTextual()
                || (error.isObject()
                        && error.path("message").isTextual()
                        && error.path("type").isTextual());
        if (!shaped || (openAi && status != 404 && !error.isObject())) {
            return "status " + status + " with an error body out of format: " + Tensors.abbreviate(r.body(), 200);
        }
        String message =
                error.isTextual() ? error.asText() : error.path("message").asText();
        if (message.length() > 2000) {
            return "status " + status + " with a " + message.length() + "-char message";
        }
        return null;
    }

    static String oddPath(Random rnd) {
        String[] parts = {
            "v2",
            "v1",
            "models",
            "dense",
            "infer",
            "..",
            ".",
            "%2e%2e",
            "%00",
            "versions",
            "x".repeat(300),
            "chat",
            "completions",
            "%2F",
            "ready",
            "health",
            "sentiment;x=1",
            "%25",
            "%E2%82%AC"
        };
        StringBuilder p = new StringBuilder();
        int n = 1 + rnd.nextInt(5);
        for (int i = 0; i < n; i++) {
            p.append('/').append(parts[rnd.nextInt(parts.length)]);
        }
        return p.toString();
    }

    static String mutate(String template, Random rnd) throws Exception {
        JsonNode tree = Http.JSON.readTree(template);
        int mutations = 1 + rnd.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            tree = mutateNode(tree, rnd, 0);
        }
        String text = tree.toString();
        switch (rnd.nextInt(12)) {
            case 0:
                return text.substring(0, rnd.nextInt(text.length())); // truncated
            case 1: {
                int at = rnd.nextInt(text.length());
                return text.substring(0, at) + (char) rnd.nextInt(0x3000) + text.substring(at); // a stray char
            }
            case 2:
                return text.replace("1", "NaN");
            default:
                return text;
        }
    }

    static JsonNode mutateNode(JsonNode node, Random rnd, int depth) {
        if (node.isContainerNode() && node.size() > 0 && rnd.nextInt(3) > 0 && depth < 6) {
            if (node instanceof ObjectNode o) {
                List<String> names = new ArrayList<>();
                for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                    names.add(it.next());
                }
                String name = names.get(rnd.nextInt(names.size()));
                if (rnd.nextInt(6) == 0) {
                    o.remove(name);
                } else {
                    o.set(name, mutateNode(o.get(name), rnd, depth + 1));
                }
            } else if (node instanceof ArrayNode a) {
                int i = rnd.nextInt(a.size());
                switch (rnd.nextInt(5)) {
                    case 0 -> a.remove(i);
                    case 1 -> a.add(a.get(i).deepCopy());
                    default -> a.set(i, mutateNode(a.get(i), rnd, depth + 1));
                }
            }
            return node;
        }
        return randomValue(rnd);
    }

    static JsonNode randomValue(Random rnd) {
        return switch (rnd.nextInt(12)) {
            case 0 -> F.nullNode();
            case 1 -> F.booleanNode(rnd.nextBoolean());
            case 2 -> F.numberNode(rnd.nextInt(7) - 2);
            case 3 -> F.numberNode(new java.math.BigInteger("1000000000000000000000000000000"));
            case 4 -> F.numberNode(-1e308 * 10);
            case 5 -> F.numberNode(1e-45 * rnd.nextDouble());
            case 6 -> F.textNode("y".repeat(rnd.nextInt(5000)));
            case 7 -> F.textNode("\u0000\uFFFD\uD83D\uDE00 " + rnd.nextInt());
            case 8 -> F.arrayNode();
            case 9 -> F.objectNode();
            case 10 -> F.arrayNode().add(F.arrayNode().add(1).add(2)).add(3);
            default -> F.textNode("input");
        };
    }
}
