package org.distill4j.server;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.BindException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.lm.model.Generator;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
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
 * <p>Security: binds {@code 127.0.0.1} by default. With API keys, every endpoint except {@code
 * /v2/health/*} and {@code /admin/*} requires {@code Authorization: Bearer <key>} with one of them;
 * keys are compared in constant time and never echoed or logged, and the hooks see a client by its
 * key's fingerprint. {@code /admin/*} (the extraction monitor's status) requires the admin key,
 * which is never a client key, and is off without one. Request bodies are read without holding a thread while they arrive
 * ({@link BodyReader}); over {@code maxRequestBytes} they get 413, slower than {@code
 * minRequestDataRate} or incomplete after {@code requestBodyTimeout} they get 408. Connections idle
 * for {@code idleTimeout} are closed, and so are those whose headers are not complete within {@code
 * headerTimeout} ({@link HeaderDeadline}); beyond {@code maxConnections} new ones wait in the OS backlog.
 * Request line and headers are limited to {@code maxHeaderBytes} (414 / 431). Every error, Jetty's
 * own included, is JSON in the API's error format ({@link ErrorBodies}).
 *
 * <p>Seams: a {@link RequestObserver} sees every request (per client) before it reaches a model,
 * an {@link OutputFilter} sees the logits where they leave it (see {@link Hosted}).
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
    private final ApiKey apiKey;
    private final BodyReader.Limits limits;
    private final Duration idleTimeout;
    private final Duration headerTimeout;
    private final int maxConnections;
    private final int maxHeaderBytes;
    private final RequestObserver observer;
    private final OutputFilter filter;
    private final ServedQueryLog queryLog;
    private final java.util.function.Supplier<? extends Object> monitorStatus;
    private final Map<String, Hosted> hosted;
    private final List<ServedLanguageModel> languageModels;
    private final Map<String, LmHost> lms = new LinkedHashMap<>();
    private final int batchRows;
    private final Duration maxWait;
    private final int maxQueued;
    private final Generator.Engine lmEngine;
    private Server server;
    private ServerConnector connector;
    private volatile boolean ready;

    private ModelServer(Builder b) {
        this.host = b.host;
        this.requestedPort = b.port;
        this.workerThreads = b.workerThreads;
        this.maxRequestBytes = b.maxRequestBytes;
        this.apiKey = new ApiKey(b.apiKeys, b.adminKey);
        this.monitorStatus = b.monitorStatus;
        this.limits = new BodyReader.Limits(b.maxRequestBytes, b.minRequestDataRate, b.requestBodyTimeout);
        this.idleTimeout = b.idleTimeout;
        this.headerTimeout = b.headerTimeout;
        this.maxConnections = b.maxConnections;
        this.maxHeaderBytes = b.maxHeaderBytes;
        this.observer = b.observer;
        this.filter = b.filter;
        this.queryLog = b.queryLog;
        Map<String, Hosted> m = new LinkedHashMap<>();
        for (ServedModel model : b.models) {
            m.put(model.name(), new Hosted(model, null, observer, filter, queryLog));
        }
        this.hosted = m;
        this.languageModels = List.copyOf(b.languageModels);
        this.batchRows = b.maxBatchRows;
        this.maxWait = b.maxWait;
        this.maxQueued = b.maxQueuedRequests;
        this.lmEngine = b.lmEngine;
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
            e.setValue(new Hosted(
                    model, new DynamicBatcher(model, batchRows, maxWait, maxQueued), observer, filter, queryLog));
        }
        for (ServedLanguageModel lm : languageModels) {
            GenerationBatcher.Split split = GenerationBatcher.Split.of(lmEngine, lm.lm(), batchRows);
            lms.put(lm.name(), new LmHost(lm, batchRows, maxWait, maxQueued, observer, filter, split));
        }
        // Jetty leases one acceptor and one selector thread from the pool and insists on at least
        // one thread beyond those; the rest handle requests. No reserved threads: handlers block on
        // their batch (never on a request body: BodyReader reads without a thread).
        int threads = workerThreads + 3;
        QueuedThreadPool pool = new QueuedThreadPool(threads, Math.min(threads, 4));
        pool.setReservedThreads(0);
        pool.setName("distill-http");
        server = new Server(pool);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setRequestHeaderSize(maxHeaderBytes);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
        connector.setHost(host);
        connector.setPort(requestedPort);
        connector.setIdleTimeout(idleTimeout.toMillis());
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(maxConnections, connector));
        server.setErrorHandler(new JsonErrorHandler(maxHeaderBytes));
        server.setHandler(new Router(hosted, lms, () -> ready, apiKey, limits, monitorStatus));
        try {
            server.start();
            HeaderDeadline deadline = new HeaderDeadline(connector, headerTimeout);
            server.addBean(deadline, true); // stopped with the server
            deadline.start();
        } catch (Exception e) {
            close();
            if (rootCause(e) instanceof BindException) {
                throw new BindException("cannot listen on " + host + ":" + requestedPort
                        + ": the port is in use (or not allowed); choose another port, or 0 for any free one");
            }
            throw new IOException(
                    "cannot start the HTTP server on " + host + ":" + requestedPort + ": " + e.getMessage(), e);
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

    /**
     * How one language model's generations are split between the plain-Java decoder and the
     * batched DJL pass ({@code --lm-engine}), in words, with the timings behind an {@code auto}
     * split.
     *
     * @throws IllegalArgumentException if no language model has that name
     */
    public String generationEngine(String model) {
        return lmHost(model).generator.engineDescription();
    }

    /**
     * Continuous-batching counters of one language model's generation since {@link #start()}:
     * requests and rows count generated tokens fed back, batches the steps that fed them.
     *
     * @throws IllegalArgumentException if no language model has that name
     */
    public DynamicBatcher.Stats generationStats(String model) {
        return lmHost(model).generator.stats();
    }

    private LmHost lmHost(String model) {
        LmHost l = lms.get(model);
        if (l == null) {
            throw new IllegalArgumentException(
                    "no started language model named '" + model + "'; serving " + lms.keySet());
        }
        return l;
    }

    /** Batching counters of one model since {@link #start()} (of a language model: prompt scoring). */
    public DynamicBatcher.Stats stats(String model) {
        LmHost l = lms.get(model);
        if (l != null) {
            return l.scorer.stats();
        }
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
        if (lms.isEmpty()) {
            languageModels.forEach(ServedLanguageModel::close); // never started: no host owns them yet
        }
        for (LmHost l : lms.values()) {
            l.close();
        }
        if (queryLog != null) {
            try {
                queryLog.close();
            } catch (IOException e) {
                LOG.warn("closing the query log {} failed: {}", queryLog.dir(), e.toString());
            }
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

    /**
     * Configures a {@link ModelServer}. Defaults: host {@code 127.0.0.1}, port 8080, max batch rows
     * 64, language models on {@link Generator.Engine#AUTO}, max wait 2 ms, 16 worker threads, 1024 queued requests per model, 16 MiB request bodies
     * arriving at 1024 bytes/s or faster and complete within 30 s, headers within 10 s, 30 s idle
     * timeout, 1024
     * connections, 8 KiB request line and headers, no API key, no request observer or output filter.
     */
    public static final class Builder {

        private String host = "127.0.0.1";
        private int port = 8080;
        private final List<ServedModel> models = new ArrayList<>();
        private final List<ServedLanguageModel> languageModels = new ArrayList<>();
        private int maxBatchRows = 64;
        private Generator.Engine lmEngine = Generator.Engine.AUTO;
        private Duration maxWait = Duration.ofMillis(2);
        private int workerThreads = 16;
        private int maxQueuedRequests = 1024;
        private long maxRequestBytes = 16L << 20;
        private List<String> apiKeys = List.of();
        private String adminKey;
        private java.util.function.Supplier<? extends Object> monitorStatus;
        private long minRequestDataRate = 1024;
        private Duration requestBodyTimeout = Duration.ofSeconds(30);
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Duration headerTimeout = Duration.ofSeconds(10);
        private int maxConnections = 1024;
        private int maxHeaderBytes = 8192;
        private RequestObserver observer = RequestObserver.NONE;
        private OutputFilter filter = OutputFilter.NONE;
        private ServedQueryLog queryLog;

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
                throw new IllegalArgumentException(
                        "illegal port: " + port + ", must be in [0, 65535] (0 = any free port)");
            }
            this.port = port;
            return this;
        }

        /** Adds a model, served under {@link ServedModel#name()}; the server will close it. */
        public Builder addModel(ServedModel model) {
            checkUnique(model.name());
            models.add(model);
            return this;
        }

        /**
         * Adds a language model, served on {@code /v1/completions} and {@code /v1/chat/completions}
         * under {@link ServedLanguageModel#name()}; the server will close it.
         */
        public Builder addLanguageModel(ServedLanguageModel model) {
            checkUnique(model.name());
            languageModels.add(model);
            return this;
        }

        private void checkUnique(String name) {
            boolean taken = models.stream().anyMatch(m -> m.name().equals(name))
                    || languageModels.stream().anyMatch(m -> m.name().equals(name));
            if (taken) {
                throw new IllegalArgumentException(
                        "duplicate model name '" + name + "'; every served model needs its own name");
            }
        }

        /** Most rows in one forward pass and in one request, in [1, 65536]. */
        public Builder optMaxBatchRows(int rows) {
            if (rows < 1 || rows > 65_536) {
                throw new IllegalArgumentException("illegal max batch rows: " + rows + ", must be in [1, 65536]");
            }
            this.maxBatchRows = rows;
            return this;
        }

        /**
         * Where language models decode generated tokens: {@link Generator.Engine#DJL} (every
         * generation in one batched pass per step), {@link Generator.Engine#JVM} (each on a
         * plain-Java decoder, in turn) or {@link Generator.Engine#AUTO} (the JVM for as many
         * generations as one DJL step costs JVM tokens, measured at start; the rest batched).
         */
        public Builder optLmEngine(Generator.Engine engine) {
            this.lmEngine = java.util.Objects.requireNonNull(engine, "engine");
            return this;
        }

        /** Longest wait for more requests once a batch has its first, in [0, 1 s]. */
        public Builder optMaxWait(Duration wait) {
            if (wait.isNegative() || wait.compareTo(Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException(
                        "illegal max wait: " + wait.toMillis() + " ms, must be in [0, 1000] ms");
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
            return optApiKeys(key == null ? List.of() : List.of(key));
        }

        /**
         * Requires {@code Authorization: Bearer <key>} with one of {@code keys} on every endpoint but
         * health and admin; empty for none. Each key is one client to the hooks (named by its
         * fingerprint, {@link ClientRequest#client()}); keys must be distinct.
         */
        public Builder optApiKeys(List<String> keys) {
            for (String key : keys) {
                checkKey(key, "API key");
            }
            if (new java.util.HashSet<>(keys).size() != keys.size()) {
                throw new IllegalArgumentException("illegal API keys: the same key is given twice");
            }
            this.apiKeys = List.copyOf(keys);
            return this;
        }

        /**
         * Sets the admin key, which alone opens {@code /admin/*}; null (the default) turns those
         * endpoints off. It must differ from every client key.
         */
        public Builder optAdminKey(String key) {
            if (key != null) {
                checkKey(key, "admin key");
            }
            this.adminKey = key;
            return this;
        }

        /**
         * Sets what {@code GET /admin/monitor} shows (a JSON-serialisable document, e.g. {@link
         * ServingGuard#statusDocument()}); without it that endpoint answers 404.
         */
        public Builder optMonitorStatus(java.util.function.Supplier<? extends Object> status) {
            this.monitorStatus = java.util.Objects.requireNonNull(status, "status");
            return this;
        }

        private static void checkKey(String key, String what) {
            if (key == null || key.isBlank() || !key.strip().equals(key)) {
                throw new IllegalArgumentException(
                        "illegal " + what + ": must be non-empty without surrounding whitespace");
            }
        }

        /**
         * Lowest average rate of a request body in bytes per second, in [0, 2^30]; 0 for none. It is
         * measured from the request's start once {@value BodyReader#GRACE_MILLIS} ms have passed;
         * slower bodies, stalled ones included, get 408 and the connection is closed.
         */
        public Builder optMinRequestDataRate(long bytesPerSecond) {
            if (bytesPerSecond < 0 || bytesPerSecond > (1L << 30)) {
                throw new IllegalArgumentException("illegal min request data rate: " + bytesPerSecond
                        + " bytes/s, must be in [0, 2^30] (0 = no minimum)");
            }
            this.minRequestDataRate = bytesPerSecond;
            return this;
        }

        /** Longest time from a request's start to its body's last byte, in [1 s, 1 h]; later gets 408. */
        public Builder optRequestBodyTimeout(Duration timeout) {
            if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException(
                        "illegal request body timeout: " + timeout.toMillis() + " ms, must be in [1 s, 1 h]");
            }
            this.requestBodyTimeout = timeout;
            return this;
        }

        /** How long a connection may stay without traffic before it is closed, in [1 s, 1 h]. */
        public Builder optIdleTimeout(Duration timeout) {
            if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException(
                        "illegal idle timeout: " + timeout.toMillis() + " ms, must be in [1 s, 1 h]");
            }
            this.idleTimeout = timeout;
            return this;
        }

        /**
         * Longest time for a request line and headers, once begun, in [1 s, 1 h]; a connection that
         * trickles its headers slower is closed (the idle timeout alone never ends it).
         */
        public Builder optHeaderTimeout(Duration timeout) {
            if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException(
                        "illegal header timeout: " + timeout.toMillis() + " ms, must be in [1 s, 1 h]");
            }
            this.headerTimeout = timeout;
            return this;
        }

        /**
         * Most open connections, in [1, 65536]; beyond it the server stops accepting until one
         * closes (new ones wait in the OS backlog).
         */
        public Builder optMaxConnections(int connections) {
            if (connections < 1 || connections > 65_536) {
                throw new IllegalArgumentException(
                        "illegal max connections: " + connections + ", must be in [1, 65536]");
            }
            this.maxConnections = connections;
            return this;
        }

        /** Largest request line plus headers in bytes, in [1 KiB, 64 KiB]; larger get 414 or 431. */
        public Builder optMaxHeaderBytes(int bytes) {
            if (bytes < 1024 || bytes > 65_536) {
                throw new IllegalArgumentException("illegal max header bytes: " + bytes + ", must be in [1024, 65536]");
            }
            this.maxHeaderBytes = bytes;
            return this;
        }

        /** Sees every request per client before it reaches a model, and may refuse it. */
        public Builder optRequestObserver(RequestObserver observer) {
            this.observer = java.util.Objects.requireNonNull(observer, "observer");
            return this;
        }

        /** Sees, and may change, the logits of every request where they leave the model. */
        public Builder optOutputFilter(OutputFilter filter) {
            this.filter = java.util.Objects.requireNonNull(filter, "filter");
            return this;
        }

        /**
         * Records the inputs every classifier answers, per client ({@link ServedQueryLog}); the
         * server closes the log when it closes. Default: none.
         */
        public Builder optQueryLog(ServedQueryLog log) {
            this.queryLog = java.util.Objects.requireNonNull(log, "log");
            return this;
        }

        /** Builds the server (not started: see {@link ModelServer#start()}); needs at least one model. */
        public ModelServer build() {
            if (models.isEmpty() && languageModels.isEmpty()) {
                throw new IllegalArgumentException(
                        "a model server needs at least one model; call addModel or " + "addLanguageModel");
            }
            if (adminKey != null && apiKeys.contains(adminKey)) {
                throw new IllegalArgumentException(
                        "the admin key is also a client API key; the admin key must be a key of its own");
            }
            return new ModelServer(this);
        }
    }
}
