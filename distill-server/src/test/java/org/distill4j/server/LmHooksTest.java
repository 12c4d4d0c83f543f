package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.distill4j.lm.model.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving hooks and bounds on a served language model: the request observer sees and may
 * refuse completions, the output filter changes what is sampled and scored, and a full generation
 * queue answers 503 while the scoring path still works.
 */
class LmHooksTest {

    @TempDir
    static Path tmp;

    @Test
    void observerFilterAndBoundedQueue() throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny"));
        List<ClientRequest> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean block = new AtomicBoolean();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        int z = 'z';
        OutputFilter boostZ = (request, logits, classes) -> {
            if (block.get() && request.endpoint().equals("openai.completions")) {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            for (int r = 0; r < logits.length / classes; r++) {
                logits[r * classes + z] += 50;
            }
            return logits;
        };
        RequestObserver observer = r -> {
            seen.add(r);
            if (r.rows() > 3) {
                throw new RequestRefusedException(429, "rate_limited", "too many prompts for " + r.client());
            }
        };
        try (ModelServer server = ModelServer.builder()
                        .optPort(0)
                        .optMaxQueuedRequests(1)
                        .optRequestObserver(observer)
                        .optOutputFilter(boostZ)
                        .addLanguageModel(ServedLanguageModel.load("tiny", dir))
                        .build()
                        .start();
                LanguageModel reference = LanguageModel.load(dir)) {
            Http http = new Http(server.baseUri());
            ObjectNode gen = Http.JSON
                    .createObjectNode()
                    .put("model", "tiny")
                    .put("prompt", "the")
                    .put("max_tokens", 5)
                    .put("temperature", 0);
            Http.Reply r = http.post("/v1/completions", gen);
            assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
            assertThat(r.body().at("/choices/0/text").asText()).isEqualTo("zzzzz");
            assertThat(seen.get(0).endpoint()).isEqualTo("openai.completions");
            assertThat(seen.get(0).model()).isEqualTo("tiny");

            // Scores are those of the filtered logits.
            ObjectNode score = Http.JSON
                    .createObjectNode()
                    .put("model", "tiny")
                    .put("prompt", "ab")
                    .put("max_tokens", 0)
                    .put("echo", true)
                    .put("logprobs", 1);
            JsonNode lp = http.post("/v1/completions", score).body().at("/choices/0/logprobs");
            float[] logits = TestLms.directLogits(reference, TestLms.prompt("ab"));
            for (int i = 0; i < logits.length / 258; i++) {
                logits[i * 258 + z] += 50;
            }
            assertThat(lp.at("/token_logprobs/1").asDouble())
                    .isCloseTo(Tensors.logSoftmax(logits, 0, 258)['a'], within(1e-5));
            assertThat(lp.at("/top_logprobs/1").fieldNames().next()).isEqualTo("z");

            ObjectNode many = score.deepCopy();
            many.putArray("prompt").add("a").add("b").add("c").add("d");
            Http.Reply refused = http.post("/v1/completions", many);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.body().at("/error/code").asText()).isEqualTo("rate_limited");

            // One generation holds the only slot: the next gets 503 at once, scoring still answers.
            block.set(true);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<Http.Reply> first = pool.submit(() -> http.post("/v1/completions", gen));
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            Http.Reply busy = http.post("/v1/completions", gen);
            assertThat(busy.status()).as(busy.raw().body()).isEqualTo(503);
            assertThat(busy.body().at("/error/type").asText()).isEqualTo("server_error");
            Http.Reply busyStream = http.post("/v1/completions", gen.deepCopy().put("stream", true));
            assertThat(busyStream.status()).isEqualTo(503);
            assertThat(http.post(
                                    "/v1/chat/completions",
                                    Http.JSON.readTree(
                                            "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
                            .status())
                    .isEqualTo(503);
            block.set(false);
            release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
            pool.shutdown();
            assertThat(http.post("/v1/completions", gen).status())
                    .as("the slot is free again")
                    .isEqualTo(200);
            // A finished stream gives its slot back too (the event writer closes the answer).
            for (int i = 0; i < 3; i++) {
                var streamed = java.net.http.HttpClient.newHttpClient()
                        .send(
                                java.net.http.HttpRequest.newBuilder(
                                                server.baseUri().resolve("/v1/completions"))
                                        .header("Content-Type", "application/json")
                                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(gen.deepCopy()
                                                .put("stream", true)
                                                .toString()))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(streamed.statusCode())
                        .as("stream %d: %s", i, streamed.body())
                        .isEqualTo(200);
                assertThat(streamed.body()).endsWith("data: [DONE]\n\n");
            }
        }
    }
}
