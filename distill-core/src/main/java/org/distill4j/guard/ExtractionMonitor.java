package org.distill4j.guard;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-client accounting of served queries and a detector of bulk model extraction, with a policy
 * applied to flagged clients.
 *
 * <p>Two detectors, either of which flags a client:
 * <ul>
 *   <li><b>Distance distribution</b> (PRADA, Juuti et al. 2019): for each query row, its minimum
 *       L2 distance to the client's earlier rows (a growing set: a row joins it when its distance
 *       is above mean - sd of the distances so far, as in PRADA). Rows drawn naturally give
 *       distances that are close to normally distributed; synthetic probes (perturbations of
 *       seeds, as Jacobian-based augmentation makes, interpolations, noise) do not. Every {@code
 *       checkEvery} rows once {@code minDistances} distances exist, Shapiro-Wilk W of the last
 *       {@code window} distances (3-sigma outliers removed) is compared with {@code delta}.
 *       Deviation from PRADA: distances are taken to all earlier rows, not per predicted class,
 *       because the monitor runs before the model.
 *   <li><b>Volume</b>: more than {@code itemBudget} rows within {@code budgetWindow}. A bulk
 *       labelling job ({@code distill label}) sends natural data too, so only its volume and rate
 *       tell it from a user's traffic; this is a quota with a reason, not a content test.
 * </ul>
 *
 * <p>Language-model requests ({@link #observeText}) have no dense rows; two detectors suited to
 * text take the place of the two above:
 * <ul>
 *   <li><b>Scoring sweep</b>: at least {@value #SWEEP_SHARE_PERCENT}% of the client's last
 *       {@value #SWEEP_WINDOW} requests score their prompts ({@code echo} + {@code logprobs}, the
 *       request a top-k collector sends) and their positions are on average at least {@value
 *       #SWEEP_NOVELTY_PERCENT}% novel: in token contexts (8-grams) this client never sent before.
 *       A collector walks a corpus window by window, so nearly every position is new; a chat user
 *       resends the conversation, generates rather than scores, and asks for few log-probabilities.
 *   <li><b>Volume</b>: the items counted against {@code itemBudget} are the positions at which
 *       the client receives the model's log-probabilities in contexts new to it (novel scored
 *       prompt positions, plus every generated position with {@code logprobs}): the size of the
 *       transfer set token-level distillation needs. Plain text generation counts no items.
 * </ul>
 *
 * <p>A flagged client stays flagged; what happens to its requests is the {@link Policy} chosen at
 * start-up. Thread-safe; per-client state is bounded ({@code maxStored} rows kept).
 */
public final class ExtractionMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(ExtractionMonitor.class);

    /** Language-model requests the scoring-sweep test looks at (the client's most recent). */
    public static final int SWEEP_WINDOW = 32;

    /** Percentage of {@link #SWEEP_WINDOW} requests that must score their prompts to flag a sweep. */
    public static final int SWEEP_SHARE_PERCENT = 90;

    /** Least mean novelty of the sweep's positions, in percent. */
    public static final int SWEEP_NOVELTY_PERCENT = 30;

    /** What happens to a flagged client's requests. */
    public enum Policy {
        /** Only log (and show in the status). */
        LOG,
        /** Slow the client down (the server delays or refuses with 429). */
        SLOW,
        /** Return top-1 only, no probabilities or logits. */
        DEGRADE
    }

    /** What the server should do with one request. */
    public enum Action {
        /** Serve it as usual. */
        ALLOW,
        /** Slow it down. */
        SLOW,
        /** Serve top-1 only. */
        DEGRADE
    }

    /**
     * Settings.
     *
     * @param policy what happens to flagged clients
     * @param delta Shapiro-Wilk W below which the distance detector flags, in (0, 1) (PRADA tunes
     *     it per model; 0.90 by default here)
     * @param minDistances distances needed before the first test, >= 12
     * @param checkEvery rows between tests, >= 1
     * @param window distances tested (the most recent), in [minDistances, 5000]
     * @param itemBudget rows allowed per {@code budgetWindow} before the volume detector flags, or 0 for no limit
     * @param budgetWindow the volume window
     * @param maxStored rows kept per client for the distances
     */
    public record Config(
            Policy policy,
            double delta,
            int minDistances,
            int checkEvery,
            int window,
            long itemBudget,
            Duration budgetWindow,
            int maxStored) {

        /** Validates every field, naming it. */
        public Config {
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(budgetWindow, "budgetWindow");
            if (!(delta > 0 && delta < 1)) {
                throw new IllegalArgumentException("illegal delta value: " + delta + ", must be in (0, 1)");
            }
            if (minDistances < 12 || checkEvery < 1 || window < minDistances || window > 5000) {
                throw new IllegalArgumentException("illegal minDistances/checkEvery/window values: " + minDistances
                        + "/" + checkEvery + "/" + window + ", must be >= 12, >= 1, in [minDistances, 5000]");
            }
            if (itemBudget < 0 || maxStored < 1) {
                throw new IllegalArgumentException("illegal itemBudget/maxStored values: " + itemBudget + "/"
                        + maxStored + ", must be >= 0 and >= 1");
            }
        }

        /**
         * Defaults: delta 0.90, tests from 100 distances every 10 rows over the last 1000, 10,000
         * rows/hour, 1000 rows kept per client (for 784 features, about 3 MB per client).
         */
        public static Config defaults(Policy policy) {
            return new Config(policy, 0.90, 100, 10, 1000, 10_000, Duration.ofHours(1), 1000);
        }
    }

    /**
     * One client's accounting, as the status endpoint shows it.
     *
     * @param client the client id (never an API key)
     * @param requests requests seen
     * @param items rows seen
     * @param spread root-mean-square distance of its rows to their centroid (how widely it queries)
     * @param medianMinDistance median of its rows' minimum distances to earlier rows
     * @param lastW the last Shapiro-Wilk W, or NaN before the first test
     * @param flagged whether it is flagged
     * @param reason why, or "" if not flagged
     * @param flaggedAtItem the item count at which it was flagged, or -1
     * @param flaggedAtRequest the request count at which it was flagged, or -1
     * @param promptTokens language models: prompt tokens sent, 0 for classifiers
     * @param scoringShare language models: share of requests that scored their prompts ({@code
     *     echo} + {@code logprobs}), NaN for classifiers
     * @param recentNovelty language models: mean share of novel positions in the last {@link
     *     #SWEEP_WINDOW} requests, NaN for classifiers
     */
    public record ClientStatus(
            String client,
            long requests,
            long items,
            double spread,
            double medianMinDistance,
            double lastW,
            boolean flagged,
            String reason,
            long flaggedAtItem,
            long flaggedAtRequest,
            long promptTokens,
            double scoringShare,
            double recentNovelty) {}

    private final Config config;
    private final Map<String, ClientState> clients = new ConcurrentHashMap<>();

    /** Creates a monitor. */
    public ExtractionMonitor(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Returns the settings. */
    public Config config() {
        return config;
    }

    /**
     * Records one request and returns what to do with it.
     *
     * @param client the client id
     * @param features the request's rows, row-major, {@code featureSize} floats each (null if the
     *     request has no dense features: then only volume is counted)
     * @param rows rows in the request
     * @param featureSize floats per row
     * @param now the request's time
     */
    public Action observe(String client, float[] features, int rows, int featureSize, Instant now) {
        ClientState s = clients.computeIfAbsent(client, c -> new ClientState(c, config));
        synchronized (s) {
            boolean was = s.flagged;
            s.record(features, rows, featureSize, now);
            return act(s, was);
        }
    }

    /**
     * Records one language-model request and returns what to do with it (see the class comment
     * for what counts as an item and when a client is flagged).
     *
     * @param client the client id
     * @param query what the request asks for
     * @param now the request's time
     */
    public Action observeText(String client, TextQuery query, Instant now) {
        Objects.requireNonNull(query, "query");
        ClientState s = clients.computeIfAbsent(client, c -> new ClientState(c, config));
        synchronized (s) {
            boolean was = s.flagged;
            s.recordText(query, now);
            return act(s, was);
        }
    }

    /** Logs a new flag and maps the client's state to an action; call with the client locked. */
    private Action act(ClientState s, boolean was) {
        if (s.flagged && !was) {
            LOG.warn(
                    "Extraction monitor: client {} flagged after {} items ({}); policy {}",
                    s.client,
                    s.items,
                    s.reason,
                    config.policy());
        }
        if (!s.flagged) {
            return Action.ALLOW;
        }
        return switch (config.policy()) {
            case LOG -> Action.ALLOW;
            case SLOW -> Action.SLOW;
            case DEGRADE -> Action.DEGRADE;
        };
    }

    /** Returns one client's status, or null if it has not been seen. */
    public ClientStatus status(String client) {
        ClientState s = clients.get(client);
        if (s == null) {
            return null;
        }
        synchronized (s) {
            return s.status();
        }
    }

    /** Returns every client's status, by client id. */
    public Map<String, ClientStatus> status() {
        Map<String, ClientStatus> out = new LinkedHashMap<>();
        for (String c : new ArrayList<>(clients.keySet())) {
            out.put(c, status(c));
        }
        return out;
    }

    /** One client's state. */
    private static final class ClientState {
        private final String client;
        private final Config config;
        private long requests;
        private long items;
        private final List<float[]> stored = new ArrayList<>();
        private final Deque<Double> distances = new ArrayDeque<>();
        private double distanceSum;
        private double distanceSq;
        private long distanceCount;
        private double[] centroidSum;
        private double squareSum;
        private final Deque<long[]> recent = new ArrayDeque<>();
        private long recentItems;
        private double lastW = Double.NaN;
        private boolean flagged;
        private String reason = "";
        private long flaggedAt = -1;
        private long flaggedAtRequest = -1;
        private long sinceCheck;
        private TextTraffic text;

        ClientState(String client, Config config) {
            this.client = client;
            this.config = config;
        }

        void recordText(TextQuery q, Instant now) {
            if (text == null) {
                text = new TextTraffic();
            }
            requests++;
            long counted = text.record(q, SWEEP_WINDOW);
            count(counted, now);
            if (!flagged) {
                String why = text.sweep(SWEEP_WINDOW, SWEEP_SHARE_PERCENT / 100.0, SWEEP_NOVELTY_PERCENT / 100.0);
                if (why != null) {
                    flag(why);
                }
            }
        }

        void record(float[] features, int rows, int featureSize, Instant now) {
            requests++;
            count(rows, now);
            if (features == null) {
                return;
            }
            recordRows(features, rows, featureSize);
        }

        /** Adds {@code n} items at {@code now} and applies the volume budget. */
        private void count(long n, Instant now) {
            items += n;
            long t = now.toEpochMilli();
            recent.addLast(new long[] {t, n});
            recentItems += n;
            long from = t - config.budgetWindow().toMillis();
            while (!recent.isEmpty() && recent.peekFirst()[0] <= from) {
                recentItems -= recent.pollFirst()[1];
            }
            if (!flagged && config.itemBudget() > 0 && recentItems > config.itemBudget()) {
                flag(String.format(
                        Locale.ROOT,
                        "volume: %d items within %s, budget %d",
                        recentItems,
                        config.budgetWindow(),
                        config.itemBudget()));
            }
        }

        private void recordRows(float[] features, int rows, int featureSize) {
            for (int r = 0; r < rows; r++) {
                float[] x = java.util.Arrays.copyOfRange(features, r * featureSize, (r + 1) * featureSize);
                accumulate(x);
                if (!stored.isEmpty()) {
                    double d = Math.sqrt(minSquaredDistance(x));
                    distances.addLast(d);
                    if (distances.size() > config.window()) {
                        distances.pollFirst();
                    }
                    distanceCount++;
                    distanceSum += d;
                    distanceSq += d * d;
                    double mean = distanceSum / distanceCount;
                    double sd = Math.sqrt(Math.max(0, distanceSq / distanceCount - mean * mean));
                    // PRADA's growing set: only rows that are not close to a kept one join it.
                    if (d > mean - sd && stored.size() < config.maxStored()) {
                        stored.add(x);
                    }
                } else {
                    stored.add(x);
                }
                if (++sinceCheck >= config.checkEvery() && distances.size() >= config.minDistances()) {
                    sinceCheck = 0;
                    check();
                }
            }
        }

        private void accumulate(float[] x) {
            if (centroidSum == null) {
                centroidSum = new double[x.length];
            }
            for (int i = 0; i < x.length; i++) {
                centroidSum[i] += x[i];
                squareSum += (double) x[i] * x[i];
            }
        }

        private double minSquaredDistance(float[] x) {
            double best = Double.POSITIVE_INFINITY;
            for (float[] y : stored) {
                double d = 0;
                for (int i = 0; i < x.length && d < best; i++) {
                    double e = x[i] - y[i];
                    d += e * e;
                }
                best = Math.min(best, d);
            }
            return best;
        }

        private void check() {
            double[] d = distances.stream().mapToDouble(Double::doubleValue).toArray();
            double mean = java.util.Arrays.stream(d).average().orElse(0);
            double sd = Math.sqrt(
                    java.util.Arrays.stream(d).map(v -> (v - mean) * (v - mean)).sum() / d.length);
            double[] kept = java.util.Arrays.stream(d)
                    .filter(v -> Math.abs(v - mean) <= 3 * sd)
                    .toArray();
            if (kept.length < 12) {
                return;
            }
            lastW = ShapiroWilk.test(kept).w();
            if (!flagged && lastW < config.delta()) {
                flag(String.format(
                        Locale.ROOT,
                        "distance distribution: Shapiro-Wilk W = %.3f < delta %.2f over %d " + "distances",
                        lastW,
                        config.delta(),
                        kept.length));
            }
        }

        private void flag(String why) {
            flagged = true;
            reason = why;
            flaggedAt = items;
            flaggedAtRequest = requests;
        }

        ClientStatus status() {
            double spread = Double.NaN;
            if (centroidSum != null && items > 0) {
                long n = distanceCount + 1;
                double c2 = 0;
                for (double v : centroidSum) {
                    c2 += (v / n) * (v / n);
                }
                spread = Math.sqrt(Math.max(0, squareSum / n - c2));
            }
            double median = Double.NaN;
            if (!distances.isEmpty()) {
                double[] d = distances.stream()
                        .mapToDouble(Double::doubleValue)
                        .sorted()
                        .toArray();
                median = d[d.length / 2];
            }
            return new ClientStatus(
                    client,
                    requests,
                    items,
                    spread,
                    median,
                    lastW,
                    flagged,
                    reason,
                    flaggedAt,
                    flaggedAtRequest,
                    text == null ? 0 : text.promptTokens(),
                    text == null ? Double.NaN : text.scoringShare(),
                    text == null ? Double.NaN : text.recentNovelty());
        }
    }
}
