package org.distill4j.spark;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.distill4j.io.AtomicFiles;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.distill4j.teacher.http.lm.CompletionsTopKClient;
import org.distill4j.teacher.http.lm.HttpTopKCollector;

/**
 * A language-model teacher over HTTP on Spark ({@code /v1/completions} with {@code echo} and {@code
 * logprobs}, as {@code distill run} asks it). Each partition is a range of the corpus's windows,
 * collected by the single-machine {@link HttpTopKCollector} (rate limit, retries and {@code
 * Retry-After}, journal) into its own directory on the shared filesystem, {@code
 * JOURNALS/windows-<from>-<to>/}: a top-k cache file of the range's positions, written through a
 * partial file and a journal of the windows already in it. A task that Spark retries, or a job
 * killed and rerun with the same OUT and partition size, finds them there and asks only the windows
 * not yet answered; once the range is complete its cache file answers every later attempt without a
 * request. The recipe's rate limits are global: each task gets {@code 1/k} of them and of the
 * concurrency, {@code k} being the number of tasks that can run at once. The API key is read on the
 * executor from the recipe's {@code api_key_env}: this function holds only paths and numbers.
 */
final class LmHttpPartitions implements FlatMapFunction<Iterator<long[]>, Row>, Serializable {

    /** Each range's usage report, next to its cache file. */
    static final String USAGE = "usage.json";

    /** The range's cache file in its directory. */
    static final String CACHE = "topk.bin";

    /** Requests per minute when the recipe sets no limit (as {@code distill run}). */
    static final double DEFAULT_REQUESTS_PER_MINUTE = 6000;

    /** Requests in flight when the recipe sets none (as {@code distill run}). */
    static final int DEFAULT_CONCURRENCY = 2;

    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final LmWindows.Source corpus;
    private final String journals;
    private final String cacheKey;
    private final String teacherKey;
    private final int k;
    private final int concurrentTasks;

    /**
     * @param cacheKey the whole collection's top-k cache key; each range's file is keyed by it and
     *     the range
     * @param teacherKey the output's {@code teacher} column
     */
    LmHttpPartitions(
            LmWindows.Source corpus, Path journals, String cacheKey, String teacherKey, int k, int concurrentTasks) {
        this.corpus = corpus;
        this.journals = journals.toAbsolutePath().toString();
        this.cacheKey = cacheKey;
        this.teacherKey = teacherKey;
        this.k = k;
        this.concurrentTasks = concurrentTasks;
    }

    /** The directory of a window range: stable across task attempts and job reruns. */
    static Path rangeDir(Path journals, long from, long to) {
        return journals.resolve(String.format(Locale.ROOT, "windows-%09d-%09d", from, to));
    }

    /** The key of a range's cache file: the collection's key and the range. */
    static String rangeKey(String cacheKey, long from, long to) {
        return cacheKey + "|windows " + from + "-" + to;
    }

    /** The recipe's global request rate (its default when unset) and this task's share of the limits. */
    static double requestsPerMinute(LmRecipe.Http h) {
        return h.requestsPerMinute() == null && h.tokensPerMinute() == null
                ? DEFAULT_REQUESTS_PER_MINUTE
                : h.requestsPerMinute() == null ? 0 : h.requestsPerMinute();
    }

    static double tokensPerMinute(LmRecipe.Http h) {
        return h.tokensPerMinute() == null ? 0 : h.tokensPerMinute();
    }

    static int concurrency(LmRecipe.Http h) {
        return h.concurrency() == null ? DEFAULT_CONCURRENCY : h.concurrency();
    }

    /** A task's client under its share of the rate limits, the key read here from the environment. */
    static CompletionsTopKClient client(
            LmRecipe.Http h, int k, double requestsPerMinute, double tokensPerMinute, Tokenizer tokenizer)
            throws IOException {
        return new CompletionsTopKClient(
                URI.create(h.url()),
                h.model(),
                h.apiKey(),
                k,
                new RateLimiter(requestsPerMinute, tokensPerMinute),
                RetryPolicy.DEFAULT,
                Duration.ofSeconds(60),
                tokenizer);
    }

