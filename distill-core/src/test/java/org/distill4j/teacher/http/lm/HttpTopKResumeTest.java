package org.distill4j.teacher.http.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, items 4 and 9, client side over a real loopback server: a top-k collection killed with
 * SIGKILL in a child JVM resumes from its journal without asking any collected window again and
 * ends with the same cache as an uninterrupted run; answers with fewer than k, none, or tokens of
 * another vocabulary, and a teacher whose context is shorter than the window.
 */
@Timeout(120)
class HttpTopKResumeTest {

    static final int K = 3;
    static final String KEY = "test-teacher#corpus#byte#k3#w16";

    @TempDir
    Path dir;

    /** 40 windows of 16 byte tokens from a fixed synthetic corpus. */
    static TokenWindows windows() {
        List<Document> docs = new ArrayList<>();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "dog", "ate", "bone"};
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        while (docs.stream().mapToInt(d -> d.text().length() + 2).sum() < 40 * 16 - 20) {
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < 6 + r.nextInt(6); w++) {
                sb.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            docs.add(new Document("doc" + docs.size(), sb.toString()));
        }
        return TokenWindows.pack(docs, ByteTokenizer.INSTANCE, 16);
    }

    private static CompletionsTopKClient client(FakeCompletionsServer s, int k) {
        return new CompletionsTopKClient(
                URI.create(s.baseUrl()),
                "teacher",
                ApiKey.none(),
                k,
                new RateLimiter(0, 0),
                new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofSeconds(1), 1),
                Duration.ofSeconds(10));
    }

    private static int journaled(Path journal) throws IOException {
        if (!Files.exists(journal)) {
            return 0;
        }
        int n = 0;
        for (String line : Files.readString(journal).split("\n", -1)) {
            n += line.contains("\"type\":\"ok\"") && line.endsWith("}") ? 1 : 0;
        }
        return n;
    }

    @Test
    void aKilledCollectionResumesFromItsJournalWithoutAskingAnyWindowTwice() throws Exception {
        TokenWindows windows = windows();
        int n = windows.size();
        assertThat(n).isBetween(35, 45);
        Path cache = dir.resolve("topk.bin");
        Path journal = HttpTopKCollector.journalFile(cache);
        try (FakeCompletionsServer server = new FakeCompletionsServer().latencyMillis(40)) {
            Process child = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            "-XX:TieredStopAtLevel=1",
                            TopKCollectMain.class.getName(),
                            server.baseUrl(),
                            cache.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("child.txt").toFile())
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (journaled(journal) < 8 && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            child.destroyForcibly(); // SIGKILL
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            int before = journaled(journal);
            assertThat(before)
                    .as("windows journaled before the kill; child: %s", Files.readString(dir.resolve("child.txt")))
                    .isBetween(8, n - 1);
            assertThat(cache).doesNotExist();
            assertThat(HttpTopKCollector.partialFile(cache)).exists();
            Map<String, Integer> askedBefore = server.requestsByPrompt();
            int requestsBefore = server.requests();

            HttpTopKCollector.Result r = HttpTopKCollector.collect(cache, client(server, K), K, windows, 2, KEY);

            assertThat(r.windowsFromJournal()).isEqualTo(before);
            assertThat(r.requests()).isEqualTo(n - before);
            assertThat(server.requests() - requestsBefore)
                    .as("requests of the resumed run")
                    .isEqualTo(n - before);
            // No window is asked twice over both runs, except those in flight when the child died
            // (asked, never journaled): at most one per worker, asked once more.
            Map<String, Integer> asked = server.requestsByPrompt();
            assertThat(asked).hasSize(n);
            long twice = asked.values().stream().filter(c -> c > 1).count();
            assertThat(twice).isLessThanOrEqualTo(askedBefore.size() - before);
            assertThat(asked.values()).allMatch(c -> c <= 2);
            assertThat(journal).doesNotExist();
            assertThat(HttpTopKCollector.partialFile(cache)).doesNotExist();

            // The same cache as an uninterrupted collection.
            Path whole = dir.resolve("whole.bin");
            HttpTopKCollector.Result all = HttpTopKCollector.collect(whole, client(server, K), K, windows, 2, KEY);
            assertThat(all.windowsFromJournal()).isZero();
            assertThat(Files.readAllBytes(cache)).isEqualTo(Files.readAllBytes(whole));
            try (TopKCache c = TopKCache.open(cache, KEY)) {
                assertThat(c.positions()).isEqualTo(windows.targetTokens());
            }
        }
    }

    @Test
    void aFailedCollectionKeepsItsWindowsForTheNextRunWhichAsksOnlyTheRest() throws Exception {
        TokenWindows windows = windows();
        int n = windows.size();
        Path cache = dir.resolve("topk.bin");
        try (FakeCompletionsServer server = new FakeCompletionsServer().noLogprobsAfter(10)) {
            assertThatThrownBy(() -> HttpTopKCollector.collect(cache, client(server, K), K, windows, 1, KEY))
                    .hasMessageContaining("window 10: ")
                    .hasMessageContaining("without log-probabilities")
                    .hasMessageContaining("not retried");
            Thread.sleep(300); // the one request asked ahead (2 per worker) may still be arriving
            int first = server.requests();
            // Window 10 was not retried; window 11 may have been asked ahead before the failure stopped all.
            assertThat(first).as("requests of the failed run").isBetween(11, 12);
            assertThat(server.requestsByPrompt().values()).allMatch(c -> c == 1);
            assertThat(journaled(HttpTopKCollector.journalFile(cache))).isEqualTo(10);
            server.noLogprobsAfter(Integer.MAX_VALUE);

            HttpTopKCollector.Result r = HttpTopKCollector.collect(cache, client(server, K), K, windows, 1, KEY);

            assertThat(r.windowsFromJournal()).isEqualTo(10);
            assertThat(r.requests()).isEqualTo(n - 10);
            assertThat(server.requests()).isEqualTo(first + n - 10);
            // Asked twice: the failed window and, when its request got through, the one asked ahead
            // of it; never a journaled one (the resumed run asked exactly the n - 10 others). The
            // request asked ahead may be cut off by the failure before the server reads its prompt
            // (counted in requests(), not by prompt), so the second is not always seen.
            assertThat(server.requestsByPrompt()).hasSize(n);
            assertThat(server.requestsByPrompt().values())
                    .filteredOn(c -> c > 1)
                    .hasSizeBetween(1, first - 10);
            assertThat(server.requestsByPrompt().values()).allMatch(c -> c <= 2);
            assertThat(r.shortPositions()).isZero();
        }
    }

    @Test
    void fewerThanKAndTokensOfAnotherVocabularyAreCountedAndStoredAsAbsent() throws Exception {
        TokenWindows windows = windows();
        Path cache = dir.resolve("topk.bin");
        try (FakeCompletionsServer server =
                new FakeCompletionsServer().perRow(1).foreignTokens(2)) {
            HttpTopKCollector.Result r = HttpTopKCollector.collect(cache, client(server, K), K, windows, 2, KEY);
            long positions = windows.targetTokens();
            // Every row: the true token (mappable) and two BPE-style strings the byte tokenizer cannot map.
            assertThat(r.shortPositions()).isEqualTo(positions);
            assertThat(r.unmappedTokens()).isEqualTo(2 * positions);
            try (TopKCache c = TopKCache.open(cache, KEY);
                    ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
                var t = c.targets(m, new int[] {0}, 16);
                float[] lp = t.logProbs().toFloatArray();
                long[] ids = t.ids().toLongArray();
                int[] stream = windows.stream();
                for (int p = 0; p < 16; p++) {
                    assertThat(lp[p * K]).isEqualTo(-0.5f);
                    assertThat(ids[p * K]).isEqualTo(stream[p + 1]);
                    assertThat(lp[p * K + 1]).isEqualTo(Float.NEGATIVE_INFINITY); // absent, never invented
                    assertThat(lp[p * K + 2]).isEqualTo(Float.NEGATIVE_INFINITY);
                }
            }
        }
    }

    @Test
    void aTeacherTokenizingDifferentlyIsRefusedAtOnceForTokenLevelKd() throws Exception {
        Path cache = dir.resolve("topk.bin");
        try (FakeCompletionsServer server = new FakeCompletionsServer().foreignEcho(true)) {
            assertThatThrownBy(() -> HttpTopKCollector.collect(cache, client(server, K), K, windows(), 1, KEY))
                    .hasMessageContaining("tokenizes differently")
                    .hasMessageContaining("variant: sequence")
                    .hasMessageContaining("not retried");
            // The collector keeps 2 x concurrency requests queued ahead; with one worker the second may
            // already be on the wire when the first answer is judged (it failed CI once with 2). What
            // "refused at once" promises: no window asked twice, nothing beyond the queue.
            Thread.sleep(300);
            assertThat(server.requests()).isBetween(1, 2);
            assertThat(server.requestsByPrompt().values()).allMatch(n -> n == 1);
        }
    }

    @Test
    void aTeacherWhoseContextIsShorterThanTheWindowIsRefusedNamingBoth() throws Exception {
        Path cache = dir.resolve("topk.bin");
        try (FakeCompletionsServer server = new FakeCompletionsServer().maxContext(16)) {
            assertThatThrownBy(() -> HttpTopKCollector.collect(cache, client(server, K), K, windows(), 1, KEY))
                    .hasMessageContaining("maximum context length is 16")
                    .hasMessageContaining("17 tokens per request")
                    .hasMessageContaining("data.context");
            Thread.sleep(300); // the one request asked ahead (2 per worker) may still be arriving
            assertThat(server.requests()).as("a 400 is not retried").isBetween(1, 2);
            assertThat(server.requestsByPrompt().values()).allMatch(n -> n == 1);
            assertThat(cache).doesNotExist();
        }
    }
}
