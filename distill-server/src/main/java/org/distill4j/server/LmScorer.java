package org.distill4j.server;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.model.InferenceThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores prompts of one language model in batches on a single thread: the logits of every position
 * of every queued sequence, as a dynamic batcher (see {@link DynamicBatcher}) gathers them: the
 * oldest job, then more until {@code maxBatchRows} sequences or {@code maxWait} have passed. The
 * sequences are right-padded to the longest; causal attention means no position sees the padding,
 * so a sequence's logits equal those of a forward pass over it alone, to float rounding. This is
 * what {@code echo} with {@code max_tokens: 0} (a distillation collector's request) costs: one
 * forward pass per batch instead of one per request.
 */
final class LmScorer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LmScorer.class);

    private record Job(int[] ids, CompletableFuture<float[]> result) {}

    private final String name;
    private final LanguageModel lm;
    private final int maxBatchRows;
    private final long maxWaitNanos;
    private final BlockingQueue<Job> queue;
    private final Thread thread;
    private final Object lock = new Object();
    private volatile boolean closed;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong largest = new AtomicLong();

    LmScorer(String name, LanguageModel lm, int maxBatchRows, Duration maxWait, int maxQueued) {
        this.name = name;
        this.lm = lm;
        this.maxBatchRows = maxBatchRows;
        this.maxWaitNanos = maxWait.toNanos();
        this.queue = new ArrayBlockingQueue<>(maxQueued);
        this.thread = new Thread(this::loop, "distill-lm-scorer-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues a sequence.
     *
     * @param ids token ids, 1 to the context length
     * @return a future of its logits, (T, V) row-major
     * @throws RejectedExecutionException if the queue is full or the scorer closed
     */
    CompletableFuture<float[]> submit(int[] ids) {
        Job job = new Job(ids, new CompletableFuture<>());
        synchronized (lock) {
            if (closed) {
                throw new RejectedExecutionException("model '" + name + "' is shutting down");
            }
            if (!queue.offer(job)) {
                throw new RejectedExecutionException(
                        "model '" + name + "' has " + queue.size() + " prompts waiting to be scored; try again later");
            }
        }
        return job.result();
    }

    boolean isRunning() {
        return !closed && thread.isAlive();
    }

    boolean stopped() {
        return !thread.isAlive();
    }

    DynamicBatcher.Stats stats() {
        return new DynamicBatcher.Stats(requests.get(), rows.get(), batches.get(), largest.get());
    }

    private void loop() {
        InferenceThreads.prepare();
        List<Job> batch = new ArrayList<>();
        try {
            while (!closed) {
                batch.clear();
                batch.add(queue.take());
                long deadline = System.nanoTime() + maxWaitNanos;
                while (batch.size() < maxBatchRows) {
                    long left = deadline - System.nanoTime();
                    Job next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                run(batch);
            }
        } catch (InterruptedException e) {
            RejectedExecutionException stopped =
                    new RejectedExecutionException("model '" + name + "' is shutting down");
            for (Job job : batch) {
                job.result().completeExceptionally(stopped);
            }
            Thread.currentThread().interrupt();
        }
    }

    private void run(List<Job> batch) {
        int b = batch.size();
        int t = 0;
        for (Job job : batch) {
            t = Math.max(t, job.ids().length);
        }
        int[] padded = new int[b * t]; // right padding with id 0: no earlier position attends to it
        for (int i = 0; i < b; i++) {
            int[] ids = batch.get(i).ids();
            System.arraycopy(ids, 0, padded, i * t, ids.length);
        }
        int v = lm.config().vocabSize();
        float[] out;
        try (NDManager manager = lm.model().getNDManager().newSubManager()) {
            NDArray logits = lm.logits(manager.create(padded, new Shape(b, t)));
            out = logits.toFloatArray();
        } catch (RuntimeException e) {
            LOG.warn("scoring {} prompts of model '{}' failed: {}", b, name, e.toString());
            for (Job job : batch) {
                job.result().completeExceptionally(e);
            }
            requests.addAndGet(b);
            return;
        }
        batches.incrementAndGet();
        rows.addAndGet(b);
        largest.accumulateAndGet(b, Math::max);
        requests.addAndGet(b);
        for (int i = 0; i < b; i++) {
            Job job = batch.get(i);
            float[] part = new float[job.ids().length * v];
            System.arraycopy(out, i * t * v, part, 0, part.length);
            job.result().complete(part);
        }
    }

    /** Stops the thread after its current pass and fails what is queued; does not close the model. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RejectedExecutionException stopped = new RejectedExecutionException("model '" + name + "' is shutting down");
        for (Job job; (job = queue.poll()) != null; ) {
            job.result().completeExceptionally(stopped);
        }
    }
}
