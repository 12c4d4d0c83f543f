package org.distill4j.server;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections whose request line and headers, once begun, are not complete within a
 * deadline: the slowloris defence. Jetty parses headers without a thread, so a trickle of header
 * bytes costs no worker, but it keeps its connection (a {@code maxConnections} slot) for as long as
 * the bytes keep coming, since each byte resets the idle timeout. A sweep every {@link #PERIOD}
 * looks at each connection's parser; a connection between requests (parser at its start) is left
 * to the idle timeout.
 *
 * <p>Reads Jetty's {@code HttpConnection} parser state ({@code internal} package, pinned Jetty
 * version); {@code SlowClientTest} fails if a Jetty upgrade changes it.
 */
final class HeaderDeadline extends AbstractLifeCycle implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);
    static final Duration PERIOD = Duration.ofMillis(250);

    private final AbstractConnector connector;
    private final long timeoutNanos;
    /** When each connection was first seen part-way through headers; touched by the sweep only. */
    private final Map<EndPoint, Long> partialSince = new HashMap<>();

    private volatile Scheduler.Task task;

    HeaderDeadline(AbstractConnector connector, Duration timeout) {
        this.connector = connector;
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    protected void doStart() {
        schedule();
    }

    @Override
    protected void doStop() {
        Scheduler.Task t = task;
        if (t != null) {
            t.cancel();
        }
    }

    private void schedule() {
        task = connector.getScheduler().schedule(this, PERIOD.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
        try {
            sweep(System.nanoTime());
        } catch (RuntimeException e) {
            LOG.warn("header deadline sweep failed: {}", e.toString());
        }
        if (isRunning()) {
            schedule();
        }
    }

    private void sweep(long now) {
        Collection<EndPoint> endPoints = connector.getConnectedEndPoints();
        partialSince.keySet().retainAll(endPoints);
        for (EndPoint ep : endPoints) {
            Connection c = ep.getConnection();
            if (!(c instanceof HttpConnection http) || !inPartialHeaders(http.getParser())) {
                partialSince.remove(ep);
                continue;
            }
            Long since = partialSince.putIfAbsent(ep, now);
            if (since != null && now - since > timeoutNanos) {
                LOG.debug(
                        "closing {}: headers incomplete after {} ms",
                        ep.getRemoteSocketAddress(),
                        TimeUnit.NANOSECONDS.toMillis(now - since));
                partialSince.remove(ep);
                ep.close();
            }
        }
    }

    private static boolean inPartialHeaders(HttpParser parser) {
        return parser.inHeaderState() && !parser.isStart();
    }
}
