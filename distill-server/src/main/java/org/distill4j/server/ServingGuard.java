package org.distill4j.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.distill4j.guard.ExtractionMonitor;
import org.distill4j.guard.TextQuery;
import org.distill4j.guard.TokenWatermark;
import org.distill4j.guard.Watermark;

/**
 * The guard of {@code distill serve}, plugged into the server's two seams: as {@link
 * RequestObserver} it feeds every request's rows to the {@link ExtractionMonitor} and slows down
 * flagged clients under {@link ExtractionMonitor.Policy#SLOW} (one request per {@code slowInterval},
 * others refused with 429); as {@link OutputFilter} it watermarks the logits with the {@link
 * Watermark} and, under {@link ExtractionMonitor.Policy#DEGRADE}, reduces a flagged client's outputs
 * to top-1 (logit 0 for the top class, -100 for the others, so probabilities are one-hot). Either
 * part may be absent. Language-model requests reach the monitor through {@link #onTextRequest}
 * and are slowed or degraded alike (the vocabulary as classes); a language model's next-token
 * logits get the {@link TokenWatermark} (keyed by the two tokens each follows) through {@link
 * #filterTokens}, a classifier's the {@link Watermark}. {@link #statusDocument()} is what {@code GET /admin/monitor} shows.
 * Thread-safe.
 */
public final class ServingGuard implements RequestObserver, OutputFilter {

    /** Logit given to every class but the top one in degraded outputs. */
    static final float DEGRADED_LOGIT = -100f;

    private final Watermark watermark;
    private final TokenWatermark tokenWatermark;
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
        this(watermark, null, monitor, slowInterval, clock);
    }

    /**
     * Creates the guard of a language model, or of a classifier and a language model served together.
     *
     * @param watermark the classifier's watermark, or null for none
     * @param tokenWatermark the language model's watermark, or null for none
     * @param monitor the extraction monitor, or null for none
     * @param slowInterval the least time between a slowed client's requests
     * @param clock the time source
     */
    public ServingGuard(
            Watermark watermark,
            TokenWatermark tokenWatermark,
            ExtractionMonitor monitor,
            Duration slowInterval,
            Clock clock) {
        this.watermark = watermark;
        this.tokenWatermark = tokenWatermark;
        this.monitor = monitor;
        this.slowInterval = Objects.requireNonNull(slowInterval, "slowInterval");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Returns the monitor's per-client status, or an empty map without a monitor. */
    public Map<String, ExtractionMonitor.ClientStatus> status() {
        return monitor == null ? Map.of() : monitor.status();
    }

    /** Whether this guard has an extraction monitor. */
    public boolean monitoring() {
        return monitor != null;
    }

    /**
     * The monitor's state as the admin endpoint {@code GET /admin/monitor} shows it: the settings
     * and, per client (named by a key fingerprint or an address, never a key), its counters, the
     * detectors' statistics and whether, why and when it was flagged. Statistics not yet defined
     * (NaN) are null.
     */
    public ObjectNode statusDocument() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode doc = f.objectNode();
        if (monitor == null) {
            doc.put("monitor", false);
            return doc;
        }
        ExtractionMonitor.Config c = monitor.config();
        doc.put("monitor", true);
        doc.put("policy", c.policy().name().toLowerCase(java.util.Locale.ROOT));
        doc.put("item_budget", c.itemBudget());
        doc.put("budget_window_s", c.budgetWindow().toSeconds());
        doc.put("delta", c.delta());
        ArrayNode clients = doc.putArray("clients");
        for (ExtractionMonitor.ClientStatus s : monitor.status().values()) {
            ObjectNode o = clients.addObject();
            o.put("client", s.client());
            o.put("requests", s.requests());
            o.put("items", s.items());
            number(o, "spread", s.spread());
            number(o, "median_min_distance", s.medianMinDistance());
            number(o, "shapiro_wilk_w", s.lastW());
            o.put("prompt_tokens", s.promptTokens());
            number(o, "scoring_share", s.scoringShare());
            number(o, "recent_novelty", s.recentNovelty());
            o.put("flagged", s.flagged());
            o.put("reason", s.reason());
            o.put("flagged_at_item", s.flaggedAtItem());
            o.put("flagged_at_request", s.flaggedAtRequest());
        }
        return doc;
    }

    private static void number(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) {
            o.put(field, v);
        } else {
            o.putNull(field);
        }
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
        admit(request, monitor.observe(request.client(), rows, request.rows(), featureSize, clock.instant()));
    }

    @Override
    public void onTextRequest(ClientRequest request, TextQuery query) {
        if (monitor == null) {
            return;
        }
        admit(request, monitor.observeText(request.client(), query, clock.instant()));
    }

    /** Applies the SLOW action: one request per {@code slowInterval}, the others refused with 429. */
    private void admit(ClientRequest request, ExtractionMonitor.Action a) {
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

    @Override
    public float[] filterTokens(ClientRequest request, int[] history, float[] logits, int vocab) {
        float[] out = logits;
        if (tokenWatermark != null) {
            // apply() refuses a history that does not give two tokens per row: an unwatermarked
            // answer must never leave silently.
            out = tokenWatermark.apply(history, logits.clone(), vocab);
        }
        return filter(request, null, out, vocab);
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
