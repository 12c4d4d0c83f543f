package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.teacher.http.FakeTeacherServer.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The collector against a real Jetty teacher on loopback, with faults injected. */
@Timeout(60)
class LabelCollectorTest {

    static final String KEY = "sk-test-S3CRET-0123456789abcdef";
    static final String KEY_VAR = "D4J_TEST_API_KEY";
    static final List<String> SENTIMENT = List.of("positive", "negative", "neutral", "mixed");
    /** Short waits so retries cost milliseconds. */
    static final RetryPolicy FAST =
            new RetryPolicy(6, Duration.ofMillis(5), Duration.ofMillis(40), Duration.ofSeconds(3), 42);

    @TempDir
    Path dir;

    private FakeTeacherServer server;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private PrintStream originalErr;

    private FakeTeacherServer start(List<String> labels) throws Exception {
        server = new FakeTeacherServer(KEY, labels);
        return server;
    }

    @AfterEach
    void stop() throws Exception {
        if (originalErr != null) {
            System.setErr(originalErr);
        }
        if (server != null) {
            server.close();
        }
    }

    /** Sends everything written to stderr (where slf4j-simple logs) to a buffer as well. */
    private void captureStderr() {
        originalErr = System.err;
        PrintStream tee = new PrintStream(
                new java.io.OutputStream() {
                    @Override
                    public void write(int b) {
                        stderr.write(b);
                        originalErr.write(b);
                    }
                },
                true,
                StandardCharsets.UTF_8);
        System.setErr(tee);
    }

    static ApiKey key() {
        return ApiKey.fromEnv(KEY_VAR, Map.of(KEY_VAR, KEY));
    }

    private HttpTeacherConfig.Builder openai() {
        return HttpTeacherConfig.builder(Protocol.OPENAI, server.baseUrl(), "fake-chat")
                .optApiKey(key())
                .optRetry(FAST)
                .optTimeout(Duration.ofSeconds(5));
    }

    private HttpTeacherConfig.Builder v2() {
        return HttpTeacherConfig.builder(Protocol.V2, server.baseUrl(), "fake")
                .optApiKey(key())
                .optRetry(FAST)
                .optTimeout(Duration.ofSeconds(5));
    }

