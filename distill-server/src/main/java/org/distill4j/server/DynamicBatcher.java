package org.distill4j.server;

import ai.djl.Device;
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
import org.distill4j.data.InputBuffer;
import org.distill4j.model.InferenceThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one model's forward passes on a single inference thread, merging concurrent requests into
 * one batch (a dynamic batcher in the manner of Triton's): the thread takes the oldest request,
 * then keeps adding queued requests until the batch holds {@code maxBatchRows} rows or {@code
 * maxWait} has passed since it took the first, and runs one forward pass over the concatenated
 * rows. A request is never split across batches; one that would overflow the batch opens the next.
 *
 * <p>Why: one forward pass over 32 rows costs little more than over one, so under concurrent load
 * batching multiplies throughput, and a single thread per model also means the model itself need
 * not be thread-safe. The price is at most {@code maxWait} of added latency when the server is
 * idle.
 *
 * <p>Results are those of {@link ServedModel#logits} on the batch, split back by request: bit for
 * bit what a direct call on the same batch returns, and, for a request served alone, what a direct
 * call on its rows returns. A row batched with other requests' rows agrees with a direct call on
 * that row alone to float rounding only (largest difference seen in the tests: 4.8e-7 on logits
 * near 1), because the matrix product is blocked differently for different batch sizes; the same
 * holds for Triton and any batching server. Thread-safe: {@link #submit} may be called from any
 * thread. Each batch's arrays live in a sub-manager closed after the pass; its input goes through one
 * pinned buffer the inference thread reuses ({@link InputBuffer}).
 */
public final class DynamicBatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    private final ServedModel model;
    private final int maxBatchRows;
    private final long maxWaitNanos;
    private final int rowSize;
    private final int classes;
    private final BlockingQueue<Job> queue;
    private final NDManager manager;
    private final Thread thread;
    private final Object lock = new Object();
    private volatile boolean closed;
    private Job carried; // taken from the queue but did not fit the previous batch; inference thread only
    // The inference thread's pinned input buffer, reused by every batch (each batch's arrays are
    // closed before the next is filled): no direct buffer per batch is left to the collector.
    private final InputBuffer pinned = new InputBuffer(4096);

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong largestBatch = new AtomicLong();

    /** One request: {@code count} rows, flat, and the future its logits complete. */
    private record Job(float[] input, int count, CompletableFuture<float[]> result) {}

    /**
     * Counters since the batcher started.
     *
     * @param requests requests completed (successfully or not)
     * @param rows rows run through the model
     * @param batches forward passes run
     * @param largestBatchRows the most rows in one forward pass
     */
    public record Stats(long requests, long rows, long batches, long largestBatchRows) {

        /** Mean rows per forward pass, 0 before the first. */
        public double meanBatchRows() {
            return batches == 0 ? 0 : (double) rows / batches;
        }
    }

    /**
     * Starts the inference thread.
     *
     * @param model the model; only the inference thread calls its {@code logits}
     * @param maxBatchRows most rows in one forward pass, in [1, 65536]
     * @param maxWait longest time to wait for more requests after the first, in [0, 1 s]
     * @param maxQueuedRequests requests that may wait before {@link #submit} refuses more, at least 1
     */
    public DynamicBatcher(ServedModel model, int maxBatchRows, Duration maxWait, int maxQueuedRequests) {
        if (maxBatchRows < 1 || maxBatchRows > 65_536) {
            throw new IllegalArgumentException("illegal max batch rows: " + maxBatchRows + ", must be in [1, 65536]");
        }
        if (maxWait.isNegative() || maxWait.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException(
                    "illegal max wait: " + maxWait.toMillis() + " ms, must be in [0, 1000] ms");
        }
        if (maxQueuedRequests < 1) {
            throw new IllegalArgumentException(
                    "illegal max queued requests: " + maxQueuedRequests + ", must be at least 1");
        }
        this.model = model;
        this.maxBatchRows = maxBatchRows;
        this.maxWaitNanos = maxWait.toNanos();
        this.rowSize = model.rowSize();
        this.classes = model.classNames().size();
        this.queue = new ArrayBlockingQueue<>(maxQueuedRequests);
        this.manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        this.thread = new Thread(this::loop, "distill-batcher-" + model.name());
        thread.setDaemon(true);
        thread.start();
    }

    /** Most rows in one forward pass; also the most rows one request may carry. */
    public int maxBatchRows() {
        return maxBatchRows;
    }

    /**
     * Queues {@code count} rows for inference.
     *
     * @param input {@code count * rowSize} floats, row-major; not copied, must not be changed
     * @param count rows, in [1, maxBatchRows]
     * @return a future of the logits, {@code count * C} floats row-major; it fails if the forward
     *     pass fails
     * @throws RejectedExecutionException if the queue is full or the batcher is closed
     */
    public CompletableFuture<float[]> submit(float[] input, int count) {
        if (count < 1 || count > maxBatchRows) {
            throw new IllegalArgumentException(
                    "illegal row count: " + count + ", must be in [1, " + maxBatchRows + "]");
        }
        if (input.length != (long) count * rowSize) {
            throw new IllegalArgumentException("input has " + input.length + " floats, " + count + " rows of " + rowSize
                    + " need " + (long) count * rowSize);
        }
        Job job = new Job(input, count, new CompletableFuture<>());
        // Under the lock so that no job can enter the queue after close() has drained it.
        synchronized (lock) {
            if (closed) {
                throw new RejectedExecutionException("model '" + model.name() + "' is shutting down");
            }
            if (!queue.offer(job)) {
                throw new RejectedExecutionException(
                        "model '" + model.name() + "' has " + queue.size() + " requests waiting; try again later");
            }
        }
        return job.result();
    }

    /** Whether the inference thread is running. */
    public boolean isRunning() {
        return !closed && thread.isAlive();
    }

    /** Returns whether the inference thread has exited (after {@link #close()}, normally). */
    public boolean stopped() {
        return !thread.isAlive();
    }

    /** Returns the counters so far. */
    public Stats stats() {
        return new Stats(requests.get(), rows.get(), batches.get(), largestBatch.get());
    }

    private void loop() {
        InferenceThreads.prepare();
        List<Job> batch = new ArrayList<>();
        try {
            while (!closed) {
                batch.clear();
                Job first = carried != null ? carried : queue.take();
                carried = null;
                batch.add(first);
                int n = first.count();
                long deadline = System.nanoTime() + maxWaitNanos;
                while (n < maxBatchRows) {
                    long left = deadline - System.nanoTime();
                    // Past the deadline, still take whatever is already queued: it costs no waiting.
                    Job next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    if (n + next.count() > maxBatchRows) {
                        carried = next;
                        break;
                    }
                    batch.add(next);
                    n += next.count();
                }
                run(batch, n);
            }
        } catch (InterruptedException e) {
            // close() interrupts the thread; it fails whatever is still queued, and the jobs
            // gathered for a batch that never ran fail here, so no caller waits forever.
            RejectedExecutionException stopped =
                    new RejectedExecutionException("model '" + model.name() + "' is shutting down");
            for (Job job : batch) {
                job.result().completeExceptionally(stopped);
            }
            Thread.currentThread().interrupt();
        }
    }

    private void run(List<Job> batch, int n) {
        float[] all = new float[n * rowSize];
        int offset = 0;
        for (Job job : batch) {
            System.arraycopy(job.input(), 0, all, offset, job.input().length);
            offset += job.input().length;
        }
        long[] fs = model.featureShape();
        long[] dims = new long[fs.length + 1];
        dims[0] = n;
        System.arraycopy(fs, 0, dims, 1, fs.length);
        float[] out;
        try (NDManager batchManager = manager.newSubManager()) {
            NDArray logits = model.logits(pinned.upload(batchManager, all, new Shape(dims)));
            if (!logits.getShape().equals(new Shape(n, classes))) {
                throw new IllegalStateException("model '" + model.name() + "' returned logits of shape "
                        + logits.getShape() + " for " + n + " rows, expected (" + n + ", " + classes + ")");
            }
            out = logits.toFloatArray();
        } catch (RuntimeException e) {
            LOG.warn("forward pass of model '{}' over {} rows failed: {}", model.name(), n, e.toString());
            for (Job job : batch) {
                job.result().completeExceptionally(e);
            }
            requests.addAndGet(batch.size());
            return;
        }
        batches.incrementAndGet();
        rows.addAndGet(n);
        largestBatch.accumulateAndGet(n, Math::max);
        requests.addAndGet(batch.size());
        offset = 0;
        for (Job job : batch) {
            float[] part = new float[job.count() * classes];
            System.arraycopy(out, offset, part, 0, part.length);
            offset += part.length;
            job.result().complete(part);
        }
    }

    /**
     * Stops the inference thread after its current forward pass and fails every request still
     * queued. Does not close the model (its owner does, after this returns).
     */
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
        RejectedExecutionException stopped =
                new RejectedExecutionException("model '" + model.name() + "' is shutting down");
        if (carried != null) {
            carried.result().completeExceptionally(stopped);
        }
        for (Job job; (job = queue.poll()) != null; ) {
            job.result().completeExceptionally(stopped);
        }
        if (thread.isAlive()) {
            // A forward pass is still running: closing its arrays under it would crash natively.
            LOG.warn(
                    "model '{}' is still in a forward pass after 10 s; its arrays are left to the process exit",
                    model.name());
            return;
        }
        manager.close();
    }
}
