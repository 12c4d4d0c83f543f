package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.train.Evaluation;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.JournalException;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.distill4j.teacher.http.lm.CompletionsTopKClient;
import org.distill4j.teacher.http.lm.HttpLmEvaluation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A served language model evaluated over {@code /v1/completions}: the in-process numbers, and an
 * evaluation cut off part-way that resumes from its journal, asking only the windows it lacked and
 * totalling exactly what an uninterrupted evaluation does.
 */
class HttpLmEvaluationTest {

    @TempDir
    static Path tmp;

    private static TokenWindows windows;

    @BeforeAll
    static void corpus() {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            docs.add(new Document(
                    "d" + i, "package " + i + " ships the tools and the library of the project " + i + "."));
        }
        windows = TokenWindows.pack(docs, ByteTokenizer.INSTANCE, 24);
    }

    @Test
    void anInterruptedEvaluationResumesWithTheWindowsItLackedAndTotalsTheSame() throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny"));
        assertThat(windows.size()).as("windows in the test corpus").isGreaterThan(10);
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .addLanguageModel(ServedLanguageModel.load("teacher", dir))
                .build()
                .start()) {
            URI base = server.baseUri().resolve("/v1");
            // One request at a time throughout: the server then scores every window alone, so its answers
            // do not depend on which requests it batched together (they differ in the last float bits).
            HttpLmEvaluation.Result whole = HttpLmEvaluation.evaluate(client(base), windows, 1);
            assertThat(whole.requests()).isEqualTo(windows.size());
            try (LanguageModel lm = LanguageModel.load(dir)) {
                Evaluation inProcess = Evaluation.of(lm, windows, 16);
                assertThat(whole.evaluation().tokens()).isEqualTo(inProcess.tokens());
                assertThat(whole.evaluation().nats()).isCloseTo(inProcess.nats(), within(1e-5 * inProcess.nats()));
            }

            // A front that passes 3 requests on and refuses every later one (HTTP 400: not retried).
            AtomicInteger passed = new AtomicInteger();
            HttpServer front = refusingAfter(base, 3, passed);
            Path file = tmp.resolve("eval.bin");
            Path journal = HttpLmEvaluation.journalFile(file);
            try {
                URI frontBase =
                        URI.create("http://127.0.0.1:" + front.getAddress().getPort() + "/v1");
                assertThatThrownBy(() -> HttpLmEvaluation.evaluate(client(frontBase), windows, 1, file, "k1"))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("window 3");
            } finally {
                front.stop(0);
            }
            assertThat(file).as("no file that looks complete").doesNotExist();
            // The header and windows 0-2, in order (one request in flight at a time).
            List<String> lines = Files.readAllLines(journal);
            assertThat(lines).hasSize(4);
            assertThat(lines.get(3)).contains("\"key\":\"w2\"");

            // Another evaluation's journal is refused, naming the difference; nothing is asked.
            CompletionsTopKClient other = client(base);
            assertThatThrownBy(() -> HttpLmEvaluation.evaluate(other, windows, 1, file, "k2"))
                    .isInstanceOf(JournalException.class)
                    .hasMessageContaining("evaluation_key")
                    .hasMessageContaining("k2");
            assertThat(other.requests()).isZero();

            // A record of the right evaluation without its top-1 ids is refused, naming the window.
            String intact = Files.readString(journal);
            Files.writeString(journal, intact.replaceFirst(",\"top1\":\\[[-0-9,]*\\]", ""));
            assertThat(Files.readString(journal)).isNotEqualTo(intact);
            assertThatThrownBy(() -> HttpLmEvaluation.evaluate(client(base), windows, 1, file, "k1"))
                    .isInstanceOf(JournalException.class)
                    .hasMessageContaining("window 0 lacks its nats or its");
            Files.writeString(journal, intact);

            // Resumed: only the windows the journal lacks are asked, and the sums are the same to the bit.
            HttpLmEvaluation.Result resumed = HttpLmEvaluation.evaluate(client(base), windows, 1, file, "k1");
            assertThat(resumed.requests()).isEqualTo(windows.size() - 3);
            assertThat(resumed.evaluation().nats()).isEqualTo(whole.evaluation().nats());
            assertThat(resumed.evaluation().tokens())
                    .isEqualTo(whole.evaluation().tokens());
            assertThat(resumed.top1()).isEqualTo(whole.top1());
            assertThat(file).exists();
            assertThat(journal).as("deleted once the evaluation is kept").doesNotExist();

            // Kept: a rerun asks nothing and reads the same numbers, and removes a journal a kill left
            // between the result's rename and the journal's deletion.
            Files.writeString(journal, intact);
            HttpLmEvaluation.Result kept = HttpLmEvaluation.evaluate(client(base), windows, 2, file, "k1");
            assertThat(kept.requests()).isZero();
            assertThat(kept.evaluation().nats()).isEqualTo(whole.evaluation().nats());
            assertThat(kept.top1()).isEqualTo(whole.top1());
            assertThat(journal).doesNotExist();
        }
    }

    /** A loopback front for {@code base} that forwards {@code n} requests, then answers HTTP 400. */
    private static HttpServer refusingAfter(URI base, int n, AtomicInteger passed) throws IOException {
        HttpClient http = HttpClient.newHttpClient();
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/v1/completions", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            byte[] answer;
            int status;
            if (passed.incrementAndGet() <= n) {
                try {
                    HttpResponse<byte[]> r = http.send(
                            HttpRequest.newBuilder(base.resolve("/v1/completions"))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    status = r.statusCode();
                    answer = r.body();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            } else {
                status = 400;
                answer = "{\"error\":{\"message\":\"refused by the test's front\"}}".getBytes();
            }
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, answer.length);
            ex.getResponseBody().write(answer);
            ex.close();
        });
        s.start();
        return s;
    }

    private static CompletionsTopKClient client(URI base) {
        return new CompletionsTopKClient(
                base, "teacher", ApiKey.none(), 1, new RateLimiter(0, 0), RetryPolicy.DEFAULT, Duration.ofSeconds(30));
    }
}
