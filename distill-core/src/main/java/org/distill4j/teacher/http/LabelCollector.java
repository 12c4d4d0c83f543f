package org.distill4j.teacher.http;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <p>This class prepares a collection (item keys, journal, what is pending) and assembles its
 * result; the workers and retries are a {@link CollectionRun}, one request and the classification
 * of its answer a {@link RequestSender}, the counters behind {@code usage.json} {@link
 * UsageCounters}.
 */
public final class LabelCollector {

    private static final Logger LOG = LoggerFactory.getLogger(LabelCollector.class);

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
            ByteBuffer bb =
                    ByteBuffer.allocate(4 + 8 * shape.length + 4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
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
        return config.protocol() != Protocol.V2 || config.v2Input() == HttpTeacherConfig.V2Input.TEXT;
    }

    /**
     * Collects the teacher's outputs for every row of {@code data}, resuming from the journal in
     * {@code journalDir} if there is one.
     *
     * @param data the rows to label; its class names are the label set, in class order
     * @param journalDir where the journal and {@code usage.json} live (created if missing)
     * @param listener progress, called from worker threads
     * @return the outputs of the rows that succeeded and the rows that failed
     * @throws CollectionAbortedException if the server rejected the key (401/403), or answered without
     *     a field the request relies on (log-probabilities under {@code on_missing_logprobs: fail}, or
     *     fewer choices than {@code n})
     * @throws JournalException if the journal belongs to another job or is damaged
     * @throws IOException if the journal cannot be written
     */
    public CollectionResult collect(ExampleSet data, Path journalDir, CollectionListener listener) throws IOException {
        long t0 = System.nanoTime();
        int rows = data.size();
        int classes = data.numClasses();
        if (config.protocol() != Protocol.V2) {
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
        Codec codec = switch (config.protocol()) {
            case OPENAI -> new OpenAiCodec(config, data);
            case ANTHROPIC -> new AnthropicCodec(config, data);
            case V2 -> new V2Codec(config, data);
        };
        UsageCounters usage = new UsageCounters();
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
                    throw new JournalException(
                            journal.file(),
                            "item " + it.key() + " holds " + done.values().length + " values, expected " + classes);
                }
            }
            fromJournal = unique.size() - pending.size();
            CollectionRun run = new CollectionRun(
                    config,
                    new RequestSender(config, client, codec, usage),
                    codec,
                    journal,
                    identity,
                    usage,
                    failures,
                    listener,
                    unique.size(),
                    fromJournal);
            listener.progress(unique.size(), fromJournal, 0);
            LOG.info(
                    "Collecting {} of {} unique items ({} rows) from {} with {} workers",
                    pending.size(),
                    unique.size(),
                    rows,
                    config.endpoint(),
                    config.concurrency());
            abort = run.execute(pending);
            // What the journal now holds; reading the file back would parse every record again.
            completed = journal.completed();
        }
        if (codec instanceof OpenAiCodec oc && oc.logprobsUnsupported()) {
            usage.logprobsUnsupported = true;
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

    private CollectionResult result(
            ExampleSet data,
            Map<String, CollectedItem> done,
            String[] rowKeys,
            TeacherIdentity identity,
            ValueKind valueKind,
            Map<String, CollectionResult.FailedRow> failures,
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
                failed.add(
                        f == null
                                ? new CollectionResult.FailedRow(r, rowKeys[r], "not_collected", "no result", 0)
                                : new CollectionResult.FailedRow(r, rowKeys[r], f.kind(), f.message(), f.attempts()));
            }
        }
        int[] succeeded = ok.stream().mapToInt(Integer::intValue).toArray();
        float[] values = new float[succeeded.length * classes];
        for (int i = 0; i < succeeded.length; i++) {
            System.arraycopy(items.get(i).values(), 0, values, i * classes, classes);
        }
        String dataHash = failed.isEmpty()
                ? data.contentHash()
                : succeeded.length == 0
                        ? Hashing.sha256("empty subset of " + data.contentHash())
                        : ExampleSets.subset(data, succeeded, data.name() + "/labelled")
                                .contentHash();
        TeacherOutputs outputs = new TeacherOutputs(identity.cacheKey(), dataHash, succeeded.length, classes, values);
        return new CollectionResult(identity, valueKind, succeeded, outputs, items, failed, report);
    }
}
