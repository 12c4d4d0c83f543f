package org.distill4j.train;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.distill4j.data.ExampleStream;
import org.distill4j.data.InputBuffer;
import org.distill4j.loss.DistillationStep;

/**
 * Prepares the next training batch on a second thread while the current one trains: reading its
 * rows, augmenting them, building the loss's weight block from the teacher's table and copying
 * both into pinned buffers, everything of a batch that is host work (about 15% of an MLP
 * student's step, and all of what cached distillation adds on the host). The device work stays
 * on the training thread.
 *
 * <p>Two {@link Slot}s alternate: while the training thread trains slot k, the prefetch thread
 * fills slot k + 1, which the training thread finished with (closing its batch manager) before
 * asking for slot k. Batches are filled one after another in the order they are trained, so the
 * random generators the filling draws from (augmentation) see the same sequence as without
 * prefetching, and training is bit-identical either way. The prefetch thread creates no NDArray
 * and allocates no native memory (the slots' pinned buffers are allocated once).
 *
 * <p>On a loaded machine the prefetch thread may not get a time slice before the training thread
 * needs the batch; waiting for it then cost more than the filling itself (measured: +2-26% wall
 * time per step at two PyTorch threads and a load of 5-9 on 2 cores). So a filling the prefetch
 * thread has not started by then is run by the training thread itself ({@link FutureTask} runs a
 * task once, on whichever thread claims it first), and only one already under way is waited for.
 *
 * <p>Errors and interrupts: an exception of the filling is thrown on the training thread by the
 * {@link #take} that asks for that batch (an {@link IOException} as itself); an interrupt of the
 * training thread (before or while it asks for a batch) stops training there with an {@link
 * InterruptedIOException}, the interrupt flag kept. Before an epoch's stream is closed, {@link
 * #drain} waits for a filling in flight, so the stream is never read after its close; {@link
 * #close} ends the thread. Without prefetching ({@code async} false) the same slots are filled
 * on the training thread.
 */
final class BatchPrefetch implements AutoCloseable {

    /** Name of the prefetch thread (one per training run). */
    static final String THREAD_NAME = "distill4j-batch-prefetch";

    /** One batch's host side, filled by a {@link Filler} and trained by the training thread. */
    static final class Slot {
        final ExampleStream.Batch batch;
        final InputBuffer features;
        final InputBuffer weights;
        /** The loss's host state of this slot's batch (prepared by the filler or the training thread). */
        final DistillationStep step;
        /** Classes per row. */
        final int classes;
        /** Rows of the batch, 0 once the epoch is over. */
        int count;
        /** Whether the filler prepared {@link #step} and filled {@link #weights}. */
        boolean weightsReady;

        Slot(ExampleStream.Batch batch, int classes, DistillationStep step) {
            this.batch = batch;
            this.step = step;
            this.classes = classes;
            this.features = new InputBuffer(Math.max(1, batch.features().length * Float.BYTES));
            this.weights = new InputBuffer(2 * batch.capacity() * classes * Float.BYTES);
        }
    }

    /** Fills a slot with the epoch's next batch; sets {@link Slot#count} (0 at the epoch's end). */
    interface Filler {
        void fill(Slot slot) throws IOException;
    }

    private final ExecutorService executor;
    /** The executor's one thread, once started (joined by {@link #close}). */
    private volatile Thread thread;

    private final Slot[] slots;
    private Filler filler;
    private int current;
    private FutureTask<Void> pending;

    /**
     * @param async whether to fill on a second thread
     * @param first the first slot
     * @param second the second slot
     */
    BatchPrefetch(boolean async, Slot first, Slot second) {
        this.slots = new Slot[] {first, second};
        this.executor = async
                ? Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, THREAD_NAME);
                    t.setDaemon(true);
                    thread = t;
                    return t;
                })
                : null;
    }

    /** Starts an epoch: its first batch is filled now (asynchronously when prefetching). */
    void start(Filler epochFiller) {
        if (pending != null) {
            throw new IllegalStateException("the previous epoch's filling is still in flight");
        }
        this.filler = epochFiller;
        this.current = 0;
        if (executor != null) {
            pending = submit(slots[0]);
        }
    }

    /**
     * Returns the next batch's slot (count 0 at the epoch's end) and starts filling the one after.
     *
     * @throws IOException if reading the batch failed, or the thread was interrupted while waiting
     */
    Slot take() throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            drain();
            throw new InterruptedIOException("training interrupted");
        }
        Slot slot = slots[current];
        if (executor == null) {
            filler.fill(slot);
        } else {
            FutureTask<Void> f = pending;
            pending = null;
            try {
                // If the prefetch thread has not started this filling yet (a loaded machine has not
                // scheduled it), run it here rather than wait for a time slice: FutureTask runs a
                // task once, on whichever thread claims it first.
                f.run();
                f.get();
            } catch (InterruptedException e) {
                pending = f;
                drain();
                Thread.currentThread().interrupt();
                InterruptedIOException stop = new InterruptedIOException("training interrupted");
                stop.initCause(e);
                throw stop;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) {
                    throw io;
                }
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(cause);
            }
            if (slot.count > 0) {
                pending = submit(slots[1 - current]);
            }
        }
        current = 1 - current;
        return slot;
    }

    /** Waits for a filling in flight, if any, ignoring its outcome (interrupts are kept for later). */
    void drain() {
        FutureTask<Void> f = pending;
        pending = null;
        if (f == null) {
            return;
        }
        // Not started: claim it (a filling is host work, quick) so that it never runs after this.
        // Running on the prefetch thread: wait for it below.
        boolean interrupted = Thread.interrupted();
        try {
            f.run();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        interrupted = false;
        while (true) {
            try {
                f.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | RuntimeException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for a filling in flight and ends the prefetch thread. */
    @Override
    public void close() {
        drain();
        if (executor != null) {
            executor.shutdown();
            boolean interrupted = false;
            Thread t = thread;
            while (true) {
                try {
                    // The executor terminates when its thread leaves its loop; join it too, so that
                    // no prefetch thread outlives the training run.
                    if (executor.awaitTermination(1, TimeUnit.MINUTES)) {
                        if (t != null) {
                            t.join();
                        }
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private FutureTask<Void> submit(Slot slot) {
        Filler f = filler;
        FutureTask<Void> task = new FutureTask<>(() -> {
            f.fill(slot);
            return null;
        });
        executor.execute(task);
        return task;
    }
}
