package org.distill4j.teacher.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.io.Hashing;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real HTTP teacher on loopback (Jetty, core handler API) for tests: answers Open Inference v2
 * ({@code /v2/models/{m}/infer}) and OpenAI chat completions ({@code /v1/chat/completions})
 * deterministically from each item, requires a bearer key, counts requests per item and injects
 * faults on a per-item schedule.
 *
 * <p>An item's id is its text (text inputs, or the text inside the last {@code <text>...</text>}
 * of a chat prompt) or {@code f:} + {@link Arrays#toString(float[])} of its features. Its logits
 * are {@link #logits(String, int)}: a hash of the id, so tests can compute the expected outputs.
 * Chat answers tokenise each label as its first three characters plus the rest (tests use labels
 * whose first three characters differ), list {@code " " + first piece} for every label with log
 * probability log(0.98 * softmax(logits)) plus an outside token {@code " The"} with log 0.02, and
 * generate the most likely label; so the soft label extracted is exactly softmax(logits).
 */
final class FakeTeacherServer implements AutoCloseable {

    /** A fault injected into one response. */
    enum Fault {
        /** 429 with {@code Retry-After: <retryAfter>}. */
        RATE_LIMIT,
        /** 500. */
        ERROR_500,
        /** 503. */
        ERROR_503,
        /** A normal answer after {@link #slowMillis}. */
        SLOW,
        /** Headers with the full Content-Length, half the body, then the connection is aborted. */
        CUT_BODY,
        /** 200 with a body that is not JSON. */
        BAD_JSON,
        /** NaN in this item's values (v2) or first log-probability (chat). */
        NAN,
        /** v2: output shape [B, C+1]; chat: no choices. */
        WRONG_SHAPE,
        /** Chat: no label among the listed tokens. */
        NO_LABEL,
        /** Chat: the answer is mostly no label (" The" 0.75), the best label listed at 0.2. */
        MOSTLY_OUTSIDE,
        /** v2 probabilities: a row that does not sum to 1. */
        BAD_PROBABILITIES,
        /** 400 whose body echoes the Authorization header (as some servers do). */
        ECHO_KEY_400
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final String key;
    private final List<String> labels;
    private final Map<String, Deque<Fault>> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requestsByItem = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> successByItem = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> responses = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Arrival> arrivals = new ConcurrentLinkedQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile boolean probabilities;
    private volatile long slowMillis = 1500;
    private volatile long latencyMillis;
    private volatile String retryAfter = "1";
    private volatile boolean omitLogprobs;
    private volatile boolean ignoreN;
    private final ConcurrentLinkedQueue<JsonNode> chatRequests = new ConcurrentLinkedQueue<>();

    /** One request's arrival: when (System.nanoTime) and for which items. */
    record Arrival(long nanos, List<String> items) {}

    /**
     * Starts the server on 127.0.0.1, on a free port.
     *
     * @param key the bearer key it requires
     * @param labels the class names, in class order
     */
    FakeTeacherServer(String key, List<String> labels) throws Exception {
        this.key = key;
        this.labels = List.copyOf(labels);
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("fake-teacher");
        server = new Server(pool);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                FakeTeacherServer.this.handle(request, response, callback);
                return true;
            }
        });
        server.start();
    }

    /** Returns {@code http://127.0.0.1:<port>}. */
    String baseUrl() {
        return "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    /** Queues faults for an item: its next requests get them in order, then normal answers. */
    FakeTeacherServer fault(String item, Fault... fs) {
        faults.computeIfAbsent(item, k -> new ArrayDeque<>()).addAll(Arrays.asList(fs));
        return this;
    }

    /** Makes v2 answers probabilities (softmax of the logits) instead of logits. */
    FakeTeacherServer probabilities(boolean p) {
        this.probabilities = p;
        return this;
    }

    /** Sets the delay of {@link Fault#SLOW} answers. */
    FakeTeacherServer slowMillis(long ms) {
        this.slowMillis = ms;
        return this;
    }

    /** Sets a delay before every answer. */
    FakeTeacherServer latencyMillis(long ms) {
        this.latencyMillis = ms;
        return this;
    }

    /** Sets the {@code Retry-After} value of {@link Fault#RATE_LIMIT} answers. */
    FakeTeacherServer retryAfter(String value) {
        this.retryAfter = value;
        return this;
    }

    /**
     * Makes chat answers carry no log-probabilities, as servers that do not serve them (they answer
     * {@code "logprobs": null}). Chat answers also carry none when the request did not ask for them.
     */
    FakeTeacherServer omitLogprobs(boolean omit) {
        this.omitLogprobs = omit;
        return this;
    }

    /** Makes chat answers ignore {@code n} (one choice whatever is asked), as many servers do. */
    FakeTeacherServer ignoreN(boolean ignore) {
        this.ignoreN = ignore;
        return this;
    }

    /** The chat request bodies received, in arrival order. */
    List<JsonNode> chatRequests() {
        return new ArrayList<>(chatRequests);
    }

    /** Requests received (any path, any outcome). */
    int requests() {
        return requests.get();
    }

    /** Requests that carried this item. */
    int requestsFor(String item) {
        AtomicInteger n = requestsByItem.get(item);
        return n == null ? 0 : n.get();
    }

    /** Well-formed 200 answers fully written for this item. */
    int successesFor(String item) {
        AtomicInteger n = successByItem.get(item);
        return n == null ? 0 : n.get();
    }

    /** Snapshot of the successes per item. */
    Map<String, Integer> successes() {
        Map<String, Integer> m = new java.util.HashMap<>();
        successByItem.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Responses by what was sent: a status code, {@code cut} or {@code slow}. */
    int responses(String what) {
        AtomicInteger n = responses.get(what);
        return n == null ? 0 : n.get();
    }

    /** Arrivals in order. */
    List<Arrival> arrivals() {
        return new ArrayList<>(arrivals);
    }

    /** The deterministic logits of an item: each in [-4, 4), from a hash of the id and the class. */
    static float[] logits(String item, int classes) {
        float[] l = new float[classes];
        for (int c = 0; c < classes; c++) {
            int h = Integer.parseInt(Hashing.sha256(item + "#" + c).substring(0, 4), 16);
            l[c] = h / 65536f * 8 - 4;
        }
        return l;
    }

    /** Returns log softmax of {@link #logits}: what the chat and v2-probability answers carry. */
    static double[] logSoftmax(String item, int classes) {
        float[] l = logits(item, classes);
        double max = Double.NEGATIVE_INFINITY;
        for (float x : l) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : l) {
            sum += Math.exp(x - max);
        }
        double[] out = new double[classes];
        for (int c = 0; c < classes; c++) {
            out[c] = l[c] - max - Math.log(sum);
        }
        return out;
    }

    private void count(String what) {
        responses.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    private void handle(Request request, Response response, Callback callback) throws Exception {
        requests.incrementAndGet();
        String body = Content.Source.asString(request, StandardCharsets.UTF_8);
        String path = request.getHttpURI().getPath();
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        boolean chat = path.endsWith("/v1/chat/completions");
        JsonNode req = JSON.readTree(body);
        List<String> items = chat ? List.of(chatItem(req)) : v2Items(req);
        if (chat) {
            chatRequests.add(req);
        }
        arrivals.add(new Arrival(System.nanoTime(), items));
        for (String it : items) {
            requestsByItem.computeIfAbsent(it, k -> new AtomicInteger()).incrementAndGet();
        }
        if (!("Bearer " + key).equals(auth)) {
            // Echo what was sent, as careless servers do: the client must scrub it.
            send(response, callback, 401, "{\"error\":\"invalid key, got Authorization: " + auth + "\"}");
            return;
        }
        Fault fault = null;
        String faulty = null;
        for (String it : items) {
            Deque<Fault> q = faults.get(it);
            if (q != null) {
                synchronized (q) {
                    if (!q.isEmpty()) {
                        fault = q.poll();
                        faulty = it;
                        break;
                    }
                }
            }
        }
        if (latencyMillis > 0) {
            Thread.sleep(latencyMillis);
        }
        if (fault == Fault.RATE_LIMIT) {
            response.getHeaders().put("Retry-After", retryAfter);
            send(response, callback, 429, "{\"error\":\"slow down\"}");
            return;
        } else if (fault == Fault.ERROR_500 || fault == Fault.ERROR_503) {
            send(response, callback, fault == Fault.ERROR_500 ? 500 : 503, "{\"error\":\"oops\"}");
            return;
        } else if (fault == Fault.ECHO_KEY_400) {
            send(response, callback, 400, "{\"error\":\"bad request from client with Authorization: " + auth + "\"}");
            return;
        } else if (fault == Fault.BAD_JSON) {
            send(response, callback, 200, "{\"outputs\": [ {\"name\": \"logits\", ");
            return;
        }
        String answer = chat ? chatAnswer(req, items.get(0), fault) : v2Answer(req, items, fault, faulty);
        String faultyItem = faulty;
        if (fault == Fault.SLOW) {
            count("slow");
            Thread.sleep(slowMillis);
            response.setStatus(200);
            Content.Sink.write(response, true, answer, callback);
            return;
        }
        if (fault == Fault.CUT_BODY) {
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            Callback.Completable half = new Callback.Completable();
            response.write(false, ByteBuffer.wrap(bytes, 0, bytes.length / 2), half);
            half.get();
            count("cut");
            request.getConnectionMetaData().getConnection().getEndPoint().close();
            callback.failed(new java.io.IOException("connection cut by the test server"));
            return;
        }
        // Items answered well: all, or all but the one a per-item fault spoiled.
        List<String> good = fault == null
                ? items
                : fault == Fault.NAN && !chat || fault == Fault.BAD_PROBABILITIES
                        ? items.stream().filter(it -> !it.equals(faultyItem)).toList()
                        : List.of();
        Callback counting = Callback.from(
                () -> {
                    for (String it : good) {
                        successByItem
                                .computeIfAbsent(it, k -> new AtomicInteger())
                                .incrementAndGet();
                    }
                    callback.succeeded();
                },
                callback::failed);
        send(response, counting, 200, answer);
    }

    private void send(Response response, Callback callback, int status, String body) {
        count(Integer.toString(status));
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body, callback);
    }

    private static String chatItem(JsonNode req) {
        String content = req.path("messages").path(0).path("content").asText();
        int start = content.lastIndexOf("<text>\n");
        int end = content.lastIndexOf("\n</text>");
        return start >= 0 && end > start ? content.substring(start + 7, end) : content;
    }

    private static List<String> v2Items(JsonNode req) {
        JsonNode in = req.path("inputs").path(0);
        List<String> items = new ArrayList<>();
        int b = in.path("shape").path(0).asInt();
        JsonNode data = in.path("data");
        if ("BYTES".equals(in.path("datatype").asText())) {
            for (JsonNode t : data) {
                items.add(t.asText());
            }
        } else {
            int per = data.size() / b;
            for (int i = 0; i < b; i++) {
                float[] row = new float[per];
                for (int j = 0; j < per; j++) {
                    row[j] = (float) data.get(i * per + j).asDouble();
                }
                items.add("f:" + Arrays.toString(row));
            }
        }
        return items;
    }

    private String v2Answer(JsonNode req, List<String> items, Fault fault, String faulty) throws Exception {
        int c = labels.size();
        int cols = fault == Fault.WRONG_SHAPE ? c + 1 : c;
        ObjectNode root = JSON.createObjectNode();
        root.put("model_name", "fake")
                .put("model_version", "7")
                .put("id", req.path("id").asText());
        ObjectNode out = root.putArray("outputs").addObject();
        out.put("name", "logits").put("datatype", "FP32");
        out.putArray("shape").add(items.size()).add(cols);
        ArrayNode data = out.putArray("data");
        boolean nan = false;
        for (String it : items) {
            double[] v = new double[cols];
            if (probabilities) {
                double[] lp = logSoftmax(it, c);
                for (int j = 0; j < c; j++) {
                    v[j] = Math.exp(lp[j]);
                }
            } else {
                float[] l = logits(it, c);
                for (int j = 0; j < c; j++) {
                    v[j] = l[j];
                }
            }
            if (it.equals(faulty) && fault == Fault.BAD_PROBABILITIES) {
                v[0] += 0.5;
            }
            for (int j = 0; j < cols; j++) {
                if (it.equals(faulty) && fault == Fault.NAN && j == 0) {
                    data.add("__NAN__");
                    nan = true;
                } else {
                    data.add((float) v[j]);
                }
            }
        }
        String s = JSON.writeValueAsString(root);
        return nan ? s.replace("\"__NAN__\"", "NaN") : s;
    }

    private String chatAnswer(JsonNode req, String item, Fault fault) throws Exception {
        int k = req.path("top_logprobs").asInt(20);
        int c = labels.size();
        double[] lp = logSoftmax(item, c);
        List<Object[]> top = new ArrayList<>();
        int best = 0;
        for (int j = 0; j < c; j++) {
            top.add(new Object[] {" " + first(labels.get(j)), Math.log(0.98) + lp[j]});
            best = lp[j] > lp[best] ? j : best;
        }
        top.add(new Object[] {" The", Math.log(0.02)});
        String label = labels.get(best);
        String generated = " " + first(label);
        double generatedLp = Math.log(0.98) + lp[best];
        if (fault == Fault.NO_LABEL) {
            top.clear();
            top.add(new Object[] {" The", Math.log(0.6)});
            top.add(new Object[] {" I", Math.log(0.3)});
            generated = " The";
            generatedLp = Math.log(0.6);
        }
        if (fault == Fault.MOSTLY_OUTSIDE) {
            top.clear();
            top.add(new Object[] {" The", Math.log(0.75)});
            top.add(new Object[] {" " + first(label), Math.log(0.2)});
            generated = " The";
            generatedLp = Math.log(0.75);
        }
        top.sort((a, b) -> Double.compare((double) b[1], (double) a[1]));
        ObjectNode root = JSON.createObjectNode();
        root.put("id", "chatcmpl-1")
                .put("object", "chat.completion")
                .put("model", req.path("model").asText())
                .put("system_fingerprint", "fp_fake_1");
        ArrayNode choices = root.putArray("choices");
        int n = req.path("n").asInt(1);
        if (n > 1 && fault == null) {
            return sampledAnswer(req, root, item, ignoreN ? 1 : n);
        }
        boolean noLabelAnswer = fault == Fault.NO_LABEL || fault == Fault.MOSTLY_OUTSIDE;
        String completion = noLabelAnswer ? "The answer" : " " + label;
        if (fault != Fault.WRONG_SHAPE) {
            ObjectNode choice = choices.addObject();
            choice.put("index", 0).put("finish_reason", "stop");
            choice.putObject("message").put("role", "assistant").put("content", completion);
            if (omitLogprobs || !req.path("logprobs").asBoolean(false)) {
                choice.putNull("logprobs");
            }
            ArrayNode content = omitLogprobs || !req.path("logprobs").asBoolean(false)
                    ? JSON.createArrayNode()
                    : choice.putObject("logprobs").putArray("content");
            ObjectNode t0 = content.addObject();
            t0.put("token", generated);
            if (fault == Fault.NAN) {
                t0.put("logprob", "__NAN__");
            } else {
                t0.put("logprob", generatedLp);
            }
            t0.putNull("bytes");
            ArrayNode tl = t0.putArray("top_logprobs");
            for (int i = 0; i < Math.min(k, top.size()); i++) {
                tl.addObject().put("token", (String) top.get(i)[0]).put("logprob", (double) top.get(i)[1]);
            }
            String rest =
                    noLabelAnswer ? " answer" : label.substring(first(label).length());
            if (!rest.isEmpty()) {
                ObjectNode t1 = content.addObject();
                t1.put("token", rest).put("logprob", 0.0).putNull("bytes");
                t1.putArray("top_logprobs").addObject().put("token", rest).put("logprob", 0.0);
            }
        }
        String prompt = req.path("messages").path(0).path("content").asText();
        root.putObject("usage")
                .put("prompt_tokens", prompt.length() / 4)
                .put("completion_tokens", 2)
                .put("total_tokens", prompt.length() / 4 + 2);
        String s = JSON.writeValueAsString(root);
        return s.replace("\"__NAN__\"", "NaN");
    }

    /**
     * {@code n} completions sampled at temperature 1 from softmax({@link #logits}), seeded by the
     * item (the same item gets the same samples): each names its label ("Positive." style), except
     * that one in 20 answers "I cannot tell" (no label). No log-probabilities.
     */
    private String sampledAnswer(JsonNode req, ObjectNode root, String item, int n) throws Exception {
        int c = labels.size();
        double[] lp = logSoftmax(item, c);
        java.util.SplittableRandom rng =
                new java.util.SplittableRandom(Hashing.sha256(item).hashCode());
        ArrayNode choices = (ArrayNode) root.get("choices");
        for (int i = 0; i < n; i++) {
            String answer;
            if (rng.nextInt(20) == 0) {
                answer = "I cannot tell";
            } else {
                double u = rng.nextDouble();
                int pick = c - 1;
                for (int j = 0; j < c; j++) {
                    u -= Math.exp(lp[j]);
                    if (u < 0) {
                        pick = j;
                        break;
                    }
                }
                String l = labels.get(pick);
                answer = Character.toUpperCase(l.charAt(0)) + l.substring(1) + ".";
            }
            ObjectNode choice = choices.addObject();
            choice.put("index", i).put("finish_reason", "stop");
            choice.putObject("message").put("role", "assistant").put("content", answer);
            choice.putNull("logprobs");
        }
        String prompt = req.path("messages").path(0).path("content").asText();
        root.putObject("usage")
                .put("prompt_tokens", prompt.length() / 4)
                .put("completion_tokens", 2 * n)
                .put("total_tokens", prompt.length() / 4 + 2 * n);
        return JSON.writeValueAsString(root);
    }

    private static String first(String label) {
        return label.substring(0, Math.min(3, label.length()));
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
