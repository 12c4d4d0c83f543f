package org.distill4j.teacher.http;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.io.Hashing;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TeacherOutputs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects a teacher's outputs for every row of a data set from an HTTP API, at scale, losing
 * nothing: the engine behind {@code distill label} and {@code teacher: {kind: http}}.
 *
 * <p>What {@link #collect} does:
 * <ol>
 *   <li>Keys every row by the SHA-256 of its exact payload (its text when the protocol sends
 *       text, else its float features) and keeps one item per distinct key; results fan out to
 *       every row with that key.
 *   <li>Opens the {@link CollectionJournal} in the journal directory (checking its fingerprint)
 *       and skips every item completed there: a completed item is never requested again.
 *       Items that failed in an earlier run are retried.
 *   <li>Sends the rest in batches ({@code batchSize} items per v2 request, one per chat
 *       completion) from {@code concurrency} worker threads, each request paced by the {@link
 *       RateLimiter} and bounded by the per-request timeout. Every completed item is appended
 *       to the journal as soon as its response is read.
 *   <li>Retries, per {@link RetryPolicy}, attempts that failed with a retryable {@link
 *       ErrorKind} (429, 408, 5xx, timeouts, dropped connections and bodies cut short, malformed
 *       responses); a {@code Retry-After} on a 429 also pauses every worker. Items of a v2 batch
 *       that came back well are kept; only the bad ones are retried. Other 4xx fail their items
 *       at once. HTTP 401/403 abort the run ({@link CollectionAbortedException}) with a message
 *       naming the key's source. An item still failing after the last attempt is journaled as
 *       {@code failed} with its kind and message, never turned into a label.
 *   <li>Writes {@code usage.json} next to the journal (also when aborted) and returns a {@link
 *       CollectionResult}.
 * </ol>
 *
 * <p>The API key is sent only in the {@code Authorization} header; anything a server sends back
 * is passed through {@link ApiKey#scrub} before it reaches a message, the journal or a log. An
 * instance may run several collections one after another; it is not meant for concurrent
 * {@code collect} calls on the same journal (the journal's lock refuses them).
 */
public final class LabelCollector {

    private static final Logger LOG = LoggerFactory.getLogger(LabelCollector.class);
    private static final int BODY_EXCERPT = 300;

    private final HttpTeacherConfig config;
    private final HttpClient client;

    /** Creates a collector for a teacher. */
    public LabelCollector(HttpTeacherConfig config) {
        this.config = java.util.Objects.requireNonNull(config, "config");
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** Returns the configuration. */
    public HttpTeacherConfig config() {
        return config;
    }

    /** Returns the identity of this teacher on {@code data}'s label set. */
    public TeacherIdentity identity(ExampleSet data) {
        return config.identity(data.classNames());
    }

    /**
     * Returns the key of row {@code row}'s payload under {@code config}: the hex SHA-256 of its
     * text ({@code "text\0" + UTF-8}) when the protocol sends text, else of its features ({@code
     * "f32\0"}, the feature shape as int64s and the floats, little-endian).
     *
     * @throws IllegalArgumentException if the protocol sends text and the row has none
     */
    public static String itemKey(HttpTeacherConfig config, ExampleSet data, int row) {
        MessageDigest md = Hashing.sha256();
        if (sendsText(config)) {
            String text = data.text(row);
            if (text == null) {
                throw new IllegalArgumentException("row " + row + " of " + data.name() + " has no text, but the "
                        + config.protocol().wireName() + " teacher sends text; use a data set built from text"
                        + (config.protocol() == Protocol.V2 ? " or v2 input: features" : ""));
            }
            md.update("text\0".getBytes(StandardCharsets.UTF_8));
            md.update(text.getBytes(StandardCharsets.UTF_8));
        } else {
            long[] shape = data.featureShape();
            float[] f = new float[data.featureSize()];
            data.copyFeatures(new int[] {row}, f);
            ByteBuffer bb = ByteBuffer.allocate(4 + 8 * shape.length + 4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
            bb.put("f32\0".getBytes(StandardCharsets.US_ASCII));
            for (long d : shape) {
                bb.putLong(d);
            }
            for (float x : f) {
                bb.putFloat(x);
            }
            md.update(bb.array());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static boolean sendsText(HttpTeacherConfig config) {
        return config.protocol() == Protocol.OPENAI || config.v2Input() == HttpTeacherConfig.V2Input.TEXT;
    }

    /**
     * Collects the teacher's outputs for every row of {@code data}, resuming from the journal in
     * {@code journalDir} if there is one.
     *
     * @param data the rows to label; its class names are the label set, in class order
     * @param journalDir where the journal and {@code usage.json} live (created if missing)
     * @param listener progress, called from worker threads
     * @return the outputs of the rows that succeeded and the rows that failed
     * @throws CollectionAbortedException if the server rejected the key (401/403)
     * @throws JournalException if the journal belongs to another job or is damaged
     * @throws IOException if the journal cannot be written
     */
    public CollectionResult collect(ExampleSet data, Path journalDir, CollectionListener listener) throws IOException {
        long t0 = System.nanoTime();
        int rows = data.size();
        int classes = data.numClasses();
        if (config.protocol() == Protocol.OPENAI) {
            // Fails early, naming the problem, for label sets the extraction cannot tell apart.
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String l : data.classNames()) {
                if (l.isBlank() || !seen.add(l.strip().toLowerCase(java.util.Locale.ROOT))) {
                    throw new IllegalArgumentException("class names must be non-blank and distinct ignoring case and "
                            + "leading whitespace to be told apart in a chat completion, got " + data.classNames());
                }
            }
        }
        String[] rowKeys = new String[rows];
        Map<String, Codec.Item> unique = new LinkedHashMap<>();
        for (int r = 0; r < rows; r++) {
            rowKeys[r] = itemKey(config, data, r);
            unique.putIfAbsent(rowKeys[r], new Codec.Item(rowKeys[r], r));
        }
        TeacherIdentity identity = identity(data);
        Codec codec = config.protocol() == Protocol.OPENAI ? new OpenAiCodec(config, data) : new V2Codec(config, data);
        Usage usage = new Usage();
        Map<String, CollectionResult.FailedRow> failures = new ConcurrentHashMap<>();
        String abort;
        long fromJournal;
        Map<String, CollectedItem> completed;
        try (CollectionJournal journal = CollectionJournal.open(journalDir, config.fingerprint(data.classNames()))) {
            if (journal.truncatedTornLine()) {
                LOG.info("Journal {}: cut off a torn last line left by an interrupted run", journal.file());
            }
            List<Codec.Item> pending = new ArrayList<>();
            for (Codec.Item it : unique.values()) {
                CollectedItem done = journal.completed(it.key());
                if (done == null) {
                    pending.add(it);
                } else if (done.values().length != classes) {
                    throw new JournalException(journal.file(), "item " + it.key() + " holds " + done.values().length
                            + " values, expected " + classes);
                }
            }
            fromJournal = unique.size() - pending.size();
            Run run = new Run(codec, journal, identity, usage, failures, listener, unique.size(), fromJournal);
            listener.progress(unique.size(), fromJournal, 0);
            LOG.info("Collecting {} of {} unique items ({} rows) from {} with {} workers", pending.size(),
                    unique.size(), rows, config.endpoint(), config.concurrency());
            abort = run.execute(pending);
            // What the journal now holds; reading the file back would parse every record again.
            completed = journal.completed();
        }
        long collected = usage.collected.sum();
        double wall = (System.nanoTime() - t0) / 1e9;
        UsageReport report = usage.report(rows, unique.size(), fromJournal, collected, failures.size(), wall);
        report.write(journalDir);
        if (abort != null) {
            throw new CollectionAbortedException(abort);
        }
        return result(data, completed, rowKeys, identity, codec.valueKind(), failures, report);
    }

    private CollectionResult result(ExampleSet data, Map<String, CollectedItem> done, String[] rowKeys,
            TeacherIdentity identity, ValueKind valueKind, Map<String, CollectionResult.FailedRow> failures,
            UsageReport report) {
        int classes = data.numClasses();
        List<Integer> ok = new ArrayList<>();
        List<CollectedItem> items = new ArrayList<>();
        List<CollectionResult.FailedRow> failed = new ArrayList<>();
        for (int r = 0; r < rowKeys.length; r++) {
            CollectedItem it = done.get(rowKeys[r]);
            if (it != null) {
                ok.add(r);
                items.add(it);
            } else {
                CollectionResult.FailedRow f = failures.get(rowKeys[r]);
                failed.add(f == null
                        ? new CollectionResult.FailedRow(r, rowKeys[r], "not_collected", "no result", 0)
                        : new CollectionResult.FailedRow(r, rowKeys[r], f.kind(), f.message(), f.attempts()));
            }
        }
        int[] succeeded = ok.stream().mapToInt(Integer::intValue).toArray();
        float[] values = new float[succeeded.length * classes];
        for (int i = 0; i < succeeded.length; i++) {
            System.arraycopy(items.get(i).values(), 0, values, i * classes, classes);
        }
        String dataHash = failed.isEmpty() ? data.contentHash()
                : succeeded.length == 0 ? Hashing.sha256("empty subset of " + data.contentHash())
                : ExampleSets.subset(data, succeeded, data.name() + "/labelled").contentHash();
        TeacherOutputs outputs = new TeacherOutputs(identity.cacheKey(), dataHash, succeeded.length, classes, values);
        return new CollectionResult(identity, valueKind, succeeded, outputs, items, failed, report);
    }

    /** Counters of one run; thread-safe. */
    private static final class Usage {
        final AtomicLong requests = new AtomicLong();
        final AtomicLong retries = new AtomicLong();
        final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        final LongAdder promptTokens = new LongAdder();
        final LongAdder completionTokens = new LongAdder();
        final LongAdder collected = new LongAdder();
        final LongAdder mostlyOutside = new LongAdder();

        void status(int code) {
            statuses.computeIfAbsent(Integer.toString(code), k -> new LongAdder()).increment();
        }

        void error(ErrorKind kind) {
            errors.computeIfAbsent(kind.wireName(), k -> new LongAdder()).increment();
        }

        UsageReport report(long total, long unique, long fromJournal, long collected, long failed, double wall) {
            Map<String, Long> s = new LinkedHashMap<>();
            statuses.forEach((k, v) -> s.put(k, v.sum()));
            Map<String, Long> e = new LinkedHashMap<>();
            errors.forEach((k, v) -> e.put(k, v.sum()));
            return new UsageReport(requests.get(), s, retries.get(), e, promptTokens.sum(), completionTokens.sum(), total,
                    unique, total - unique, fromJournal, collected, failed, mostlyOutside.sum(), wall,
                    wall > 0 ? collected / wall : 0);
        }
    }

    /** The outcome of one attempt that produced no usable response. */
    private record AttemptFailure(ErrorKind kind, String message, Optional<Duration> retryAfter) {}

    /** One collection run: the workers and their shared state. */
    private final class Run {
        private final Codec codec;
        private final CollectionJournal journal;
        private final TeacherIdentity identity;
        private final Usage usage;
        private final Map<String, CollectionResult.FailedRow> failures;
        private final CollectionListener listener;
        private final long total;
        private final AtomicLong done;
        private final RateLimiter limiter;
        private final AtomicReference<String> abort = new AtomicReference<>();
        private final AtomicReference<IOException> journalError = new AtomicReference<>();
        private final AtomicLong requestIds = new AtomicLong();

        Run(Codec codec, CollectionJournal journal, TeacherIdentity identity, Usage usage,
                Map<String, CollectionResult.FailedRow> failures, CollectionListener listener, long total,
                long fromJournal) {
            this.codec = codec;
            this.journal = journal;
            this.identity = identity;
            this.usage = usage;
            this.failures = failures;
            this.listener = listener;
            this.total = total;
            this.done = new AtomicLong(fromJournal);
            this.limiter = new RateLimiter(config.requestsPerMinute(), config.tokensPerMinute());
        }

        /** Runs every batch; returns the abort message, or null. */
        String execute(List<Codec.Item> pending) throws IOException {
            ExecutorService pool = Executors.newFixedThreadPool(config.concurrency(), r -> {
                Thread t = new Thread(r, "distill4j-collect");
                t.setDaemon(true);
                return t;
            });
            List<Future<?>> futures = new ArrayList<>();
            try {
                for (int i = 0; i < pending.size(); i += config.batchSize()) {
                    List<Codec.Item> batch = List.copyOf(pending.subList(i, Math.min(pending.size(),
                            i + config.batchSize())));
                    futures.add(pool.submit(() -> {
                        try {
                            batch(batch);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("collection interrupted; completed items are in the journal");
            } catch (ExecutionException e) {
                throw new IllegalStateException("a collection worker failed", e.getCause());
            } finally {
                pool.shutdownNow();
            }
            if (journalError.get() != null) {
                throw journalError.get();
            }
            return abort.get();
        }

        private boolean stopping() {
            return abort.get() != null || journalError.get() != null;
        }

        /** Sends one batch until every item is completed or has failed for good. */
        private void batch(List<Codec.Item> items) throws InterruptedException {
            List<Codec.Item> pending = items;
            Random rng = config.retry().jitter(items.get(0).key());
            int attempt = 0;
            Map<String, AttemptFailure> last = new LinkedHashMap<>();
            while (!pending.isEmpty()) {
                if (stopping()) {
                    return;
                }
                long estimate = codec.estimateTokens(pending);
                limiter.acquire(estimate);
                if (stopping()) {
                    return;
                }
                attempt++;
                usage.requests.incrementAndGet();
                if (attempt > 1) {
                    usage.retries.incrementAndGet();
                }
                String requestId = "d4j-" + requestIds.incrementAndGet();
                Object outcome = send(pending, requestId);
                Optional<Duration> retryAfter = Optional.empty();
                List<Codec.Item> retry = new ArrayList<>();
                if (outcome instanceof AttemptFailure f) {
                    usage.error(f.kind());
                    if (f.kind() == ErrorKind.UNAUTHORIZED) {
                        abort.compareAndSet(null, f.message());
                        return;
                    }
                    for (Codec.Item it : pending) {
                        last.put(it.key(), f);
                    }
                    if (!f.kind().retryable()) {
                        for (Codec.Item it : pending) {
                            fail(it, f, attempt);
                        }
                        return;
                    }
                    retry.addAll(pending);
                    retryAfter = f.retryAfter();
                    if (f.kind() == ErrorKind.RATE_LIMITED && retryAfter.isPresent()) {
                        limiter.pause(config.retry().delay(attempt, retryAfter, rng).toNanos());
                    }
                } else {
                    Codec.Response r = (Codec.Response) outcome;
                    usage.promptTokens.add(r.promptTokens());
                    usage.completionTokens.add(r.completionTokens());
                    if (r.promptTokens() + r.completionTokens() > 0) {
                        limiter.reconcile(estimate, r.promptTokens() + r.completionTokens());
                    }
                    for (int i = 0; i < pending.size(); i++) {
                        Codec.Item it = pending.get(i);
                        Codec.ItemOutcome o = r.items().get(i);
                        if (o.error() == null) {
                            complete(it, o, r, attempt, pending.size());
                        } else {
                            usage.error(o.error().kind());
                            AttemptFailure f = new AttemptFailure(o.error().kind(),
                                    config.apiKey().scrub(o.error().getMessage()), Optional.empty());
                            last.put(it.key(), f);
                            if (o.error().kind().retryable()) {
                                retry.add(it);
                            } else {
                                fail(it, f, attempt);
                            }
                        }
                    }
                }
                if (retry.isEmpty()) {
                    return;
                }
                if (attempt >= config.retry().maxAttempts()) {
                    for (Codec.Item it : retry) {
                        fail(it, last.get(it.key()), attempt);
                    }
                    return;
                }
                pending = retry;
                Duration wait = config.retry().delay(attempt, retryAfter, rng);
                LOG.debug("Retrying {} item(s) in {} ms after {}", pending.size(), wait.toMillis(),
                        last.get(pending.get(0).key()).kind().wireName());
                Thread.sleep(wait.toMillis(), (int) (wait.toNanos() % 1_000_000));
            }
        }

        private void complete(Codec.Item it, Codec.ItemOutcome o, Codec.Response r, int attempts, int batch) {
            // What the server wrote goes to the journal: scrub it like its error bodies.
            ApiKey key = config.apiKey();
            String model = key.scrub(r.model().isEmpty() ? config.model() : r.model());
            // Token counts are per request; a v2 batch reports none, a chat completion holds one item.
            CollectedItem item = new CollectedItem(it.key(), o.values(), codec.valueKind(), o.outsideMass(),
                    key.scrub(o.completion()), identity.cacheKey(), config.endpoint().toString(), model,
                    key.scrub(r.modelVersion()), attempts,
                    r.promptTokens() / batch, r.completionTokens() / batch, Instant.now().toString());
            try {
                journal.appendOk(item);
            } catch (IOException e) {
                journalError.compareAndSet(null, e);
                return;
            }
            usage.collected.increment();
            if (o.outsideMass() > 0.5) {
                usage.mostlyOutside.increment();
            }
            listener.progress(total, done.incrementAndGet(), failures.size());
        }

        private void fail(Codec.Item it, AttemptFailure f, int attempts) {
            try {
                journal.appendFailed(new CollectionJournal.FailedItem(it.key(), f.kind().wireName(), f.message(),
                        attempts));
            } catch (IOException e) {
                journalError.compareAndSet(null, e);
                return;
            }
            failures.put(it.key(), new CollectionResult.FailedRow(it.row(), it.key(), f.kind().wireName(), f.message(),
                    attempts));
            LOG.warn("Item {} (row {}) failed after {} attempt(s): {}: {}", it.key().substring(0, 12), it.row(),
                    attempts, f.kind().wireName(), f.message());
            listener.progress(total, done.get(), failures.size());
        }

        /** Sends one request; returns a {@link Codec.Response} or an {@link AttemptFailure}. */
        private Object send(List<Codec.Item> items, String requestId) throws InterruptedException {
            ApiKey key = config.apiKey();
            HttpRequest.Builder b = HttpRequest.newBuilder(config.endpoint())
                    .timeout(config.timeout())
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(codec.request(items, requestId)));
            if (key.isPresent()) {
                b.header("Authorization", key.authorization());
            }
            HttpResponse<byte[]> resp;
            CompletableFuture<HttpResponse<byte[]>> future =
                    client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            try {
                // The request timeout covers the response headers only; this bounds the body too.
                resp = future.get(config.timeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                future.cancel(true);
                return new AttemptFailure(ErrorKind.TIMEOUT, "no complete response within " + config.timeout(),
                        Optional.empty());
            } catch (InterruptedException e) {
                future.cancel(true);
                throw e;
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof HttpTimeoutException) {
                    return new AttemptFailure(ErrorKind.TIMEOUT, "no response within " + config.timeout(),
                            Optional.empty());
                }
                return new AttemptFailure(ErrorKind.CONNECTION, "connection to " + config.endpoint()
                        + " failed or body cut short: " + key.scrub(describe(c)), Optional.empty());
            }
            int status = resp.statusCode();
            usage.status(status);
            if (status / 100 == 2) {
                try {
                    return codec.parse(resp.body(), items, requestId);
                } catch (MalformedResponseException e) {
                    return new AttemptFailure(e.kind(), key.scrub(e.getMessage()), Optional.empty());
                }
            }
            // Scrub the whole body before cutting it: a key straddling the cut would escape the scrub.
            String body = excerpt(key.scrub(new String(resp.body(), StandardCharsets.UTF_8)));
            Optional<Duration> retryAfter = RetryPolicy.parseRetryAfter(
                    resp.headers().firstValue("Retry-After").orElse(null), Instant.now());
            if (status == 401 || status == 403) {
                return new AttemptFailure(ErrorKind.UNAUTHORIZED, "HTTP " + status + " from " + config.endpoint()
                        + ": the server rejected the API key from " + key.source()
                        + " (check that it is valid and allowed to use model " + config.model() + "); server said: "
                        + body, Optional.empty());
            }
            if (status == 429) {
                return new AttemptFailure(ErrorKind.RATE_LIMITED, "HTTP 429: " + body, retryAfter);
            }
            if (status == 408 || status >= 500) {
                return new AttemptFailure(ErrorKind.SERVER_ERROR, "HTTP " + status + ": " + body, retryAfter);
            }
            return new AttemptFailure(ErrorKind.CLIENT_ERROR, "HTTP " + status + " (not retried): " + body,
                    Optional.empty());
        }
    }

    /** Names an exception and its causes' messages (the JDK client often leaves the outer message null). */
    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.getClass().getSimpleName());
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null) {
                sb.append(": ").append(c.getMessage());
                break;
            }
        }
        return sb.toString();
    }

    private static String excerpt(String body) {
        String s = body.strip();
        return s.length() <= BODY_EXCERPT ? s : s.substring(0, BODY_EXCERPT) + "...";
    }
}
