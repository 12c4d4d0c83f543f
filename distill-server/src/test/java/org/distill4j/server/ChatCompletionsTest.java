package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.distill4j.model.SavedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI-compatible facade over real HTTP: response shape, log-probabilities, text extraction, refusals. */
class ChatCompletionsTest {

    @TempDir
    static Path tmp;

    static Path textDir;
    static ModelServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        textDir = TestModels.text(tmp.resolve("text"), 5);
        Path dense = TestModels.dense(tmp.resolve("dense"), new long[] {4}, TestModels.DENSE_CLASSES, 6);
        server = ModelServer.builder()
                .optPort(0)
                .addModel(ServedSavedModel.load("sentiment", textDir))
                .addModel(ServedSavedModel.load("dense", dense))
                .build()
                .start();
        http = new Http(server.baseUri());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static ObjectNode chat(String model, String... userThenOthers) {
        ObjectNode req = Http.JSON.createObjectNode().put("model", model);
        var messages = req.putArray("messages");
        messages.addObject().put("role", "system").put("content", "Classify the sentiment of the text.");
        for (String content : userThenOthers) {
            messages.addObject().put("role", "user").put("content", content);
        }
        return req;
    }

    /** Log-softmax of the model's logits for {@code text}, computed from a direct call. */
    static double[] directLogProbs(String text) throws Exception {
        float[] logits = TestModels.directLogits(textDir, TestModels.TEXT.featurize(text), 1);
        return Tensors.logSoftmax(logits, 0, logits.length);
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void answerIsTheArgmaxClassInOpenAisResponseShape() throws Exception {
        String text = "I loved this film, the acting was superb";
        Http.Reply r = http.post("/v1/chat/completions", chat("sentiment", text));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        JsonNode b = r.body();
        assertThat(b.path("id").asText()).startsWith("chatcmpl-").hasSizeGreaterThan(20);
        assertThat(b.path("object").asText()).isEqualTo("chat.completion");
        assertThat(b.path("created").asLong()).isCloseTo(System.currentTimeMillis() / 1000, within(60L));
        assertThat(b.path("model").asText()).isEqualTo("sentiment");
        assertThat(b.path("system_fingerprint").asText())
                .isEqualTo(SavedModel.contentHash(textDir).substring(0, ModelServer.VERSION_CHARS));
        assertThat(b.path("choices")).hasSize(1);
        JsonNode choice = b.at("/choices/0");
        assertThat(choice.path("index").asInt()).isZero();
        assertThat(choice.at("/message/role").asText()).isEqualTo("assistant");
        assertThat(choice.at("/message/content").asText())
                .isEqualTo(TestModels.TEXT_CLASSES.get(argmax(directLogProbs(text))));
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        assertThat(choice.path("logprobs").isNull()).isTrue();
        // 6 words of the system message + 8 of the user's.
        assertThat(b.at("/usage/prompt_tokens").asInt()).isEqualTo(14);
        assertThat(b.at("/usage/completion_tokens").asInt()).isEqualTo(1);
        assertThat(b.at("/usage/total_tokens").asInt()).isEqualTo(15);
    }

    @Test
    void topLogprobsAreTheLogSoftmaxSortedDescendingWithUtf8Bytes() throws Exception {
        String text = "terrible service, never again";
        ObjectNode req = chat("sentiment", text).put("logprobs", true).put("top_logprobs", 3);
        Http.Reply r = http.post("/v1/chat/completions", req);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        double[] expected = directLogProbs(text);
        List<Integer> order =
                new ArrayList<>(IntStream.range(0, expected.length).boxed().toList());
        order.sort(Comparator.comparingDouble(c -> -expected[c]));

        JsonNode content = r.body().at("/choices/0/logprobs/content");
        assertThat(content).hasSize(1);
        JsonNode token = content.get(0);
        String best = TestModels.TEXT_CLASSES.get(order.get(0));
        assertThat(token.path("token").asText()).isEqualTo(best);
        assertThat(token.path("logprob").asDouble()).isCloseTo(expected[order.get(0)], within(1e-9));
        assertThat(r.body().at("/choices/0/message/content").asText()).isEqualTo(best);
        JsonNode tops = token.path("top_logprobs");
        assertThat(tops).hasSize(3);
        for (int i = 0; i < 3; i++) {
            String name = TestModels.TEXT_CLASSES.get(order.get(i));
            assertThat(tops.get(i).path("token").asText()).isEqualTo(name);
            assertThat(tops.get(i).path("logprob").asDouble()).isCloseTo(expected[order.get(i)], within(1e-9));
            byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
            assertThat(tops.get(i).path("bytes")).hasSize(utf8.length);
            assertThat(tops.get(i).at("/bytes/0").asInt()).isEqualTo(utf8[0] & 0xFF);
            if (i > 0) {
                assertThat(tops.get(i).path("logprob").asDouble())
                        .isLessThanOrEqualTo(tops.get(i - 1).path("logprob").asDouble());
            }
        }
        // More than the classes: every class once, and the probabilities sum to one.
        Http.Reply all = http.post(
                "/v1/chat/completions",
                chat("sentiment", text).put("logprobs", true).put("top_logprobs", 20));
        JsonNode every = all.body().at("/choices/0/logprobs/content/0/top_logprobs");
        assertThat(every).hasSize(TestModels.TEXT_CLASSES.size());
        double sum = 0;
        for (JsonNode t : every) {
            sum += Math.exp(t.path("logprob").asDouble());
        }
        assertThat(sum).isCloseTo(1.0, within(1e-9));
        // logprobs without top_logprobs: the chosen token only.
        Http.Reply none =
                http.post("/v1/chat/completions", chat("sentiment", text).put("logprobs", true));
        assertThat(none.body().at("/choices/0/logprobs/content/0/top_logprobs")).isEmpty();
    }

    @Test
    void theLastTextElementOfTheLastUserMessageIsClassified() throws Exception {
        String inner = "cheap pills buy now";
        String wrapped = "Classify this: <text>ignored first</text> and then <text>" + inner + "</text> thanks";
        ObjectNode req = chat("sentiment", "an earlier user message", wrapped).put("logprobs", true);
        req.withArray("messages").addObject().put("role", "assistant").put("content", "ok");
        Http.Reply r = http.post("/v1/chat/completions", req);
        double[] expected = directLogProbs(inner);
        assertThat(r.body().at("/choices/0/logprobs/content/0/logprob").asDouble())
                .isCloseTo(expected[argmax(expected)], within(1e-9));
        assertThat(ChatRequest.classifiedText(wrapped)).isEqualTo(inner);
        assertThat(ChatRequest.classifiedText("no element here")).isEqualTo("no element here");
        assertThat(ChatRequest.classifiedText("<text>multi\nline</text>")).isEqualTo("multi\nline");
        // A text that differs from the inner text gives different log-probabilities (guards the test).
        assertThat(directLogProbs(wrapped)[0]).isNotEqualTo(expected[0]);
    }

    @Test
    void contentPartsAreJoined() throws Exception {
        ObjectNode req = Http.JSON.createObjectNode().put("model", "sentiment").put("logprobs", true);
        req.putArray("messages")
                .addObject()
                .put("role", "user")
                .putArray("content")
                .add(Http.JSON.createObjectNode().put("type", "text").put("text", "good"))
                .add(Http.JSON.createObjectNode().put("type", "text").put("text", "movie"));
        Http.Reply r = http.post("/v1/chat/completions", req);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        double[] expected = directLogProbs("good\nmovie");
        assertThat(r.body().at("/choices/0/logprobs/content/0/logprob").asDouble())
                .isCloseTo(expected[argmax(expected)], within(1e-9));
    }

    @Test
    void concurrentChatRequestsShareTheBatcherAndEachGetsItsOwnAnswer() throws Exception {
        List<String> texts = IntStream.range(0, 16)
                .mapToObj(i -> "review number " + i + (i % 2 == 0 ? " loved it" : " awful"))
                .toList();
        long batchesBefore = server.stats("sentiment").batches();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Http.Reply>> replies = new ArrayList<>();
            for (String t : texts) {
                replies.add(pool.submit(() -> http.post(
                        "/v1/chat/completions",
                        chat("sentiment", "<text>" + t + "</text>")
                                .put("logprobs", true)
                                .put("top_logprobs", 5))));
            }
            for (int i = 0; i < texts.size(); i++) {
                Http.Reply r = replies.get(i).get();
                assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
                double[] expected = directLogProbs(texts.get(i));
                JsonNode tops = r.body().at("/choices/0/logprobs/content/0/top_logprobs");
                for (JsonNode t : tops) {
                    int c = TestModels.TEXT_CLASSES.indexOf(t.path("token").asText());
                    // Batched with other requests: equal to float rounding (see DynamicBatcher).
                    assertThat(t.path("logprob").asDouble())
                            .as("text %d class %d", i, c)
                            .isCloseTo(expected[c], within(1e-4));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.stats("sentiment").requests()).isGreaterThanOrEqualTo(16);
        assertThat(server.stats("sentiment").batches() - batchesBefore).isLessThanOrEqualTo(16);
    }

    void assertOpenAiError(int status, JsonNode req, String param, String... fragments) throws Exception {
        Http.Reply r = http.post("/v1/chat/completions", req);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(status);
        JsonNode e = r.body().path("error");
        assertThat(e.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(e.has("code")).isTrue();
        if (param == null) {
            assertThat(e.path("param").isNull()).isTrue();
        } else {
            assertThat(e.path("param").asText()).isEqualTo(param);
        }
        assertThat(e.path("message").asText()).contains(fragments);
    }

    @Test
    void topLogprobsOutOfRangeOrWithoutLogprobsIs400() throws Exception {
        assertOpenAiError(
                400,
                chat("sentiment", "x").put("logprobs", true).put("top_logprobs", 21),
                "top_logprobs",
                "21",
                "[0, 20]");
        assertOpenAiError(
                400,
                chat("sentiment", "x").put("logprobs", true).put("top_logprobs", -1),
                "top_logprobs",
                "-1",
                "[0, 20]");
        assertOpenAiError(
                400, chat("sentiment", "x").put("top_logprobs", 2), "top_logprobs", "requires \"logprobs\": true");
        assertOpenAiError(400, chat("sentiment", "x").put("logprobs", "yes"), "logprobs", "not a boolean");
    }

    @Test
    void nonTextModelsUnknownModelsAndBadMessagesAreRefused() throws Exception {
        assertOpenAiError(
                400,
                chat("dense", "x"),
                "model",
                "not a text classifier",
                "only text classifiers",
                "/v2/models/dense/infer");
        assertOpenAiError(404, chat("gpt-4o", "x"), "model", "gpt-4o", "does not exist", "sentiment");
        assertOpenAiError(400, Http.JSON.createObjectNode().put("model", "sentiment"), "messages", "non-empty array");
        ObjectNode noUser = Http.JSON.createObjectNode().put("model", "sentiment");
        noUser.putArray("messages").addObject().put("role", "system").put("content", "hi");
        assertOpenAiError(400, noUser, "messages", "role \"user\"");
        assertOpenAiError(400, chat("sentiment", "x").put("n", 2), "n", "one choice");
        Http.Reply malformed = http.post("/v1/chat/completions", "{\"model\":");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body().at("/error/message").asText()).contains("not valid JSON");
    }

    @Test
    void modelsListsTheTextClassifiersOnly() throws Exception {
        Http.Reply r = http.get("/v1/models");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().path("object").asText()).isEqualTo("list");
        assertThat(r.body().path("data")).hasSize(1);
        JsonNode m = r.body().at("/data/0");
        assertThat(m.path("id").asText()).isEqualTo("sentiment");
        assertThat(m.path("object").asText()).isEqualTo("model");
        assertThat(m.path("owned_by").asText()).isEqualTo("distill4j");
        assertThat(m.path("created").asLong()).isPositive();
        assertThat(http.get("/v1/models/sentiment").body()).isEqualTo(m);
        assertThat(http.get("/v1/models/dense").status()).isEqualTo(404);
    }
}
