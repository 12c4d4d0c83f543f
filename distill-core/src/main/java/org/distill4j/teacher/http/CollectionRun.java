package org.distill4j.teacher.http;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.distill4j.teacher.TeacherIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One collection run: the workers that send the pending items in batches, retry what may be
 * retried under the policy and rate limits, and append every outcome to the journal; an
 * unauthorised key stops all workers. Built and executed once by {@link LabelCollector#collect}.
 */
final class CollectionRun {

    private static final Logger LOG = LoggerFactory.getLogger(LabelCollector.class);

    private final HttpTeacherConfig config;
    private final RequestSender sender;
    private final Codec codec;
    private final CollectionJournal journal;
    private final TeacherIdentity identity;
    private final UsageCounters usage;
    private final Map<String, CollectionResult.FailedRow> failures;
    private final CollectionListener listener;
    private final long total;
    private final AtomicLong done;
    private final RateLimiter limiter;
    private final AtomicReference<String> abort = new AtomicReference<>();
    private final AtomicReference<IOException> journalError = new AtomicReference<>();
    private final AtomicLong requestIds = new AtomicLong();

    CollectionRun(
            HttpTeacherConfig config,
            RequestSender sender,
            Codec codec,
            CollectionJournal journal,
            TeacherIdentity identity,
            UsageCounters usage,
            Map<String, CollectionResult.FailedRow> failures,
            CollectionListener listener,
            long total,
            long fromJournal) {
        this.config = config;
        this.sender = sender;
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
                List<Codec.Item> batch =
                        List.copyOf(pending.subList(i, Math.min(pending.size(), i + config.batchSize())));
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
            Object outcome = sender.send(pending, requestId);
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
                    usage.unmappable.add(o.unmappable());
                    if (o.error() != null && o.error().kind() == ErrorKind.UNSUPPORTED) {
                        // The server lacks a feature the request relies on: every item would fail
                        // alike, so the run stops here instead of paying for them (fail policy).
                        usage.error(ErrorKind.UNSUPPORTED);
                        abort.compareAndSet(
                                null, config.apiKey().scrub(o.error().getMessage()));
                        return;
                    }
                    if (o.error() == null) {
                        complete(it, o, r, attempt, pending.size());
                    } else {
                        usage.error(o.error().kind());
                        AttemptFailure f = new AttemptFailure(
                                o.error().kind(),
                                config.apiKey().scrub(o.error().getMessage()),
                                Optional.empty());
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
            LOG.debug(
                    "Retrying {} item(s) in {} ms after {}",
                    pending.size(),
                    wait.toMillis(),
                    last.get(pending.get(0).key()).kind().wireName());
            Thread.sleep(wait.toMillis(), (int) (wait.toNanos() % 1_000_000));
        }
    }

    private void complete(Codec.Item it, Codec.ItemOutcome o, Codec.Response r, int attempts, int batch) {
        // What the server wrote goes to the journal: scrub it like its error bodies.
        ApiKey key = config.apiKey();
        String model = key.scrub(r.model().isEmpty() ? config.model() : r.model());
        // Token counts are per request; a v2 batch reports none, a chat completion holds one item.
        CollectedItem item = new CollectedItem(
                it.key(),
                o.values(),
                codec.valueKind(),
                o.outsideMass(),
                key.scrub(o.completion()),
                identity.cacheKey(),
                config.endpoint().toString(),
                model,
                key.scrub(r.modelVersion()),
                attempts,
                r.promptTokens() / batch,
                r.completionTokens() / batch,
                Instant.now().toString(),
                o.labelSource());
        try {
            journal.appendOk(item);
        } catch (IOException e) {
            journalError.compareAndSet(null, e);
            return;
        }
        usage.collected.increment();
        usage.labelSource(o.labelSource());
        if (o.outsideMass() > 0.5) {
            usage.mostlyOutside.increment();
        }
        listener.progress(total, done.incrementAndGet(), failures.size());
    }

    private void fail(Codec.Item it, AttemptFailure f, int attempts) {
        try {
            journal.appendFailed(
                    new CollectionJournal.FailedItem(it.key(), f.kind().wireName(), f.message(), attempts));
        } catch (IOException e) {
            journalError.compareAndSet(null, e);
            return;
        }
        failures.put(
                it.key(),
                new CollectionResult.FailedRow(it.row(), it.key(), f.kind().wireName(), f.message(), attempts));
        LOG.warn(
                "Item {} (row {}) failed after {} attempt(s): {}: {}",
                it.key().substring(0, 12),
                it.row(),
                attempts,
                f.kind().wireName(),
                f.message());
        listener.progress(total, done.get(), failures.size());
    }
}