    @Override
    public Iterator<Row> call(Iterator<long[]> ranges) throws Exception {
        LmRecipe recipe = LmWindows.recipe(corpus.recipe(), corpus.overrides());
        LmWindows.Loaded loaded = LmWindows.load(corpus);
        TokenWindows windows = loaded.train();
        LmRecipe.Http h = recipe.teacher().http();
        // The global limits shared out over the tasks that can run at once, never multiplied by them.
        int tasks = Math.max(1, concurrentTasks);
        double rpm = requestsPerMinute(h) / tasks;
        double tpm = tokensPerMinute(h) / tasks;
        int inFlight = Math.max(1, concurrency(h) / tasks);
        CompletionsTopKClient client = client(h, k, rpm, tpm, loaded.tokenizer());
        List<Row> out = new ArrayList<>();
        while (ranges.hasNext()) {
            long[] range = ranges.next();
            int from = (int) range[0];
            int to = (int) range[1];
            Path dir = rangeDir(Path.of(journals), from, to);
            Path file = dir.resolve(CACHE);
            String key = rangeKey(cacheKey, from, to);
            long t0 = System.nanoTime();
            long requests0 = client.requests();
            long tokens0 = client.tokens();
            Map<String, Object> usage = new LinkedHashMap<>();
            usage.put("windows", to - from);
            // What this task was allowed: its share of the global limits (the manifest says the same).
            usage.put("requests_per_minute_applied", rpm);
            usage.put("tokens_per_minute_applied", tpm);
            usage.put("concurrency_applied", inFlight);
            if (Files.isRegularFile(file)) {
                // An earlier attempt or run completed this range: nothing to ask.
                JsonNode before = Files.isRegularFile(dir.resolve(USAGE))
                        ? JSON.readTree(dir.resolve(USAGE).toFile())
                        : JSON.createObjectNode();
                usage.put("windows_collected", 0);
                usage.put("windows_from_journal", to - from);
                usage.put("short_positions", before.path("short_positions").asLong());
                usage.put("unmapped_tokens", before.path("unmapped_tokens").asLong());
            } else {
                HttpTopKCollector.Result r =
                        HttpTopKCollector.collect(file, client, k, windows, from, to, inFlight, key);
                usage.put("windows_collected", r.windows() - r.windowsFromJournal());
                usage.put("windows_from_journal", r.windowsFromJournal());
                usage.put("short_positions", r.shortPositions());
                usage.put("unmapped_tokens", r.unmappedTokens());
            }
            long requests = client.requests() - requests0;
            usage.put("requests_sent", requests);
            usage.put("retries", Math.max(0, requests - ((Number) usage.get("windows_collected")).longValue()));
            usage.put("tokens", client.tokens() - tokens0);
            usage.put("seconds", (System.nanoTime() - t0) / 1e9);
            AtomicFiles.writeString(dir.resolve(USAGE), JSON.writeValueAsString(usage) + "\n");
            read(file, key, windows, from, to, out);
        }
        return out.iterator();
    }

    /** Turns a range's cache file into output rows (float16 values, as the single-JVM cache holds them). */
    private void read(Path file, String key, TokenWindows windows, int from, int to, List<Row> out) throws IOException {
        int n = to - from;
        int[] relative = new int[n];
        for (int i = 0; i < n; i++) {
            relative[i] = i;
        }
        try (TopKCache cache = TopKCache.open(file, key);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            TeacherTargets.TopK t = cache.targets(m, relative, windows.contextLength());
            LmTopKScorer.addRows(
                    windows, from, n, k, t.logProbs().toFloatArray(), t.ids().toLongArray(), teacherKey, "", out);
        }
    }

    /**
     * Sums the usage reports of the planned ranges (each written by the attempt that last scored
     * it): counts and tokens add up; seconds are the longest range's.
     *
     * @throws IOException if a range left no report (it was not scored)
     */
    static Map<String, Object> sumUsage(Path journals, List<long[]> plan) throws IOException {
        String[] counts = {
            "windows",
            "windows_collected",
            "windows_from_journal",
            "requests_sent",
            "retries",
            "tokens",
            "short_positions",
            "unmapped_tokens"
        };
        Map<String, Object> sum = new LinkedHashMap<>();
        for (String c : counts) {
            sum.put(c, 0L);
        }
        double longest = 0;
        for (long[] range : plan) {
            Path report = rangeDir(journals, range[0], range[1]).resolve(USAGE);
            if (!Files.isRegularFile(report)) {
                throw new IOException("windows " + range[0] + "-" + range[1] + " left no " + report);
            }
            JsonNode u = JSON.readTree(report.toFile());
            for (String c : counts) {
                sum.put(c, (Long) sum.get(c) + u.path(c).asLong());
            }
            longest = Math.max(longest, u.path("seconds").asDouble());
        }
        sum.put("longest_partition_seconds", longest);
        return sum;
    }
}
