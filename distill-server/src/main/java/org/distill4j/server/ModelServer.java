package org.distill4j.server;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.BindException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP server for one or more {@link ServedModel}s, on Jetty 12's core handler API: the Open
 * Inference Protocol v2 ({@code /v2/...}, as KServe and Triton speak it) for every model and an
 * OpenAI-compatible chat-completions facade ({@code /v1/...}) for text classifiers. Each model has
 * its own {@link DynamicBatcher}, so concurrent requests share forward passes. See {@code
 * docs/serving.md} for the endpoints with examples.
 *
 * <p>Lifecycle: {@link Builder#build()} loads nothing and binds nothing; {@link #start()} binds
 * the port and starts the batchers; {@link #close()} stops accepting requests, lets the batchers
 * finish their current pass, fails what is still queued and closes the models: the server owns the
 * models given to its builder. Requests are handled on a pool of {@code workerThreads} threads,
 * which wait for their batch; that pool bounds how many requests can be batched together.
 *
 * <p>Security: binds {@code 127.0.0.1} by default. With an API key, every endpoint except {@code
 * /v2/health/*} requires {@code Authorization: Bearer <key>}; the key is compared in constant time
 * and never echoed or logged. Request bodies over {@code maxRequestBytes} get 413. Requests are
 * logged at debug level (method, path, status, milliseconds), never bodies or headers.
 */
public final class ModelServer implements AutoCloseable {

    /** Hex digits of the content hash that form a model's version. */
    public static final int VERSION_CHARS = 12;

    private static final Logger LOG = LoggerFactory.getLogger(ModelServer.class);
    // Non-numeric tokens (NaN, Infinity) parse so that the error can name the field holding them.
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private final String host;
    private final int requestedPort;
    private final int workerThreads;
    private final long maxRequestBytes;
    private final byte[] apiKey;
    private final Map<String, Hosted> hosted;
    private final int batchRows;
    private final Duration maxWait;
    private final int maxQueued;
    private Server server;
    private ServerConnector connector;
    private volatile boolean ready;

    private ModelServer(Builder b) {
        this.host = b.host;
        this.requestedPort = b.port;
        this.workerThreads = b.workerThreads;
        this.maxRequestBytes = b.maxRequestBytes;
        this.apiKey = b.apiKey == null ? null : b.apiKey.getBytes(StandardCharsets.UTF_8);
        Map<String, Hosted> m = new LinkedHashMap<>();
        for (ServedModel model : b.models) {
            m.put(model.name(), new Hosted(model, null));
        }
        this.hosted = m;
        this.batchRows = b.maxBatchRows;
        this.maxWait = b.maxWait;
        this.maxQueued = b.maxQueuedRequests;
    }

    /** Returns a builder with the defaults listed on its setters. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the batchers and binds the port.
     *
     * @return this server
     * @throws IOException if the port cannot be bound (a {@link BindException}) or the server
     *     cannot start; the message names host and port. The server is then closed, models
     *     included
     * @throws IllegalStateException if already started
     */
    public synchronized ModelServer start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("server already started on port " + port());
        }
        for (Map.Entry<String, Hosted> e : hosted.entrySet()) {
            ServedModel model = e.getValue().model;
            e.setValue(new Hosted(model, new DynamicBatcher(model, batchRows, maxWait, maxQueued)));
        }
        // Jetty leases one acceptor and one selector thread from the pool and insists on at least
        // one thread beyond those; the rest handle requests. No reserved threads: handlers block.
        int threads = workerThreads + 3;
        QueuedThreadPool pool = new QueuedThreadPool(threads, Math.min(threads, 4));
        pool.setReservedThreads(0);
        pool.setName("distill-http");
        server = new Server(pool);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
        connector.setHost(host);
        connector.setPort(requestedPort);
        server.addConnector(connector);
        server.setHandler(new Router());
        try {
            server.start();
        } catch (Exception e) {
            close();
            if (rootCause(e) instanceof BindException) {
                throw new BindException("cannot listen on " + host + ":" + requestedPort
                        + ": the port is in use (or not allowed); choose another port, or 0 for any free one");
            }
            throw new IOException("cannot start the HTTP server on " + host + ":" + requestedPort + ": " + e.getMessage(), e);
        }
        ready = true;
        return this;
    }

    /** The bound port (the ephemeral one when built with port 0); -1 before {@link #start()}. */
    public int port() {
        return connector == null ? -1 : connector.getLocalPort();
    }

    /** {@code http://host:port}, the base of every endpoint. */
    public URI baseUri() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return URI.create("http://" + h + ":" + port());
    }

    /** The served models by name, in the order they were added. */
    public Map<String, ServedModel> models() {
        Map<String, ServedModel> out = new LinkedHashMap<>();
        hosted.forEach((k, v) -> out.put(k, v.model));
        return Collections.unmodifiableMap(out);
    }

    /** Batching counters of one model since {@link #start()}. */
    public DynamicBatcher.Stats stats(String model) {
        Hosted h = hosted.get(model);
        if (h == null || h.batcher == null) {
            throw new IllegalArgumentException("no started model named '" + model + "'; serving " + hosted.keySet());
        }
        return h.batcher.stats();
    }

    /** Stops the HTTP server, then the batchers, then closes the models. Idempotent. */
    @Override
    public synchronized void close() {
        ready = false;
        stopQuietly();
        for (Hosted h : hosted.values()) {
            if (h.batcher != null) {
                h.batcher.close();
                if (!h.batcher.stopped()) {
                    continue; // still in a forward pass: closing the model under it would crash natively
                }
            }
            h.model.close();
        }
    }

    private void stopQuietly() {
        if (server != null) {
            try {
                server.stop();
            } catch (Exception e) {
                LOG.warn("stopping the HTTP server failed: {}", e.toString());
            }
        }
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    /** Routes every request; writes JSON answers and errors. */
    private final class Router extends Handler.Abstract {

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            long start = System.nanoTime();
            String method = request.getMethod();
            String path = request.getHttpURI().getDecodedPath();
            boolean openAi = path.startsWith("/v1/") || path.equals("/v1");
            int status;
            Object body;
            Map<String, String> headers = new LinkedHashMap<>();
            try {
                body = route(method, path, request, headers);
                status = 200;
            } catch (ApiException e) {
                status = e.status;
                body = errorBody(e, openAi);
            } catch (RuntimeException e) {
                LOG.warn("{} {} failed", method, path, e);
                status = 500;
                body = errorBody(new ApiException(500, "internal error: " + e, null, "internal_error"), openAi);
            }
            if (status == 401) {
                headers.put("WWW-Authenticate", "Bearer");
            }
            byte[] bytes;
            try {
                bytes = JSON.writeValueAsBytes(body);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
            }
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            headers.forEach((k, v) -> response.getHeaders().put(k, v));
            response.write(true, ByteBuffer.wrap(bytes), callback);
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} {} -> {} in {} ms", method, path, status,
                        String.format(java.util.Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e6));
            }
            return true;
        }

        private Object route(String method, String path, Request request, Map<String, String> headers) {
            List<String> seg = new ArrayList<>();
            for (String s : path.split("/")) {
                if (!s.isEmpty()) {
                    seg.add(s);
                }
            }
            boolean health = seg.size() == 3 && seg.get(0).equals("v2") && seg.get(1).equals("health");
            if (!health) {
                authorize(request);
            }
            if (seg.isEmpty()) {
                throw notFound(method, path);
            }
            if (seg.get(0).equals("v2")) {
                return routeV2(method, path, seg, request, headers);
            }
            if (seg.get(0).equals("v1")) {
                return routeV1(method, path, seg, request, headers);
            }
            throw notFound(method, path);
        }

        private Object routeV2(String method, String path, List<String> seg, Request request, Map<String, String> headers) {
            int n = seg.size();
            if (n == 1) {
                allow(method, "GET", headers);
                ObjectNode o = JSON.createObjectNode();
                o.put("name", "distill4j");
                String v = ModelServer.class.getPackage().getImplementationVersion();
                o.put("version", v == null ? "dev" : v);
                o.putArray("extensions");
                return o;
            }
            if (n == 3 && seg.get(1).equals("health") && (seg.get(2).equals("live") || seg.get(2).equals("ready"))) {
                allow(method, "GET", headers);
                if (seg.get(2).equals("live")) {
                    return Map.of("live", true);
                }
                boolean ok = ready && hosted.values().stream().allMatch(h -> h.batcher.isRunning());
                if (!ok) {
                    throw new ApiException(503, "server is not ready (starting or shutting down)", null, "unavailable");
                }
                return Map.of("ready", true);
            }
            if (n >= 3 && seg.get(1).equals("models")) {
                Hosted h = hosted.get(seg.get(2));
                if (h == null) {
                    throw new ApiException(404, "unknown model '" + Tensors.abbreviate(seg.get(2))
                            + "'; this server serves " + hosted.keySet(), "model", "model_not_found");
                }
                List<String> rest = seg.subList(3, n);
                if (rest.size() >= 2 && rest.get(0).equals("versions")) {
                    if (!rest.get(1).equals(h.model.version())) {
                        throw new ApiException(404, "model '" + h.model.name() + "' has no version '"
                                + Tensors.abbreviate(rest.get(1)) + "'; it serves version " + h.model.version(),
                                "version", "version_not_found");
                    }
                    rest = rest.subList(2, rest.size());
                }
                if (rest.isEmpty()) {
                    allow(method, "GET", headers);
                    return InferenceV2.metadata(h);
                }
                if (rest.size() == 1 && rest.get(0).equals("ready")) {
                    allow(method, "GET", headers);
                    if (!ready || !h.batcher.isRunning()) {
                        throw new ApiException(503, "model '" + h.model.name() + "' is not ready", null, "unavailable");
                    }
                    return Map.of("name", h.model.name(), "ready", true);
                }
                if (rest.size() == 1 && rest.get(0).equals("infer")) {
                    allow(method, "POST", headers);
                    return InferenceV2.infer(h, readJson(request));
                }
            }
            throw notFound(method, path);
        }

        private Object routeV1(String method, String path, List<String> seg, Request request, Map<String, String> headers) {
            if (seg.size() == 2 && seg.get(1).equals("models")) {
                allow(method, "GET", headers);
                return ChatCompletions.models(hosted);
            }
            if (seg.size() == 3 && seg.get(1).equals("models")) {
                allow(method, "GET", headers);
                Hosted h = hosted.get(seg.get(2));
                if (h == null || !h.isText()) {
                    throw new ApiException(404, "The model '" + Tensors.abbreviate(seg.get(2))
                            + "' does not exist or is not a text classifier", "model", "model_not_found");
                }
                return ChatCompletions.model(h);
            }
            if (seg.size() == 3 && seg.get(1).equals("chat") && seg.get(2).equals("completions")) {
                allow(method, "POST", headers);
                JsonNode req = readJson(request);
                return ChatCompletions.complete(ChatCompletions.resolve(hosted, req), req);
            }
            throw notFound(method, path);
        }

        private void authorize(Request request) {
            if (apiKey == null) {
                return;
            }
            String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
            byte[] given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
                    ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8)
                    : new byte[0];
            if (!MessageDigest.isEqual(given, apiKey)) {
                throw new ApiException(401, auth == null
                        ? "missing API key: send the header Authorization: Bearer <key>"
                        : "invalid API key in the Authorization header (expected Bearer <key>)", null, "invalid_api_key");
            }
        }

        private JsonNode readJson(Request request) {
            String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
            if (type != null) {
                String mime = type.split(";", 2)[0].strip();
                if (!mime.equalsIgnoreCase("application/json")) {
                    throw new ApiException(415, "Content-Type " + Tensors.abbreviate(mime)
                            + " is not supported; send a JSON body with Content-Type: application/json", null,
                            "unsupported_media_type");
                }
            }
            long length = request.getLength();
            if (length > maxRequestBytes) {
                throw tooLarge(" (" + length + " bytes)");
            }
            byte[] bytes;
            // Blocking read on the handler thread (handlers here block anyway, on their batch);
            // one byte over the limit is enough to know a chunked body is too large.
            try (var in = Content.Source.asInputStream(request)) {
                bytes = in.readNBytes((int) Math.min(maxRequestBytes + 1, Integer.MAX_VALUE - 8));
            } catch (IOException e) {
                throw new ApiException(400, "cannot read the request body: " + e.getMessage(), null, "bad_request");
            }
            if (bytes.length > maxRequestBytes) {
                throw tooLarge("");
            }
            if (bytes.length == 0) {
                throw ApiException.badRequest(null, "request body is empty; expected a JSON object");
            }
            try {
                return JSON.readTree(bytes);
            } catch (JsonParseException e) {
                throw ApiException.badRequest(null, "request body is not valid JSON: " + e.getOriginalMessage()
                        + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
            } catch (IOException e) {
                throw ApiException.badRequest(null, "request body is not valid JSON: " + e.getMessage());
            }
        }

        private ApiException tooLarge(String size) {
            return new ApiException(413, "request body" + size + " exceeds the limit of " + maxRequestBytes
                    + " bytes; send fewer rows per request", null, "request_too_large");
        }

        private void allow(String method, String allowed, Map<String, String> headers) {
            if (!method.equals(allowed)) {
                headers.put("Allow", allowed);
                throw new ApiException(405, "method " + method + " is not allowed here; use " + allowed, null,
                        "method_not_allowed");
            }
        }

        private ApiException notFound(String method, String path) {
            return new ApiException(404, "no endpoint " + method + " " + Tensors.abbreviate(path)
                    + "; see /v2, /v2/models/{name}, /v2/models/{name}/infer, /v1/chat/completions", null, "not_found");
        }

        private Object errorBody(ApiException e, boolean openAi) {
            ObjectNode o = JSON.createObjectNode();
            if (!openAi) {
                o.put("error", e.getMessage());
                return o;
            }
            ObjectNode err = o.putObject("error");
            err.put("message", e.getMessage());
            err.put("type", e.status == 401 ? "authentication_error"
                    : e.status >= 500 ? "server_error" : "invalid_request_error");
            if (e.param == null) {
                err.putNull("param");
            } else {
                err.put("param", e.param);
            }
            if (e.code == null) {
                err.putNull("code");
            } else {
                err.put("code", e.code);
            }
            return o;
        }
    }

    /**
     * Configures a {@link ModelServer}. Defaults: host {@code 127.0.0.1}, port 8080, max batch rows
     * 64, max wait 2 ms, 16 worker threads, 1024 queued requests per model, 16 MiB request bodies,
     * no API key.
     */
    public static final class Builder {

        private String host = "127.0.0.1";
        private int port = 8080;
        private final List<ServedModel> models = new ArrayList<>();
        private int maxBatchRows = 64;
        private Duration maxWait = Duration.ofMillis(2);
        private int workerThreads = 16;
        private int maxQueuedRequests = 1024;
        private long maxRequestBytes = 16L << 20;
        private String apiKey;

        private Builder() {}

        /** Host or address to bind; {@code 0.0.0.0} for every interface. */
        public Builder optHost(String host) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("illegal host: '" + host + "', must be a host name or address");
            }
            this.host = host;
            return this;
        }

        /** Port to bind, in [0, 65535]; 0 picks a free one (see {@link ModelServer#port()}). */
        public Builder optPort(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("illegal port: " + port + ", must be in [0, 65535] (0 = any free port)");
            }
            this.port = port;
            return this;
        }

        /** Adds a model, served under {@link ServedModel#name()}; the server will close it. */
        public Builder addModel(ServedModel model) {
            for (ServedModel m : models) {
                if (m.name().equals(model.name())) {
                    throw new IllegalArgumentException("duplicate model name '" + model.name()
                            + "'; every served model needs its own name");
                }
            }
            models.add(model);
            return this;
        }

        /** Most rows in one forward pass and in one request, in [1, 65536]. */
        public Builder optMaxBatchRows(int rows) {
            if (rows < 1 || rows > 65_536) {
                throw new IllegalArgumentException("illegal max batch rows: " + rows + ", must be in [1, 65536]");
            }
            this.maxBatchRows = rows;
            return this;
        }

        /** Longest wait for more requests once a batch has its first, in [0, 1 s]. */
        public Builder optMaxWait(Duration wait) {
            if (wait.isNegative() || wait.compareTo(Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("illegal max wait: " + wait.toMillis() + " ms, must be in [0, 1000] ms");
            }
            this.maxWait = wait;
            return this;
        }

        /** Threads that handle requests, in [1, 1024]; also the most requests in flight at once. */
        public Builder optWorkerThreads(int threads) {
            if (threads < 1 || threads > 1024) {
                throw new IllegalArgumentException("illegal worker threads: " + threads + ", must be in [1, 1024]");
            }
            this.workerThreads = threads;
            return this;
        }

        /** Requests that may wait for a model before new ones get 503, at least 1. */
        public Builder optMaxQueuedRequests(int requests) {
            if (requests < 1) {
                throw new IllegalArgumentException("illegal max queued requests: " + requests + ", must be at least 1");
            }
            this.maxQueuedRequests = requests;
            return this;
        }

        /** Largest request body in bytes, in [1 KiB, 1 GiB]; larger ones get 413. */
        public Builder optMaxRequestBytes(long bytes) {
            if (bytes < 1024 || bytes > (1L << 30)) {
                throw new IllegalArgumentException("illegal max request bytes: " + bytes + ", must be in [1024, 2^30]");
            }
            this.maxRequestBytes = bytes;
            return this;
        }

        /**
         * Requires {@code Authorization: Bearer <key>} on every endpoint but health; null for none.
         * The key itself never appears in a message.
         */
        public Builder optApiKey(String key) {
            if (key != null && (key.isBlank() || !key.strip().equals(key))) {
                throw new IllegalArgumentException("illegal API key: must be non-empty without surrounding whitespace");
            }
            this.apiKey = key;
            return this;
        }

        /** Builds the server (not started: see {@link ModelServer#start()}); needs at least one model. */
        public ModelServer build() {
            if (models.isEmpty()) {
                throw new IllegalArgumentException("a model server needs at least one model; call addModel");
            }
            return new ModelServer(this);
        }
    }
}