    /** Lines of the journal with this {@code type}. */
    private List<String> journal(String type) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(CollectionJournal.FILE))) {
            if (line.contains("\"type\":\"" + type + "\"")) {
                out.add(line);
            }
        }
        return out;
    }

    /** Asserts the journal holds exactly one ok record per key in {@code keys}, and no others. */
    private void assertOkOncePerKey(java.util.Collection<String> keys) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        for (String line : journal("ok")) {
            String key = JournalJson.MAPPER.readTree(line).get("key").asText();
            counts.merge(key, 1, Integer::sum);
        }
        assertThat(counts.keySet()).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(counts.values()).allMatch(n -> n == 1);
    }

    private static java.util.Set<String> keys(HttpTeacherConfig config, ExampleSet data) {
        java.util.Set<String> keys = new java.util.LinkedHashSet<>();
        for (int r = 0; r < data.size(); r++) {
            keys.add(LabelCollector.itemKey(config, data, r));
        }
        return keys;
    }

    private void assertKeyAbsentEverywhere() throws Exception {
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(f)).as(f.toString()).doesNotContain(KEY);
            }
        }
        assertThat(stderr.toString(StandardCharsets.UTF_8)).doesNotContain(KEY);
    }

    @Test
    void openAiLabelsEachUniqueItemOnceFansOutOverDuplicatesAndReconcilesUsage() throws Exception {
        start(SENTIMENT);
        TextSet data = TextSet.cycling(30, 18, SENTIMENT);
        HttpTeacherConfig config = openai().optConcurrency(4).build();
        AtomicLong lastDone = new AtomicLong();
        CollectionResult result = new LabelCollector(config).collect(data, dir, (t, d, f) -> {
            assertThat(t).isEqualTo(18);
            lastDone.accumulateAndGet(d, Math::max);
        });

        assertThat(result.complete()).isTrue();
        assertThat(lastDone.get()).isEqualTo(18);
        assertThat(result.succeededRows()).hasSize(30);
        assertThat(result.outputs().rows()).isEqualTo(30);
        assertThat(result.outputs().dataHash()).isEqualTo(data.contentHash());
        assertThat(result.outputs().teacherKey())
                .isEqualTo(config.identity(SENTIMENT).cacheKey());
        assertThat(result.valueKind()).isEqualTo(ValueKind.LOG_PROBABILITIES);
        for (int r = 0; r < 30; r++) {
            double[] expected = FakeTeacherServer.logSoftmax(data.text(r), 4);
            for (int c = 0; c < 4; c++) {
                assertThat((double) result.outputs().logits()[r * 4 + c])
                        .as("row %d class %d", r, c)
                        .isCloseTo(expected[c], within(1e-5));
            }
            CollectedItem item = result.items().get(r);
            assertThat(item.completion()).isEqualTo(" " + SENTIMENT.get(argmax(expected)));
            assertThat(item.outsideMass()).isCloseTo(0.02, within(1e-6));
            assertThat(item.modelVersion()).isEqualTo("fp_fake_1");
            assertThat(item.model()).isEqualTo("fake-chat");
            assertThat(item.endpoint()).isEqualTo(server.baseUrl() + "/v1/chat/completions");
        }
        for (int u = 0; u < 18; u++) {
            assertThat(server.successesFor(data.text(u)))
                    .as("successes of item %d", u)
                    .isEqualTo(1);
        }
        assertOkOncePerKey(keys(config, data));

        UsageReport usage = result.usage();
        assertThat(usage.requestsSent()).isEqualTo(server.requests()).isEqualTo(18);
        assertThat(usage.responsesByStatus()).isEqualTo(Map.of("200", 18L));
        assertThat(usage.retries()).isZero();
        assertThat(usage.errorsByKind()).isEmpty();
        long prompt = 0;
        for (int u = 0; u < 18; u++) {
            prompt += OpenAiCodec.prompt(HttpTeacherConfig.DEFAULT_TEMPLATE, SENTIMENT, data.text(u))
                            .length()
                    / 4;
        }
        assertThat(usage.promptTokens()).isEqualTo(prompt);
        assertThat(usage.completionTokens()).isEqualTo(36);
        assertThat(List.of(
                        usage.itemsTotal(),
                        usage.itemsUnique(),
                        usage.itemsDeduplicated(),
                        usage.itemsFromJournal(),
                        usage.itemsCollected(),
                        usage.itemsFailed()))
                .containsExactly(30L, 18L, 12L, 0L, 18L, 0L);
        assertThat(UsageReport.read(dir)).isEqualTo(usage);

        // A second run finds everything in the journal and sends nothing.
        CollectionResult again = new LabelCollector(config).collect(data, dir, CollectionListener.none());
        assertThat(server.requests()).isEqualTo(18);
        assertThat(again.usage().itemsFromJournal()).isEqualTo(18);
        assertThat(again.usage().requestsSent()).isZero();
        assertThat(again.outputs().logits()).containsExactly(result.outputs().logits());
    }

    @Test
    void v2SurvivesEveryTransientFaultAndCountsThemByKind() throws Exception {
        List<String> classes = List.of("c0", "c1", "c2", "c3", "c4");
        start(classes).slowMillis(1200);
        // 24 rows, 16 unique: rows 16..23 repeat rows 0..7.
        float[] x = new float[24 * 3];
        for (int r = 0; r < 24; r++) {
            int u = r % 16;
            x[3 * r] = u;
            x[3 * r + 1] = u * 0.5f;
            x[3 * r + 2] = -u;
        }
        ExampleSet data = new InMemoryExampleSet("feats", new long[] {3}, x, new int[24], classes);
        String[] id = new String[24];
        for (int r = 0; r < 24; r++) {
            float[] row = new float[3];
            data.copyFeatures(new int[] {r}, row);
            id[r] = "f:" + java.util.Arrays.toString(row);
        }
        server.fault(id[0], Fault.RATE_LIMIT)
                .fault(id[1], Fault.ERROR_500)
                .fault(id[2], Fault.ERROR_503)
                .fault(id[3], Fault.SLOW)
                .fault(id[5], Fault.CUT_BODY)
                .fault(id[6], Fault.BAD_JSON)
                .fault(id[7], Fault.NAN)
                .fault(id[9], Fault.WRONG_SHAPE)
                .retryAfter("0");
        HttpTeacherConfig config = v2().optBatchSize(4)
                .optConcurrency(3)
                .optTimeout(Duration.ofMillis(500))
                .build();

        CollectionResult result = new LabelCollector(config).collect(data, dir, CollectionListener.none());

        assertThat(result.complete()).as("failed rows %s", result.failedRows()).isTrue();
        assertThat(result.valueKind()).isEqualTo(ValueKind.LOGITS);
        for (int r = 0; r < 24; r++) {
            float[] expected = FakeTeacherServer.logits(id[r], 5);
            float[] actual = java.util.Arrays.copyOfRange(result.outputs().logits(), r * 5, r * 5 + 5);
            assertThat(actual).as("row %d", r).containsExactly(expected);
            assertThat(result.items().get(r).modelVersion()).isEqualTo("7");
        }
        for (int u = 0; u < 16; u++) {
            assertThat(server.successesFor(id[u])).as("successes of item %d", u).isEqualTo(1);
        }
        assertOkOncePerKey(keys(config, data));
        UsageReport usage = result.usage();
        assertThat(usage.errorsByKind())
                .isEqualTo(Map.of(
                        "http_429",
                        1L,
                        "http_5xx",
                        2L,
                        "timeout",
                        1L,
                        "connection",
                        1L,
                        "bad_json",
                        1L,
                        "non_finite",
                        1L,
                        "wrong_shape",
                        1L));
        assertThat(usage.requestsSent()).isEqualTo(server.requests());
        // 4 batches; every other request was a retry (the NaN retry re-sends only the NaN item).
        assertThat(usage.retries()).isEqualTo(usage.requestsSent() - 4).isEqualTo(8);
        assertThat(usage.responsesByStatus())
                .containsEntry("429", (long) server.responses("429"))
                .containsEntry("500", 1L)
                .containsEntry("503", 1L)
                .containsEntry("200", (long) server.responses("200"));
        assertThat(server.responses("slow")).isEqualTo(1);
        assertThat(server.responses("cut")).isEqualTo(1);
        // Item 7 rode with items 5 and 6 through the cut body and the bad JSON, then its own NaN; then alone.
        assertThat(server.requestsFor(id[7])).isEqualTo(4);
        assertThat(server.requestsFor(id[4])).isEqualTo(3);
    }

    @Test
    void v2ProbabilitiesAreStoredAsLogProbabilitiesAndBadOnesRetried() throws Exception {
        List<String> classes = List.of("a", "b", "c");
        start(classes).probabilities(true);
        TextSet data = TextSet.cycling(6, 6, classes);
        server.fault(data.text(2), Fault.BAD_PROBABILITIES);
        HttpTeacherConfig config = v2().optV2Input(HttpTeacherConfig.V2Input.TEXT, "text")
                .optV2Output(HttpTeacherConfig.V2Output.PROBABILITIES, "logits")
                .optBatchSize(3)
                .build();
        CollectionResult result = new LabelCollector(config).collect(data, dir, CollectionListener.none());
        assertThat(result.complete()).isTrue();
        assertThat(result.valueKind()).isEqualTo(ValueKind.LOG_PROBABILITIES);
        for (int r = 0; r < 6; r++) {
            double[] expected = FakeTeacherServer.logSoftmax(data.text(r), 3);
            for (int c = 0; c < 3; c++) {
                assertThat((double) result.outputs().logits()[r * 3 + c]).isCloseTo(expected[c], within(1e-5));
            }
        }
        assertThat(result.usage().errorsByKind()).isEqualTo(Map.of("bad_probabilities", 1L));
        assertThat(server.requestsFor(data.text(2))).isEqualTo(2);
        assertThat(server.requestsFor(data.text(1))).isEqualTo(1);
    }

    @Test
    void aPersistentlyMalformedItemIsReportedFailedNotLabelledAndRetriedOnResume() throws Exception {
        start(SENTIMENT);
        captureStderr();
        TextSet data = TextSet.cycling(8, 4, SENTIMENT);
        String bad = data.text(1);
        String echo = data.text(2);
        String noLabel = data.text(3);
        server.fault(bad, Fault.BAD_JSON, Fault.BAD_JSON, Fault.BAD_JSON)
                .fault(noLabel, Fault.NO_LABEL)
                .fault(echo, Fault.ECHO_KEY_400);
        HttpTeacherConfig config = openai().optRetry(
                        new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofSeconds(1), 7))
                .build();

        CollectionResult result = new LabelCollector(config).collect(data, dir, CollectionListener.none());

        assertThat(result.succeededRows()).containsExactly(0, 4);
        assertThat(result.outputs().rows()).isEqualTo(2);
        assertThat(result.outputs().dataHash()).isNotEqualTo(data.contentHash());
        assertThat(result.failedRows())
                .extracting(CollectionResult.FailedRow::row)
                .containsExactly(1, 2, 3, 5, 6, 7);
        // Malformed three times in a row: retried up to the limit, then reported, never a label.
        CollectionResult.FailedRow malformed = result.failedRows().get(0);
        assertThat(malformed.kind()).isEqualTo("bad_json");
        assertThat(malformed.attempts()).isEqualTo(3);
        // No label in the top k: at temperature 0 asking again would repeat it, so it is not retried.
        CollectionResult.FailedRow unlabelled = result.failedRows().get(2);
        assertThat(unlabelled.kind()).isEqualTo("label_not_in_top_k");
        assertThat(unlabelled.attempts()).isEqualTo(1);
        assertThat(unlabelled.message()).contains("The answer");
        assertThat(server.requestsFor(noLabel)).isEqualTo(1);
        CollectionResult.FailedRow rejected = result.failedRows().get(1);
        assertThat(rejected.kind()).isEqualTo("http_4xx");
        assertThat(rejected.attempts()).isEqualTo(1);
        assertThat(rejected.message())
                .contains("HTTP 400")
                .contains("[REDACTED]")
                .doesNotContain(KEY);
        assertThat(server.requestsFor(echo)).isEqualTo(1);
        assertThat(server.requestsFor(bad)).isEqualTo(3);
        assertThat(result.usage().errorsByKind())
                .isEqualTo(Map.of("bad_json", 3L, "label_not_in_top_k", 1L, "http_4xx", 1L));
        assertThat(result.usage().itemsFailed()).isEqualTo(3);
        assertThat(journal("failed")).hasSize(3);
        assertThat(journal("ok")).hasSize(1);
        assertKeyAbsentEverywhere();

        // Resume: the failed items are retried (the server is healthy now), the completed ones are not.
        CollectionResult resumed = new LabelCollector(config).collect(data, dir, CollectionListener.none());
        assertThat(resumed.complete()).isTrue();
        assertThat(resumed.usage().itemsFromJournal()).isEqualTo(1);
        assertThat(resumed.usage().itemsCollected()).isEqualTo(3);
        assertThat(server.successesFor(data.text(0))).isEqualTo(1);
        assertThat(server.successesFor(bad)).isEqualTo(1);
        assertOkOncePerKey(keys(config, data));
        assertThat(CollectionJournal.read(dir).failed()).isEmpty();
        assertKeyAbsentEverywhere();
    }

    @Test
    void anAnswerMostlyOutsideTheLabelsIsKeptRenormalisedAndCounted() throws Exception {
        start(SENTIMENT);
        TextSet data = TextSet.cycling(4, 4, SENTIMENT);
        server.fault(data.text(2), Fault.MOSTLY_OUTSIDE);

        CollectionResult result = new LabelCollector(openai().build()).collect(data, dir, CollectionListener.none());

        assertThat(result.complete()).isTrue();
        assertThat(result.usage().itemsMostlyOutside()).isEqualTo(1);
        CollectedItem outside = result.items().get(2);
        // " The" 0.75 is outside; the listed label 0.2 and the unlisted 0.05 (shared by the three
        // unseen labels) are what is left, renormalised.
        assertThat(outside.outsideMass()).isCloseTo(0.75, within(1e-6));
        assertThat(outside.completion()).isEqualTo("The answer");
        float max = Float.NEGATIVE_INFINITY;
        for (float v : outside.values()) {
            max = Math.max(max, v);
        }
        assertThat(Math.exp(max)).isCloseTo(0.2 / 0.25, within(1e-6));
        assertThat(UsageReport.read(dir).itemsMostlyOutside()).isEqualTo(1);
    }

    @Test
    void retryAfterIsHonoured() throws Exception {
        start(SENTIMENT).retryAfter("1");
        TextSet data = TextSet.cycling(3, 3, SENTIMENT);
        server.fault(data.text(0), Fault.RATE_LIMIT);
        HttpTeacherConfig config = openai().optConcurrency(1).build();
        CollectionResult result = new LabelCollector(config).collect(data, dir, CollectionListener.none());
        assertThat(result.complete()).isTrue();
        List<Long> times = new ArrayList<>();
        for (FakeTeacherServer.Arrival a : server.arrivals()) {
            if (a.items().contains(data.text(0))) {
                times.add(a.nanos());
            }
        }
        assertThat(times).hasSize(2);
        assertThat((times.get(1) - times.get(0)) / 1e6)
                .as("ms between the 429 and the retry")
                .isGreaterThanOrEqualTo(950);
        assertThat(result.usage().responsesByStatus()).containsEntry("429", 1L);
    }

    @Test
    void theRequestRateLimitIsRespected() throws Exception {
        start(List.of("a", "b"));
        TextSet data = TextSet.cycling(50, 50, List.of("a", "b"));
        // 1200/min = 20/s with a burst of one second's worth (20).
        HttpTeacherConfig config = v2().optV2Input(HttpTeacherConfig.V2Input.TEXT, "text")
                .optBatchSize(1)
                .optConcurrency(8)
                .optRateLimits(1200, 0)
                .build();
        long t0 = System.nanoTime();
        new LabelCollector(config).collect(data, dir, CollectionListener.none());
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<Long> t = server.arrivals().stream()
                .map(FakeTeacherServer.Arrival::nanos)
                .sorted()
                .toList();
        assertThat(t).hasSize(50);
        assertThat(seconds).isGreaterThanOrEqualTo((50 - 20) / 20.0 * 0.95);
        // Over any half second at most the burst plus half a second's rate. Arrivals are timed at the
        // server, so requests the limiter spaced out can arrive bunched when the machine stalls the
        // sender: allow a quarter second of delivery jitter (5 requests). A missing limiter sends all
        // 50 within a fraction of a second and a doubled rate 40 per half second; both still fail.
        for (int i = 0; i < t.size(); i++) {
            int n = 0;
            for (int j = i; j < t.size() && t.get(j) - t.get(i) <= 500_000_000L; j++) {
                n++;
            }
            assertThat(n).as("requests in the half second from request %d", i).isLessThanOrEqualTo(20 + 10 + 5);
        }
    }

    @Test
    void aRejectedKeyAbortsTheRunNamingItsSourceButNeverTheKey() throws Exception {
        start(SENTIMENT);
        captureStderr();
        String wrong = "sk-wrong-K3Y-9999999999";
        HttpTeacherConfig config = openai().optApiKey(ApiKey.fromEnv("D4J_OTHER_KEY", Map.of("D4J_OTHER_KEY", wrong)))
                .optConcurrency(2)
                .build();
        TextSet data = TextSet.cycling(20, 20, SENTIMENT);
        assertThatThrownBy(() -> new LabelCollector(config).collect(data, dir, CollectionListener.none()))
                .isInstanceOf(CollectionAbortedException.class)
                .hasMessageContaining("HTTP 401")
                .hasMessageContaining("environment variable D4J_OTHER_KEY")
                .hasMessageContaining("[REDACTED]")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong));
        assertThat(server.requests()).isLessThanOrEqualTo(2);
        assertThat(journal("ok")).isEmpty();
        assertThat(UsageReport.read(dir).errorsByKind()).containsEntry("unauthorized", (long) server.requests());
        for (Path f : List.of(dir.resolve(CollectionJournal.FILE), dir.resolve(UsageReport.FILE))) {
            assertThat(Files.readString(f)).doesNotContain(wrong);
        }
        assertThat(stderr.toString(StandardCharsets.UTF_8)).doesNotContain(wrong);
        assertThat(config.toString()).doesNotContain(wrong);
    }

    @Test
    void aJournalOfAnotherJobIsRefusedWithAWayToStartFresh() throws Exception {
        start(SENTIMENT);
        TextSet data = TextSet.cycling(2, 2, SENTIMENT);
        new LabelCollector(openai().build()).collect(data, dir, CollectionListener.none());
        HttpTeacherConfig other = openai().optPromptTemplate("Label: {labels}\n<text>\n{text}\n</text>")
                .build();
        assertThatThrownBy(() -> new LabelCollector(other).collect(data, dir, CollectionListener.none()))
                .isInstanceOf(JournalException.class)
                .hasMessageContaining("templateSha256")
                .hasMessageContaining("start fresh");
        // Pacing settings are not part of the job: changing them resumes.
        HttpTeacherConfig faster =
                openai().optConcurrency(9).optRateLimits(6000, 0).build();
        assertThat(new LabelCollector(faster)
                        .collect(data, dir, CollectionListener.none())
                        .usage()
                        .itemsFromJournal())
                .isEqualTo(2);
    }

    @Test
    void anUnreachableServerFailsEveryItemAsConnectionAfterTheLastAttempt() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        TextSet data = TextSet.cycling(3, 2, SENTIMENT);
        HttpTeacherConfig config = HttpTeacherConfig.builder(Protocol.OPENAI, "http://127.0.0.1:" + port, "m")
                .optApiKey(key())
                .optRetry(new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(10), Duration.ZERO, 1))
                .optTimeout(Duration.ofSeconds(2))
                .build();
        AtomicLong failed = new AtomicLong();
        CollectionResult result = new LabelCollector(config).collect(data, dir, (t, d, f) -> failed.set(f));
        assertThat(result.succeededRows()).isEmpty();
        assertThat(result.outputs().rows()).isZero();
        assertThat(result.failedRows())
                .extracting(CollectionResult.FailedRow::kind)
                .containsExactly("connection", "connection", "connection");
        assertThat(result.failedRows())
                .extracting(CollectionResult.FailedRow::attempts)
                .containsOnly(3);
        assertThat(failed.get()).isEqualTo(2);
        assertThat(result.usage().requestsSent()).isEqualTo(6);
        assertThat(result.usage().retries()).isEqualTo(4);
        assertThat(result.usage().errorsByKind()).isEqualTo(Map.of("connection", 6L));
        assertThat(result.usage().responsesByStatus()).isEmpty();
    }

    @Test
    void aForbiddenKeyFromAFileAbortsNamingTheFile() throws Exception {
        start(SENTIMENT);
        Path keyFile = dir.resolve("wrong.key");
        Files.writeString(keyFile, "sk-forbidden-77777777\n");
        HttpTeacherConfig config =
                openai().optApiKey(ApiKey.fromFile(keyFile)).optConcurrency(1).build();
        Path journalDir = dir.resolve("journal");
        assertThatThrownBy(() -> new LabelCollector(config)
                        .collect(TextSet.cycling(5, 5, SENTIMENT), journalDir, CollectionListener.none()))
                .isInstanceOf(CollectionAbortedException.class)
                .hasMessageContaining("file " + keyFile.toAbsolutePath())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("sk-forbidden-77777777"));
        assertThat(server.requests()).isEqualTo(1);
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }
}
