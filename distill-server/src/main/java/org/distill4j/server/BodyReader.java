package org.distill4j.server;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Reads a request body without holding a thread while bytes are awaited (Jetty's demand/read
 * loop), within three limits: at most {@link Limits#maxBytes()} bytes (413), no slower than
 * {@link Limits#minBytesPerSecond()} averaged since the request began once the first {@link
 * #GRACE} has passed (408), and complete within {@link Limits#timeout()} (408). A stalled body is
 * caught by the same clock, which checks every {@link #CHECK_PERIOD}.
 *
 * <p>A body over the limit is answered with 413 only after it has been read and dropped, up to
 * {@link #DRAIN_BYTES} past the limit (still under the rate and deadline limits): a server that answers and
 * closes while the client is still sending makes many clients (Java's {@code HttpClient} among
 * them) see a reset connection instead of the 413. Past that the 413 is sent at once.
 *
 * <p>Exactly one of the two callbacks runs, once: {@code onBody} on a pool thread (it may block,
 * e.g. on inference), {@code onError} on any thread (it must not block).
 */
final class BodyReader implements Runnable {

    /** Time before the minimum rate applies: connection set-up and the first bytes. */
    static final long GRACE_MILLIS = 1000;

    static final Duration GRACE = Duration.ofMillis(GRACE_MILLIS);
    /** How often the rate and the deadline are checked while a body is incomplete. */
    static final Duration CHECK_PERIOD = Duration.ofMillis(250);
    /** Most bytes past the limit that are read and dropped before a 413 (never held). */
    static final long DRAIN_BYTES = 4L << 20;

    /**
     * The limits on one request body.
     *
     * @param maxBytes most bytes, at least 1
     * @param minBytesPerSecond lowest average rate after {@link #GRACE}; 0 for none
     * @param timeout longest time from the request's start to the body's last byte
     */
    record Limits(long maxBytes, long minBytesPerSecond, Duration timeout) {}

    private final Request request;
    private final Limits limits;
    private final Consumer<byte[]> onBody;
    private final Consumer<ApiException> onError;
    private final Scheduler scheduler;
    private final long startNanos;
    private final long declared;
    private final AtomicBoolean finished = new AtomicBoolean();
    private byte[] buf;
    private int size;
    private volatile long received;
    private volatile Scheduler.Task timer;
    /** The 413 to answer once the rest of an over-limit body is drained; null while within it. */
    private ApiException tooLarge;

    private long drained;

    private BodyReader(Request request, Limits limits, Consumer<byte[]> onBody, Consumer<ApiException> onError) {
        this.request = request;
        this.limits = limits;
        this.onBody = onBody;
        this.onError = onError;
        this.scheduler = request.getComponents().getScheduler();
        // The clock starts when the request's headers arrived, so a slow start counts too.
        long beginNanos = request.getBeginNanoTime();
        this.startNanos = beginNanos != 0 ? beginNanos : System.nanoTime();
        this.declared = request.getLength();
        this.buf = new byte
                [(int) Math.max(256, Math.min(declared < 0 ? 8192 : declared, Math.min(limits.maxBytes, 1 << 20)))];
    }

    /** Whether the request announces a body (a positive Content-Length, or Transfer-Encoding). */
    static boolean hasBody(Request request) {
        var headers = request.getHeaders();
        return request.getLength() > 0
                || headers.contains(org.eclipse.jetty.http.HttpHeader.TRANSFER_ENCODING)
                || headers.getLongField(org.eclipse.jetty.http.HttpHeader.CONTENT_LENGTH) > 0;
    }

    /** Starts reading {@code request}'s body; returns at once. */
    static void read(Request request, Limits limits, Consumer<byte[]> onBody, Consumer<ApiException> onError) {
        BodyReader reader = new BodyReader(request, limits, onBody, onError);
        if (reader.declared > limits.maxBytes) {
            ApiException e = tooLarge(limits, " (" + reader.declared + " bytes)");
            if (reader.declared > limits.maxBytes + DRAIN_BYTES) {
                reader.fail(e);
                return;
            }
            reader.tooLarge = e;
        }
        reader.schedule();
        reader.run();
    }

    /** Reads what has arrived; asks to be called again when more does. */
    @Override
    public void run() {
        while (!finished.get()) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                request.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                Throwable t = chunk.getFailure();
                chunk.release();
                fail(
                        tooLarge != null
                                ? tooLarge
                                : new ApiException(400, "cannot read the request body: " + t, null, "bad_request"));
                return;
            }
            ByteBuffer b = chunk.getByteBuffer();
            int n = b.remaining();
            if (tooLarge == null && (long) size + n > limits.maxBytes) {
                tooLarge = tooLarge(limits, "");
                drained = size;
            }
            if (tooLarge != null) {
                drained += n;
                received = drained;
                boolean last = chunk.isLast();
                chunk.release();
                if (last || drained > limits.maxBytes + DRAIN_BYTES) {
                    fail(tooLarge);
                    return;
                }
                continue;
            }
            if (size + n > buf.length) {
                buf = Arrays.copyOf(buf, (int)
                        Math.min(limits.maxBytes, Math.max((long) buf.length * 2, (long) size + n)));
            }
            b.get(buf, size, n);
            size += n;
            received = size;
            boolean last = chunk.isLast();
            chunk.release();
            if (last) {
                if (finished.compareAndSet(false, true)) {
                    cancel();
                    onBody.accept(size == buf.length ? buf : Arrays.copyOf(buf, size));
                }
                return;
            }
        }
    }

    private void schedule() {
        timer = scheduler.schedule(this::check, CHECK_PERIOD.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The clock: cuts off a body past the deadline or below the minimum rate. */
    private void check() {
        if (finished.get()) {
            return;
        }
        long elapsed = System.nanoTime() - startNanos;
        double seconds = elapsed / 1e9;
        long got = received;
        String progress = got + (declared >= 0 ? " of " + declared : "") + " bytes in "
                + String.format(Locale.ROOT, "%.1f", seconds) + " s";
        if (elapsed >= limits.timeout.toNanos()) {
            fail(new ApiException(
                    408,
                    "request body was not complete within " + describe(limits.timeout) + " (" + progress
                            + "); send the whole body promptly",
                    null,
                    "request_timeout"));
            return;
        }
        if (limits.minBytesPerSecond > 0 && elapsed >= GRACE.toNanos() && got < limits.minBytesPerSecond * seconds) {
            fail(new ApiException(
                    408,
                    "request body arrives at " + String.format(Locale.ROOT, "%.0f", got / seconds)
                            + " bytes/s, below the minimum of " + limits.minBytesPerSecond + " bytes/s (" + progress
                            + ")",
                    null,
                    "request_timeout"));
            return;
        }
        schedule();
    }

    private void fail(ApiException e) {
        if (finished.compareAndSet(false, true)) {
            cancel();
            onError.accept(e);
        }
    }

    private void cancel() {
        Scheduler.Task t = timer;
        if (t != null) {
            t.cancel();
        }
    }

    static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static ApiException tooLarge(Limits limits, String size) {
        return new ApiException(
                413,
                "request body" + size + " exceeds the limit of " + limits.maxBytes
                        + " bytes; send fewer rows per request",
                null,
                "request_too_large");
    }
}
