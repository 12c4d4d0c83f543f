package org.distill4j.teacher.http;

/**
 * Keeps a run under a request rate and a token rate, both per minute, with two token buckets
 * shared by all workers; also pauses every worker while the server has asked for a pause
 * ({@code Retry-After} on a 429).
 *
 * <p>Each bucket refills continuously at {@code rate / 60} units per second and holds at most one
 * second's worth (at least one unit), so requests are paced evenly rather than sent in a burst at
 * the start of each minute: over any window of w seconds at most {@code capacity + rate * w / 60}
 * units are taken. A request is let through when its bucket holds at least min(cost, capacity);
 * it then takes its full cost, which may leave the bucket in debt (a request larger than the
 * capacity is delayed, not refused). Token costs are estimates made before sending; {@link
 * #reconcile} corrects the bucket with the real count from the response's {@code usage}. A rate
 * of 0 means unlimited. Thread-safe.
 */
public final class RateLimiter {

    private final Bucket requests;
    private final Bucket tokens;
    private long pausedUntilNanos = System.nanoTime();

    /**
     * Creates the limiter.
     *
     * @param requestsPerMinute requests per minute, >= 0, 0 = unlimited
     * @param tokensPerMinute prompt + completion tokens per minute, >= 0, 0 = unlimited
     */
    public RateLimiter(double requestsPerMinute, double tokensPerMinute) {
        if (!(requestsPerMinute >= 0) || Double.isInfinite(requestsPerMinute)) {
            throw new IllegalArgumentException("illegal requestsPerMinute value: " + requestsPerMinute
                    + ", must be a finite value >= 0 (0 = unlimited)");
        }
        if (!(tokensPerMinute >= 0) || Double.isInfinite(tokensPerMinute)) {
            throw new IllegalArgumentException("illegal tokensPerMinute value: " + tokensPerMinute
                    + ", must be a finite value >= 0 (0 = unlimited)");
        }
        this.requests = requestsPerMinute == 0 ? null : new Bucket(requestsPerMinute);
        this.tokens = tokensPerMinute == 0 ? null : new Bucket(tokensPerMinute);
    }

    /**
     * Blocks until one request of about {@code estimatedTokens} tokens may be sent, then takes it
     * from both buckets.
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public synchronized void acquire(long estimatedTokens) throws InterruptedException {
        while (true) {
            long now = System.nanoTime();
            long wait = pausedUntilNanos - now;
            if (requests != null) {
                wait = Math.max(wait, requests.waitNanos(1, now));
            }
            if (tokens != null) {
                wait = Math.max(wait, tokens.waitNanos(estimatedTokens, now));
            }
            if (wait <= 0) {
                if (requests != null) {
                    requests.take(1);
                }
                if (tokens != null) {
                    tokens.take(estimatedTokens);
                }
                return;
            }
            // Waiting on the monitor lets a pause or reconciliation from another thread wake us.
            long ms = Math.max(1, wait / 1_000_000);
            wait(ms, 0);
        }
    }

    /**
     * Corrects the token bucket once the real token count of a request is known.
     *
     * @param estimatedTokens what {@link #acquire} took
     * @param actualTokens what the server reported
     */
    public synchronized void reconcile(long estimatedTokens, long actualTokens) {
        if (tokens != null) {
            tokens.refill(System.nanoTime());
            tokens.level = Math.min(tokens.capacity, tokens.level + estimatedTokens - actualTokens);
            notifyAll();
        }
    }

    /** Makes every {@link #acquire} wait until {@code nanos} from now (never shortens a pause). */
    public synchronized void pause(long nanos) {
        long until = System.nanoTime() + nanos;
        if (until - pausedUntilNanos > 0) {
            pausedUntilNanos = until;
        }
        notifyAll();
    }

    private static final class Bucket {
        final double perNano;
        final double capacity;
        double level;
        long last;

        Bucket(double perMinute) {
            this.perNano = perMinute / 60e9;
            this.capacity = Math.max(1, perMinute / 60);
            this.level = capacity;
            this.last = System.nanoTime();
        }

        void refill(long now) {
            level = Math.min(capacity, level + (now - last) * perNano);
            last = now;
        }

        long waitNanos(long cost, long now) {
            refill(now);
            double need = Math.min(cost, capacity) - level;
            return need <= 0 ? 0 : (long) Math.ceil(need / perNano);
        }

        void take(long cost) {
            level -= cost;
        }
    }
}
