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
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.JournalException;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sequence-level KD's text from an API teacher (issue 11, item 4) over a real loopback server whose
 * vocabulary is not the student's: continuations journaled, a rerun asks nothing, an interrupted
 * collection resumes, both routes.
 */
@Timeout(60)
class HttpTextCollectorTest {

    @TempDir
    Path dir;

    private static List<Document> docs(int n) {
        List<Document> d = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            d.add(new Document("d" + i, "document number " + i + " talks about caf\u00e9s and more"));
        }
        return d;
    }

    private static CompletionsTextClient client(FakeCompletionsServer s, CompletionsTextClient.Route route) {
        return new CompletionsTextClient(
                URI.create(s.baseUrl()),
                route,
                "teacher",
                ApiKey.none(),
                new RateLimiter(0, 0),
                new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofSeconds(1), 1),
                Duration.ofSeconds(10));
    }

    private static final Map<String, Object> FP = Map.of("model", "teacher", "prompt_bytes", 12);

    /** Collects over the completions route: 12-byte prompts, at most 16 new tokens, temperature 1. */
    private static HttpTextCollector.Result collect(
            FakeCompletionsServer server,
            List<Document> docs,
            long seed,
            long needed,
            int maxRounds,
            int concurrency,
            Path journal,
            Map<String, Object> fingerprint)
            throws IOException {
        return HttpTextCollector.collect(
                client(server, CompletionsTextClient.Route.COMPLETIONS),
                docs,
                12,
                16,
                1.0,
                seed,
                needed,
                maxRounds,
                ByteTokenizer.INSTANCE,
                concurrency,
                journal,
                fingerprint);
    }

    @Test
    void continuationsAreCollectedOnceAndARerunAsksNothing() throws Exception {
        try (FakeCompletionsServer server = new FakeCompletionsServer()) {
            Path journal = dir.resolve("text.journal.jsonl");
            List<Document> docs = docs(20);
            HttpTextCollector.Result r = collect(server, docs, 100, Long.MAX_VALUE, 1, 3, journal, FP);

            assertThat(r.documents()).hasSize(20);
            assertThat(r.requests()).isEqualTo(20);
            assertThat(server.requests()).isEqualTo(20);
            long tokens = 0;
            for (int i = 0; i < 20; i++) {
                String prompt = "document num"; // the first 12 bytes
                String expected = prompt + FakeCompletionsServer.continuation(prompt, 100 + i);
                assertThat(r.documents().get(i).text()).isEqualTo(expected);
                tokens += ByteTokenizer.INSTANCE.encode(expected).length + 2;
            }
            assertThat(r.tokens()).isEqualTo(tokens);
            assertThat(r.promptTokens()).isEqualTo(5 * 20);
            assertThat(r.completionTokens()).isEqualTo(3 * 20);

            HttpTextCollector.Result again = collect(server, docs, 100, Long.MAX_VALUE, 1, 3, journal, FP);
            assertThat(server.requests()).as("a rerun asks nothing").isEqualTo(20);
            assertThat(again.fromJournal()).isEqualTo(20);
            assertThat(again.documents()).isEqualTo(r.documents());

            assertThatThrownBy(() -> collect(
                            server,
                            docs,
                            100,
                            Long.MAX_VALUE,
                            1,
                            3,
                            journal,
                            Map.of("model", "teacher", "prompt_bytes", 13)))
                    .isInstanceOf(JournalException.class)
                    .hasMessageContaining("prompt_bytes: journal 12 vs job 13");
        }
    }

    @Test
    void anInterruptedCollectionResumesAndStopsAtTheTokensNeeded() throws Exception {
        try (FakeCompletionsServer server = new FakeCompletionsServer().failGenerationsAfter(7)) {
            Path journal = dir.resolve("text.journal.jsonl");
            List<Document> docs = docs(40);
            assertThatThrownBy(() -> collect(server, docs, 0, 600, 1, 1, journal, FP))
                    .hasMessageContaining("HTTP 500");
            long journaled = Files.readAllLines(journal).stream()
                    .filter(l -> l.contains("\"type\":\"ok\""))
                    .count();
            assertThat(journaled).isEqualTo(7);
            server.failGenerationsAfter(Integer.MAX_VALUE);
            int before = server.requests();

            HttpTextCollector.Result r = collect(server, docs, 0, 600, 1, 1, journal, FP);

            assertThat(r.fromJournal()).isEqualTo(7);
            assertThat(r.tokens()).isGreaterThanOrEqualTo(600);
            // Blocks of 2 documents of about 50 tokens: it stops at the block that reaches 600.
            assertThat(r.documents().size()).isEven().isLessThan(40);
            assertThat(r.tokens() - 100).isLessThan(600);
            assertThat(server.requests() - before).isEqualTo(r.documents().size() - 7);
        }
    }

    @Test
    void fewDocumentsAreContinuedAgainWithNewSeedsUntilTheTargetAndNoMoreThanMaxRounds() throws Exception {
        try (FakeCompletionsServer server = new FakeCompletionsServer()) {
            List<Document> docs = docs(3);
            HttpTextCollector.Result r =
                    collect(server, docs, 100, 250, 10, 2, dir.resolve("rounds.journal.jsonl"), FP);
            // 39 tokens a document (37 bytes, BOS, EOS): 250 needs 7, so two blocks of 4 requests over 3 documents.
            assertThat(r.documents()).hasSize(8);
            assertThat(r.tokens()).isEqualTo(8 * 39);
            for (int i = 0; i < 8; i++) {
                assertThat(r.documents().get(i).source()).isEqualTo("teacher:d" + i % 3);
                assertThat(r.documents().get(i).text())
                        .isEqualTo("document num" + FakeCompletionsServer.continuation("document num", 100 + i));
            }
            assertThat(r.documents().get(0).text())
                    .as("a second round has new seeds, so new text")
                    .isNotEqualTo(r.documents().get(3).text());

            HttpTextCollector.Result capped =
                    collect(server, docs, 100, Long.MAX_VALUE, 2, 2, dir.resolve("rounds.journal.jsonl"), FP);
            assertThat(capped.documents()).as("two rounds of three documents").hasSize(6);
            assertThat(capped.fromJournal()).isEqualTo(6);
        }
    }

    @Test
    void theChatRouteSendsThePromptAsTheUserMessage() throws Exception {
        try (FakeCompletionsServer server = new FakeCompletionsServer()) {
            HttpTextCollector.Result r = HttpTextCollector.collect(
                    client(server, CompletionsTextClient.Route.CHAT),
                    docs(4),
                    8,
                    16,
                    1.0,
                    5,
                    Long.MAX_VALUE,
                    1,
                    ByteTokenizer.INSTANCE,
                    2,
                    dir.resolve("chat.journal.jsonl"),
                    FP);
            assertThat(server.prompts()).containsOnly("document");
            assertThat(r.documents().get(1).text())
                    .isEqualTo("document" + FakeCompletionsServer.continuation("document", 6));
        }
    }
}
