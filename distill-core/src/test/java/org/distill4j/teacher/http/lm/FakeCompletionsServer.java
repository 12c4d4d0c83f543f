package org.distill4j.teacher.http.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI legacy {@code /v1/completions} scorer on loopback (JDK HTTP server) for tests: it
 * echoes a prompt of byte-level token ids with, at every position after the first, the true next
 * token at log-probability -0.5 and {@code perRow - 1} others at -2 - j, deterministically; so a
 * collection can be compared byte for byte. Faults: {@code perRow = 0} answers {@code "logprobs":
 * null}; {@link #foreignTokens} lists alternatives in another vocabulary (BPE-style strings the
 * byte tokenizer cannot map); {@link #maxContext} answers 400 to a longer prompt, as vLLM does;
 * {@link #tooManyRequests} answers 429 with {@code Retry-After}; {@link #requireKey} answers 401
 * without the bearer key. Counts requests per prompt (a 401 or 429 is not counted there).
 */
final class FakeCompletionsServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, AtomicInteger> byPrompt = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> prompts = new ConcurrentLinkedQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int perRow = 3;
    private volatile int foreignTokens;
    private volatile int maxContext = Integer.MAX_VALUE;
    private volatile long latencyMillis;
    private volatile int noLogprobsAfter = Integer.MAX_VALUE;
    private volatile boolean foreignEcho;
    private volatile int failGenerationsAfter = Integer.MAX_VALUE;
    private final AtomicInteger generations = new AtomicInteger();
    private final ConcurrentLinkedQueue<Long> times = new ConcurrentLinkedQueue<>();
    private final AtomicInteger tooManyLeft = new AtomicInteger();
    private final AtomicInteger throttled = new AtomicInteger();
    private volatile String apiKey;
    private volatile String retryAfter;

    FakeCompletionsServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "fake-completions");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/v1/chat/completions", ex -> {
            try {
                requests.incrementAndGet();
                JsonNode req = JSON.readTree(ex.getRequestBody());
                String prompt = req.path("messages").path(0).path("content").asText();
                prompts.add(prompt);
                byPrompt.computeIfAbsent(prompt, x -> new AtomicInteger()).incrementAndGet();
                ObjectNode answer = JSON.createObjectNode().put("model", "fake-bpe");
                answer.putArray("choices")
                        .addObject()
                        .putObject("message")
                        .put("role", "assistant")
                        .put("content", continuation(prompt, req.path("seed").asLong()));
                answer.putObject("usage").put("prompt_tokens", 5).put("completion_tokens", 3);
                byte[] body = JSON.writeValueAsBytes(answer);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            } finally {
                ex.close();
            }
        });
        server.createContext("/v1/completions", ex -> {
            try {
                requests.incrementAndGet();
                times.add(System.nanoTime());
                JsonNode req = JSON.readTree(ex.getRequestBody());
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                if (apiKey != null && !("Bearer " + apiKey).equals(auth)) {
                    refuse(ex, 401, null, "{\"error\":{\"message\":\"invalid API key\"}}");
                    return;
                }
                if (tooManyLeft.getAndDecrement() > 0) {
                    throttled.incrementAndGet();
                    refuse(ex, 429, retryAfter, "{\"error\":{\"message\":\"rate limited\"}}");
                    return;
                }
                if (req.get("prompt").isTextual()) {
                    generate(ex, req);
                    return;
                }
                String key = req.get("prompt").toString();
                prompts.add(key);
                byPrompt.computeIfAbsent(key, x -> new AtomicInteger()).incrementAndGet();
                if (latencyMillis > 0) {
                    Thread.sleep(latencyMillis);
                }
                int status = 200;
                byte[] body;
                if (req.get("prompt").size() > maxContext) {
                    status = 400;
                    body = ("{\"error\":{\"message\":\"This model's maximum context length is " + maxContext
                                    + " tokens. However, you requested "
                                    + req.get("prompt").size() + " tokens.\"}}")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                } else {
                    body = JSON.writeValueAsBytes(answer(req, requests.get() > noLogprobsAfter));
                }
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                ex.close();
            }
        });
        server.start();
    }

    private static void refuse(com.sun.net.httpserver.HttpExchange ex, int status, String retryAfter, String body)
            throws IOException {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        if (retryAfter != null) {
            ex.getResponseHeaders().add("Retry-After", retryAfter);
        }
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    /** Answers 401 to a completions request without {@code Authorization: Bearer key}. */
    FakeCompletionsServer requireKey(String key) {
        this.apiKey = key;
        return this;
    }

    /** Answers the next {@code n} completions requests 429 with {@code Retry-After: retryAfter}. */
    FakeCompletionsServer tooManyRequests(int n, String retryAfter) {
        this.retryAfter = retryAfter;
        this.tooManyLeft.set(n);
        return this;
    }

    /** Completions requests answered 429 so far. */
    int throttled() {
        return throttled.get();
    }

    /** When each completions request arrived ({@link System#nanoTime()}), in arrival order. */
    List<Long> requestTimes() {
        return List.copyOf(times);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    FakeCompletionsServer perRow(int n) {
        this.perRow = n;
        return this;
    }

    FakeCompletionsServer foreignTokens(int n) {
        this.foreignTokens = n;
        return this;
    }

    FakeCompletionsServer maxContext(int n) {
        this.maxContext = n;
        return this;
    }

    /** Answers {@code "logprobs": null} from the (n+1)-th request on. */
    FakeCompletionsServer noLogprobsAfter(int n) {
        this.noLogprobsAfter = n;
        return this;
    }

    /** Echoes the prompt's tokens as strings of another vocabulary ({@code "\u0120" + char}). */
    FakeCompletionsServer foreignEcho(boolean f) {
        this.foreignEcho = f;
        return this;
    }

    FakeCompletionsServer latencyMillis(long ms) {
        this.latencyMillis = ms;
        return this;
    }

    int requests() {
        return requests.get();
    }

    /** Requests per prompt (its JSON id array). */
    Map<String, Integer> requestsByPrompt() {
        Map<String, Integer> m = new java.util.HashMap<>();
        byPrompt.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    List<String> prompts() {
        return List.copyOf(prompts);
    }

    private ObjectNode answer(JsonNode req, boolean none) {
        ObjectNode answer = JSON.createObjectNode();
        ObjectNode choice = answer.putArray("choices").addObject();
        choice.put("text", "");
        JsonNode prompt = req.get("prompt");
        if (perRow == 0 || none) {
            choice.putNull("logprobs");
        } else {
            ObjectNode lp = choice.putObject("logprobs");
            ArrayNode tokens = lp.putArray("tokens");
            ArrayNode tokenLp = lp.putArray("token_logprobs");
            ArrayNode top = lp.putArray("top_logprobs");
            for (int i = 0; i < prompt.size(); i++) {
                int id = prompt.get(i).asInt();
                tokens.add(foreignEcho ? "\u0120" + token(id) : token(id));
                if (i == 0) {
                    tokenLp.addNull();
                    top.addNull();
                    continue;
                }
                tokenLp.add(-0.5);
                ObjectNode row = top.addObject();
                row.put(token(id), -0.5);
                for (int j = 1; j < perRow; j++) {
                    int other = "etaoin".charAt(j - 1) == id ? 'z' : "etaoin".charAt(j - 1);
                    row.put(token(other), -2.0 - j);
                }
                for (int j = 0; j < foreignTokens; j++) {
                    row.put("\u0120the" + j, -1.0 - j); // GPT-2 BPE style: no byte-level id
                }
            }
        }
        answer.putObject("usage").put("prompt_tokens", prompt.size()).put("total_tokens", prompt.size());
        return answer;
    }

    /**
     * A text completion: a continuation of another vocabulary's teacher (only text crosses), after
     * {@code failGenerationsAfter} successes a 500 (to interrupt a collection).
     */
    private void generate(com.sun.net.httpserver.HttpExchange ex, JsonNode req) throws IOException {
        String prompt = req.get("prompt").asText();
        prompts.add(prompt);
        byPrompt.computeIfAbsent(prompt, x -> new AtomicInteger()).incrementAndGet();
        int status = 200;
        byte[] body;
        if (generations.incrementAndGet() > failGenerationsAfter) {
            status = 500;
            body = "{\"error\":\"overloaded\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } else {
            ObjectNode answer = JSON.createObjectNode().put("model", "fake-bpe");
            answer.putArray("choices")
                    .addObject()
                    .put("text", continuation(prompt, req.path("seed").asLong()));
            answer.putObject("usage").put("prompt_tokens", 5).put("completion_tokens", 3);
            body = JSON.writeValueAsBytes(answer);
        }
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

    /** The deterministic continuation of a prompt under a seed: non-ASCII included. */
    static String continuation(String prompt, long seed) {
        return " \u00e9t\u00e9 " + seed + " after " + prompt.length() + " chars";
    }

    FakeCompletionsServer failGenerationsAfter(int n) {
        this.failGenerationsAfter = n;
        this.generations.set(0);
        return this;
    }

    static String token(int id) {
        if (id == 256) {
            return "<|bos|>";
        }
        if (id == 257) {
            return "<|eos|>";
        }
        return id < 0x80 ? String.valueOf((char) id) : String.format("bytes:\\x%02x", id);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
