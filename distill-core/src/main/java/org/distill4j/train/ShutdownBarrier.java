package org.distill4j.train;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps PyTorch calls out of the JVM's exit. When a process is told to stop (SIGTERM, Ctrl-C) the
 * JVM runs its shutdown hooks and then exits, which runs libtorch's C++ static destructors; a
 * training step still in native code on another thread can then crash the JVM (SIGSEGV in {@code
 * at::accelerator::getAccelerator}, an {@code hs_err_pid*.log} in the working directory and exit
 * status 134 instead of 143; a race, docs/engine.md has the counts).
 *
 * <p>Training loops run each step inside {@link #step()}: a shared hold, uncontended unless the JVM
 * is stopping. The hook of {@link #install} waits for the step in progress to finish (at most its
 * timeout), and from then on no step starts: the loop's thread waits in Java, outside native code,
 * until the process is gone. A step holds the barrier through its checkpoint write, so an
 * interrupted run keeps every checkpoint it started. Without {@link #install} (library use) the
 * holds change nothing.
 */
public final class ShutdownBarrier {

    private static final ShutdownBarrier JVM = new ShutdownBarrier();
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /** A barrier of its own (tests); the training loops use the JVM's, through {@link #step()}. */
    ShutdownBarrier() {}

    /** One step's hold on a barrier; {@link #close()} releases it. */
    public static final class Step implements AutoCloseable {
        private final ReentrantReadWriteLock.ReadLock held;
        private boolean open = true;

        private Step(ReentrantReadWriteLock.ReadLock held) {
            this.held = held;
        }

        /** Releases the hold (once; later calls do nothing). */
        @Override
        public void close() {
            if (open) {
                open = false;
                held.unlock();
            }
        }
    }

    /**
     * Enters a step of the JVM's barrier: returns at once unless the JVM is shutting down with the
     * barrier installed, in which case it never returns. Holds nest; use with try-with-resources.
     */
    public static Step step() {
        return JVM.enter();
    }

    /**
     * Installs the JVM's shutdown hook, once per JVM (later calls do nothing and return false). When
     * the JVM shuts down while a step is held, the hook prints {@code message} to {@code err} and
     * waits for the step to end, at most {@code timeout}; after that the JVM exits as it would have.
     *
     * @param timeout longest wait for a step in progress, positive
     * @return whether this call installed it
     */
    public static boolean install(Duration timeout, PrintStream err, String message) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        if (!INSTALLED.compareAndSet(false, true)) {
            return false;
        }
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> JVM.close(timeout, err, message), "distill-shutdown-barrier"));
        return true;
    }

    /** Whether a step of the JVM's barrier is held now, by any thread (tests). */
    static boolean heldInJvm() {
        return JVM.held();
    }

    Step enter() {
        ReentrantReadWriteLock.ReadLock read = lock.readLock();
        read.lock();
        return new Step(read);
    }

    boolean held() {
        return lock.getReadLockCount() > 0;
    }

    /**
     * What the hook does: prints {@code message} if a step is held, then waits for the steps in
     * progress to end (at most {@code timeout}) and keeps every later step from starting.
     *
     * @return whether the steps ended in time
     */
    boolean close(Duration timeout, PrintStream err, String message) {
        if (held()) {
            err.println(message);
            err.flush();
        }
        try {
            // Never released: no step starts while the JVM tears libtorch down.
            return lock.writeLock().tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
