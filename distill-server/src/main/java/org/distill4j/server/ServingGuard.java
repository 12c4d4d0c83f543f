package org.distill4j.server;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.distill4j.guard.ExtractionMonitor;
import org.distill4j.guard.Watermark;

/**
 * The guard of {@code distill serve}, plugged into the server's two seams: as {@link
 * RequestObserver} it feeds every request's rows to the {@link ExtractionMonitor} and slows down
 * flagged clients under {@link ExtractionMonitor.Policy#SLOW} (one request per {@code slowInterval},
 * others refused with 429); as {@link OutputFilter} it watermarks the logits with the {@link
 * Watermark} and, under {@link ExtractionMonitor.Policy#DEGRADE}, reduces a flagged client's outputs
 * to top-1 (logit 0 for the top class, -100 for the others, so probabilities are one-hot). Either
 * part may be absent. Thread-safe.
 */
public final class ServingGuard implements RequestObserver, OutputFilter {

    /** Logit given to every class but the top one in degraded outputs. */
    static final float DEGRADED_LOGIT = -100f;

    private final Watermark watermark;
    private final ExtractionMonitor monitor;
    private final Duration slowInterval;
    private final Clock clock;
    private final Map<String, Long> lastAdmitted = new ConcurrentHashMap<>();

    /**
     * Creates the guard.
     *
     * @param watermark the served model's watermark, or null for none
     * @param monitor the extraction monitor, or null for none
     * @param slowInterval the least time between a slowed client's requests
     * @param clock the time source
     */
    public ServingGuard(Watermark watermark, ExtractionMonitor monitor, Duration slowInterval, Clock clock) {
        this.watermark = watermark;
        this.monitor = monitor;
        this.slowInterval = Objects.requireNonNull(slowInterval, "slowInterval");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Returns the monitor's per-client status, or an empty map without a monitor. */
    public Map<String, ExtractionMonitor.ClientStatus> status() {
        return monitor == null ? Map.of() : monitor.status();
    }

    @Override
    public void onRequest(ClientRequest request) {
        onRequest(request, null);
    }

    @Override
    public void onRequest(ClientRequest request, float[] rows) {
        if (monitor == null) {
            return;
        }
        int featureSize = rows == null ? 0 : rows.length / request.rows();
        ExtractionMonitor.Action a =
                monitor.observe(request.client(), rows, request.rows(), featureSize, clock.instant());
        if (a == ExtractionMonitor.Action.SLOW) {
            long now = clock.millis();
            Long last = lastAdmitted.get(request.client());
            if (last != null && now - last < slowInterval.toMillis()) {
                throw new RequestRefusedException(
                        429,
                        "rate_limited",
                        "this client is slowed down to one request per " + slowInterval.toMillis()
                                + " ms: its queries look like bulk model extraction");
            }
            lastAdmitted.put(request.client(), now);
        }
    }

    @Override
    public float[] filter(ClientRequest request, float[] logits, int classes) {
        return filter(request, null, logits, classes);
    }

    @Override
    public float[] filter(ClientRequest request, float[] rows, float[] logits, int classes) {
        float[] out = logits;
        if (watermark != null
                && rows != null
                && rows.length == request.rows() * watermark.featureSize()
                && classes == watermark.classes()) {
            out = watermark.logitsBatch(rows, logits);
        }
        if (monitor != null && monitor.config().policy() == ExtractionMonitor.Policy.DEGRADE) {
            ExtractionMonitor.ClientStatus s = monitor.status(request.client());
            if (s != null && s.flagged()) {
                out = topOne(out, classes);
            }
        }
        return out;
    }

    private static float[] topOne(float[] logits, int classes) {
        float[] out = new float[logits.length];
        for (int r = 0; r < logits.length / classes; r++) {
            int top = 0;
            for (int c = 1; c < classes; c++) {
                if (logits[r * classes + c] > logits[r * classes + top]) {
                    top = c;
                }
            }
            for (int c = 0; c < classes; c++) {
                out[r * classes + c] = c == top ? 0f : DEGRADED_LOGIT;
            }
        }
        return out;
    }
}
