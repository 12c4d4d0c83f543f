package org.distill4j.teacher.http.lm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.TaskKilled;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.spark.LabelJob;
import org.distill4j.spark.LmTopKJob;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A language-model teacher over HTTP ({@code /v1/completions}, echo + logprobs, a loopback server
 * that checks the bearer key) on Spark {@code local[2,3]}: the top-k cache equals the single-JVM
 * HTTP collection's ({@link HttpTopKCollector}, what {@code distill run} uses) byte for byte, every
 * window is answered once in the whole job, the recipe's rate limit holds for the job as a whole
 * (two tasks share it), a 429's {@code Retry-After} is honoured and retried, a rerun asks nothing,
 * a task killed mid-partition resumes from its range's journal, and the key is in no file Spark or
 * the job writes.
 */
class SparkHttpLmTopKTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY_ENV = "DISTILL_SPARK_TEST_LM_KEY";
    static final int K = 3;
    static final double RPM = 1200; // 20 requests a second for the whole job

    @TempDir
    static Path tmp;

    static FakeCompletionsServer server;
    static Path recipe;
    static TokenWindows windows;
    static String cacheKey;
    /** The single-JVM collection's cache file. */
    static Path single;
    /** How many windows send each prompt (the server counts by prompt). */
    static Map<String, Integer> perPrompt;

    @BeforeAll
    static void start() throws Exception {
        String key = System.getenv(KEY_ENV);
        assertThat(key).as("Surefire sets " + KEY_ENV).isNotBlank();
        String[] words = {"library", "kernel", "python", "module", "driver", "fonts", "data", "tools", "daemon"};
        StringBuilder corpus = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            corpus.append(JSON.writeValueAsString(Map.of(
                            "text",
                            "package " + i + " provides the " + words[i % 9] + " and " + words[(i * 5) % 9]
                                    + " for tests")))
                    .append('\n');
        }
        Path text = Files.writeString(tmp.resolve("corpus.jsonl"), corpus);
        server = new FakeCompletionsServer().requireKey(key);
        recipe = tmp.resolve("lm-http.yaml");
        Files.writeString(recipe, """
                name: spark-lm-http
                seed: 3
                data: {format: text, path: %s, validation: 0.1, test: 0.1, context: 16}
                teacher:
                  terms: mit
                  http: {url: '%s', model: teacher, api_key_env: %s, requests_per_minute: %s, concurrency: 2}
                student:
                  layers: 1
                  width: 16
                  heads: 2
                  training: {steps: 2, batch_size: 4}
                distillation: {variant: topk, k: %d}
                evaluation: {prompts: ["pack"], sample_tokens: 2, generation_tokens: 2}
                """.formatted(text, server.baseUrl(), KEY_ENV, RPM, K));
        LmTrainingCorpus read = LmTrainingCorpus.read(LmRecipe.load(recipe, List.of()));
        windows = read.train();
        // distill run's key for an HTTP teacher: its hash is "http:" + url + "#" + model.
        cacheKey = LmTrainingCorpus.topKCacheKey(
                "http:" + server.baseUrl() + "#teacher", read.trainHash(), ByteTokenizer.INSTANCE.identity(), K, 16);
        single = tmp.resolve("single").resolve("topk.bin");
        HttpTopKCollector.collect(
                single,
                new CompletionsTopKClient(
                        URI.create(server.baseUrl()),
                        "teacher",
                        ApiKey.fromEnv(KEY_ENV),
                        K,
                        new RateLimiter(0, 0),
                        RetryPolicy.DEFAULT,
                        Duration.ofSeconds(30)),
                K,
                windows,
                2,
                cacheKey);
        perPrompt = new HashMap<>();
        int[] stream = windows.stream();
        for (int w = 0; w < windows.size(); w++) {
            int from = w * 16;
            int valid = (int) Math.min(16, windows.targetTokens() - from);
            perPrompt.merge(
                    JSON.writeValueAsString(Arrays.copyOfRange(stream, from, from + valid + 1)), 1, Integer::sum);
        }
        assertThat(server.requestsByPrompt()).isEqualTo(perPrompt); // the reference asked each window once
    }

    static SparkSession spark(Path events) {
        SparkSession.Builder b = SparkSession.builder()
                .master("local[2,3]")
                .appName("distill4j-lm-http-test")
                .config("spark.ui.enabled", "false");
        if (events != null) {
            b.config("spark.eventLog.enabled", "true")
                    .config("spark.eventLog.dir", events.toUri().toString());
        }
        return b.getOrCreate();
    }

    /** Requests per prompt since {@code before}. */
    static Map<String, Integer> since(Map<String, Integer> before) {
        Map<String, Integer> d = new HashMap<>();
        server.requestsByPrompt().forEach((p, n) -> {
            int delta = n - before.getOrDefault(p, 0);
            if (delta > 0) {
                d.put(p, delta);
            }
        });
        return d;
    }

    @Test
    void eachWindowAskedOnceUnderTheGlobalLimitEqualsTheSingleJvmCacheAndARerunAsksNothing() throws Exception {
        int n = windows.size();
        assertThat(n).isGreaterThan(100);
        Path events = Files.createDirectories(tmp.resolve("events"));
        SparkSession spark = spark(events);
        try {
            Map<String, Integer> before = server.requestsByPrompt();
            int timesBefore = server.requestTimes().size();
            int throttledBefore = server.throttled();
            server.tooManyRequests(2, "1"); // the job's first two requests: 429, Retry-After: 1 s
            Path out = tmp.resolve("lm-http-out");
            Path cacheDir = tmp.resolve("run").resolve("cache");
            LmTopKJob.Result r = LmTopKJob.run(
                    spark, LmTopKJob.Config.of(recipe, out).withSizes(16, 48).withCacheDir(cacheDir));

            assertThat(r.windows()).isEqualTo(n);
            assertThat(r.partitions()).isEqualTo((n + 47) / 48);
            assertThat(r.cacheKey()).isEqualTo(cacheKey);
            assertThat(r.cacheFile()).isEqualTo(LmTrainingCorpus.topKCacheFile(cacheDir, cacheKey));
            assertThat(Files.mismatch(r.cacheFile(), single)).isEqualTo(-1L);
            // Every window answered once in the whole job; the two 429s retried after their pause.
            assertThat(since(before)).isEqualTo(perPrompt);
            assertThat(server.throttled() - throttledBefore).isEqualTo(2);

            JsonNode m = JSON.readTree(out.resolve(LabelJob.MANIFEST).toFile());
            assertThat(m.at("/teacher/kind").asText()).isEqualTo(LmTopKJob.HTTP_LM);
            assertThat(m.at("/collection/concurrent_tasks").asInt()).isEqualTo(2);
            assertThat(m.at("/collection/requests_per_minute_global").asDouble())
                    .isEqualTo(RPM);
            assertThat(m.at("/collection/requests_per_minute_per_task").asDouble())
                    .isEqualTo(RPM / 2);
            assertThat(m.at("/collection/concurrency_per_task").asInt()).isEqualTo(1);
            assertThat(m.at("/collection/usage/windows_collected").asLong()).isEqualTo(n);
            assertThat(m.at("/collection/usage/windows_from_journal").asLong()).isZero();
            assertThat(m.at("/collection/usage/requests_sent").asLong()).isEqualTo(n + 2L);
            assertThat(m.at("/collection/usage/retries").asLong()).isEqualTo(2);
            assertThat(m.at("/collection/usage/tokens").asLong()).isEqualTo(windows.targetTokens() + n);

            // The limit is the job's, not each task's: two tasks at RPM/2 each (buckets of one second's
            // worth, 10 requests each) need at least (requests - 20) / 20 s; each at RPM would take half.
            List<Long> times = server.requestTimes()
                    .subList(timesBefore, server.requestTimes().size());
            double span = (times.get(times.size() - 1) - times.get(0)) / 1e9;
            double floor = (times.size() - 2 * RPM / 2 / 60) / (RPM / 60);
            System.out.printf(
                    Locale.ROOT, "global rate: %d requests in %.2f s (floor %.2f s)%n", times.size(), span, floor);
            assertThat(span)
                    .as("seconds between the job's first and last request (%d requests)", times.size())
                    .isGreaterThan(floor - 0.3);

            try (Stream<Path> ranges = Files.list(tmp.resolve("lm-http-out.journals"))) {
                List<Path> dirs = ranges.toList();
                assertThat(dirs).hasSize(r.partitions());
                for (Path d : dirs) {
                    JsonNode u = JSON.readTree(d.resolve("usage.json").toFile());
                    assertThat(u.path("requests_per_minute_applied").asDouble())
                            .as(d.toString())
                            .isEqualTo(RPM / 2);
                    assertThat(u.path("concurrency_applied").asInt()).isEqualTo(1);
                }
            }
            // A rerun (the output removed, as after a job killed before its commit) asks nothing, even
            // streamed (data.streaming: true: executors read the driver's packed token files; the
            // windows and the key are the same).
            int requests = server.requests();
            deleteTree(out);
            LmTopKJob.Result again = LmTopKJob.run(
                    spark,
                    LmTopKJob.Config.of(recipe, out)
                            .withSizes(16, 48)
                            .withCacheDir(tmp.resolve("again"))
                            .withRun(List.of("data.streaming=true"), null, null, false));
            assertThat(server.requests()).isEqualTo(requests);
            assertThat(Files.mismatch(again.cacheFile(), single)).isEqualTo(-1L);
            JsonNode m2 = JSON.readTree(out.resolve(LabelJob.MANIFEST).toFile());
            assertThat(m2.at("/collection/usage/windows_from_journal").asLong()).isEqualTo(n);
            assertThat(m2.at("/collection/usage/requests_sent").asLong()).isZero();
            assertThat(Path.of(m2.at("/inputs/packed").asText())).startsWith(tmp.resolve("again"));
        } finally {
            spark.stop();
        }
        // The key is in no event log, journal, usage report, manifest or output file.
        String key = System.getenv(KEY_ENV);
        List<Path> files;
        try (Stream<Path> s = Files.walk(tmp)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertThat(files).anyMatch(p -> p.startsWith(events));
        assertThat(files).anyMatch(p -> p.toString().endsWith("usage.json"));
        for (Path f : files) {
            assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .as(f.toString())
                    .doesNotContain(key);
        }
    }

    @Test
    void aTaskKilledMidPartitionResumesFromItsJournalAndAsksNoAnsweredWindowTwice() throws Exception {
        SparkSession spark = spark(null);
        Map<Integer, Long> running = new ConcurrentHashMap<>(); // partition -> task id of its attempt
        Map<Long, String> ended = new ConcurrentHashMap<>();
        AtomicInteger killed = new AtomicInteger();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart start) {
                running.put(start.taskInfo().index(), start.taskInfo().taskId());
            }

            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                ended.put(end.taskInfo().taskId(), end.reason().toString());
                if (end.reason() instanceof TaskKilled) {
                    killed.incrementAndGet();
                }
            }
        });
        server.latencyMillis(25);
        try {
            Map<String, Integer> before = server.requestsByPrompt();
            Path out = tmp.resolve("lm-kill");
            CompletableFuture<LmTopKJob.Result> job = CompletableFuture.supplyAsync(() -> {
                try {
                    return LmTopKJob.run(
                            spark,
                            LmTopKJob.Config.of(recipe, out).withSizes(16, 48).withCacheDir(tmp.resolve("kill-cache")));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // Wait until partition 0 (windows 0-47) has journaled some windows, then kill its task.
            Path range =
                    tmp.resolve("lm-kill.journals").resolve(String.format(Locale.ROOT, "windows-%09d-%09d", 0, 48));
            Path journal = HttpTopKCollector.journalFile(range.resolve("topk.bin"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (lines(journal) < 6 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(lines(journal)).as("journal lines before the kill").isBetween(6L, 40L);
            long victim = running.get(0);
            spark.sparkContext().killTaskAttempt(victim, true, "test: killed mid-partition");
            LmTopKJob.Result r = job.get(180, TimeUnit.SECONDS);

            assertThat(killed.get())
                    .as("task attempts killed; ended: %s", ended)
                    .isEqualTo(1);
            assertThat(ended.get(victim)).startsWith("TaskKilled");
            assertThat(Files.mismatch(r.cacheFile(), single)).isEqualTo(-1L);
            // Nothing journaled was asked again: only what was in flight when the task died (asked,
            // never journaled: one request per worker, one worker a task) may be repeated.
            Map<String, Integer> asked = since(before);
            assertThat(asked.keySet()).isEqualTo(perPrompt.keySet());
            int extra = 0;
            for (var e : perPrompt.entrySet()) {
                int got = asked.get(e.getKey());
                assertThat(got).as("requests for a window").isBetween(e.getValue(), e.getValue() + 1);
                extra += got - e.getValue();
            }
            assertThat(extra).as("windows asked twice").isLessThanOrEqualTo(1);
            JsonNode usage = JSON.readTree(range.resolve("usage.json").toFile());
            assertThat(usage.path("windows_from_journal").asLong()).isGreaterThanOrEqualTo(5);
            assertThat(usage.path("windows_collected").asLong()
                            + usage.path("windows_from_journal").asLong())
                    .isEqualTo(48);
        } finally {
            server.latencyMillis(0);
            spark.stop();
        }
    }

    private static long lines(Path file) throws java.io.IOException {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        try (var s = Files.lines(file)) {
            return s.count();
        }
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
