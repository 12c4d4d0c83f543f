package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.distill4j.teacher.http.lm.CompletionsTopKClient;
import org.distill4j.teacher.http.lm.PromptTopK;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client side of issue 11.4 against a served LM over loopback: the top-k a collector gets over
 * {@code /v1/completions} (echo, max_tokens 0, logprobs k) are the model's own top-k; transient
 * refusals are retried, permanent ones are not; short or unmappable answers are counted, never filled.
 */
class CompletionsTopKClientTest {

    @TempDir
    static Path tmp;

    @Test
    void collectsTheServedModelsOwnTopKWithRetries() throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny"));
        AtomicInteger calls = new AtomicInteger();
        RequestObserver flaky = r -> {
            if (calls.incrementAndGet() <= 2) {
                throw new RequestRefusedException(503, "overloaded", "try again");
            }
        };
        try (ModelServer server = ModelServer.builder()
                        .optPort(0)
                        .optApiKey("sk-collect")
                        .optRequestObserver(flaky)
                        .addLanguageModel(ServedLanguageModel.load("teacher", dir))
                        .build()
                        .start();
                LanguageModel reference = LanguageModel.load(dir)) {
            int k = 5;
            RetryPolicy fast =
                    new RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(1), 7);
            CompletionsTopKClient client = new CompletionsTopKClient(
                    server.baseUri().resolve("/v1"),
                    "teacher",
                    keyOf("sk-collect"),
                    k,
                    new RateLimiter(0, 0),
                    fast,
                    Duration.ofSeconds(10));
            int[] prompt = TestLms.prompt("the cat sat on the caf\u00e9 mat");
            PromptTopK top = client.score(prompt);
            assertThat(calls.get()).as("two 503s retried, then answered").isEqualTo(3);
            assertThat(top.rows()).isEqualTo(prompt.length - 1);
            assertThat(top.shortRows()).isZero();
            assertThat(top.unmappedTokens()).isZero();
            float[] logits = TestLms.directLogits(reference, prompt);
            for (int p = 0; p < top.rows(); p++) {
                double[] row = Tensors.logSoftmax(logits, p, 258);
                int[] best = LmCompletions.top(row, k);
                for (int j = 0; j < k; j++) {
                    assertThat(top.ids()[p * k + j]).as("row %d rank %d", p, j).isEqualTo(best[j]);
                    assertThat((double) top.logProbs()[p * k + j]).isCloseTo(row[best[j]], within(1e-5));
                }
                assertThat((double) top.actual()[p]).isCloseTo(row[prompt[p + 1]], within(1e-5));
            }

            CompletionsTopKClient wrongModel = new CompletionsTopKClient(
                    server.baseUri().resolve("/v1"),
                    "nope",
                    keyOf("sk-collect"),
                    k,
                    new RateLimiter(0, 0),
                    fast,
                    Duration.ofSeconds(10));
            int before = calls.get();
            assertThatThrownBy(() -> wrongModel.score(prompt))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("HTTP 404")
                    .hasMessageNotContaining("sk-collect");
            assertThat(calls.get())
                    .as("a 404 is not retried (and never reaches the observer)")
                    .isEqualTo(before);
        }
    }

    @Test
    void shortAndUnmappableAnswersAreCountedNotFilled() throws Exception {
        int[] prompt = {256, 'a', 'b'};
        var lp = Http.JSON.readTree("{\"tokens\": [\"<|bos|>\", \"a\", \"b\"], \"token_logprobs\": [null, -1.5, -0.7],"
                + " \"top_logprobs\": [null, {\"a\": -1.5, \"\u00e9t\u00e9\": -2.0, \"bytes:\\\\xc3\": -2.5},"
                + " {\"b\": -0.7, \"c\": -1.1, \"d\": -3.0, \"e\": -4.0}]}");
        PromptTopK top = PromptTopK.parse(lp, prompt, 3);
        assertThat(top.rows()).isEqualTo(2);
        assertThat(top.unmappedTokens()).isEqualTo(1);
        assertThat(top.shortRows()).isEqualTo(1);
        assertThat(top.ids()).containsExactly('a', 0xc3, 'a', 'b', 'c', 'd');
        assertThat(top.logProbs()[2]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(top.logProbs()[1]).isEqualTo(-2.5f);
        assertThatThrownBy(() -> PromptTopK.parse(Http.JSON.nullNode(), prompt, 3))
                .hasMessageContaining("no log-probabilities");
        assertThatThrownBy(() -> PromptTopK.parse(lp, new int[] {256, 'x', 'b'}, 3))
                .hasMessageContaining("tokens[1]");
    }

    private static ApiKey keyOf(String value) throws IOException {
        Path f = tmp.resolve("key.txt");
        java.nio.file.Files.writeString(f, value);
        return ApiKey.fromFile(f);
    }
}
