package org.distill4j.server;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.lm.model.KvCache;
import org.distill4j.lm.token.Tokenizer;

/**
 * A served language model with its prompt scorer and serving hooks: what the LM endpoints call.
 * Every request passes the {@link RequestObserver} ({@link #admit}) before any forward pass, and
 * every position's logits pass the {@link OutputFilter} (rows = positions, classes = vocabulary)
 * before tokens are sampled from them or log-probabilities computed.
 *
 * <p>A generation prefills its prompt on its request thread, then joins the {@link
 * GenerationBatcher}, whose thread feeds the next token of up to {@code maxBatchRows} generations in
 * one forward pass and samples the next (continuous batching); at most {@code maxQueued} generating
 * requests may be admitted at once (further ones get 503 at once), and those beyond the batch's
 * rows wait for one.
 * Prompt-only scoring ({@code max_tokens: 0}) goes through the batched {@link LmScorer}.
 */
final class LmHost implements AutoCloseable {

    private static final long TIMEOUT_S = 60;

    final ServedLanguageModel model;
    final LmScorer scorer;
    final GenerationBatcher generator;
    final long createdEpochSecond = System.currentTimeMillis() / 1000;
    private final RequestObserver observer;
    private final OutputFilter filter;
    private final Semaphore generations;
    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean closed;

    /** @param split how many generations may decode on the JVM at once, in [0, maxBatchRows] */
    LmHost(
            ServedLanguageModel model,
            int maxBatchRows,
            Duration maxWait,
            int maxQueued,
            RequestObserver observer,
            OutputFilter filter,
            GenerationBatcher.Split split) {
        this.model = model;
        this.scorer = new LmScorer(model.name(), model.lm(), maxBatchRows, maxWait, maxQueued);
        this.generator = new GenerationBatcher(model.name(), model.lm(), maxBatchRows, split);
        this.observer = observer;
        this.filter = filter;
        this.generations = new Semaphore(maxQueued);
    }

    /** The served model's tokenizer. */
    Tokenizer tokenizer() {
        return model.lm().tokenizer();
    }

    int vocab() {
        return model.lm().config().vocabSize();
    }

    int contextLength() {
        return model.lm().config().contextLength();
    }

    /** Lets the observer see (and perhaps refuse) {@code request}, which asks for {@code query}. */
    void admit(ClientRequest request, org.distill4j.guard.TextQuery query) {
        try {
            observer.onTextRequest(request, query);
        } catch (RequestRefusedException e) {
            throw ErrorBodies.of(e);
        }
    }

    /**
     * Passes (positions, V) logits through the output filter; row r follows {@code history[2r]}
     * then {@code history[2r + 1]} (see {@link OutputFilter#filterTokens}).
     */
    float[] filter(ClientRequest request, int[] history, float[] logits) {
        float[] out = filter.filterTokens(request, history, logits, vocab());
        if (out == null || out.length != logits.length) {
            throw new IllegalStateException("output filter returned " + (out == null ? "null" : out.length + " values")
                    + " for " + logits.length + " logits");
        }
        return out;
    }

    /** The filtered logits of every position of {@code ids}, (T, V), scored in a batch. */
    float[] score(ClientRequest request, int[] ids) {
        float[] logits;
        try {
            logits = scorer.submit(ids).get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            throw apiError(e);
        } catch (TimeoutException e) {
            throw new ApiException(
                    503, "model '" + model.name() + "' did not answer within " + TIMEOUT_S + " s", null, "timeout");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "request interrupted (server shutting down)", null, "unavailable");
        } catch (ExecutionException e) {
            throw apiError(e.getCause());
        }
        return filter(request, org.distill4j.guard.TokenWatermark.contexts(ids), logits);
    }

    /**
     * Adds a generation whose prompt is prefilled in {@code prefix} (owned by the batcher from now
     * on) to the batch; 503 if no slot frees within the timeout or the model is shutting down.
     */
    void join(LmGeneration gen, KvCache prefix, int firstId) {
        try {
            generator.join(gen, prefix, firstId, TIMEOUT_S);
        } catch (RejectedExecutionException e) {
            throw apiError(e);
        }
    }

    /** What a client gets for a failure of this model: 503 for a refusal or shutdown, else 500. */
    ApiException apiError(Throwable e) {
        if (e instanceof ApiException a) {
            return a;
        }
        if (e instanceof RejectedExecutionException) {
            return new ApiException(503, e.getMessage(), null, "unavailable");
        }
        return new ApiException(
                500, "model '" + model.name() + "' failed: " + e.getMessage(), null, "inference_failed");
    }

    /**
     * Takes a generation slot for one request, or refuses with 503 when {@code maxQueued} requests
     * that generate are admitted. Release it with {@link #release()}.
     */
    void acquire() {
        if (closed || !generations.tryAcquire()) {
            throw new ApiException(
                    503,
                    closed
                            ? "model '" + model.name() + "' is shutting down"
                            : "model '" + model.name() + "' has too many generations in progress; try again later",
                    null,
                    "unavailable");
        }
        active.incrementAndGet();
    }

    void release() {
        active.decrementAndGet();
        generations.release();
    }

    boolean isRunning() {
        return !closed && scorer.isRunning() && generator.isRunning();
    }

    /**
     * Stops the scorer and the generation batcher, waits up to 10 s for generations in progress,
     * then closes the model (or leaves it to the process exit if a forward pass is still running:
     * closing it under a pass would crash natively).
     */
    @Override
    public void close() {
        closed = true;
        scorer.close();
        generator.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (active.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (active.get() == 0 && scorer.stopped() && generator.stopped()) {
            model.close();
        }
    }
}
