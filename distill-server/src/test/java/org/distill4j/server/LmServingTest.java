package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny trained language model served over real HTTP on loopback: {@code /v1/completions} with
 * echo and log-probabilities against the model's own log-softmax, generation against the in-process
 * {@link Generator}, seeds, stop sequences, usage, streams against whole answers, chat, batching of
 * concurrent scoring, and refusals.
 */
class LmServingTest {

    @TempDir
    static Path tmp;

    static Path dir;
    static ModelServer server;
    static Http http;
    static LanguageModel reference;

    @BeforeAll
    static void start() throws Exception {
        dir = TestLms.tiny(tmp.resolve("tiny"));
        reference = LanguageModel.load(dir);
        // DJL on purpose: these tests count batched forward passes; the JVM engine and the default
        // (auto) are served in GenerationBatcherTest, LmBpeServingTest and LmInteropTest.
        server = ModelServer.builder()
                .optPort(0)
                .optMaxWait(Duration.ofMillis(30))
                .optLmEngine(org.distill4j.lm.model.Generator.Engine.DJL)
                .addLanguageModel(ServedLanguageModel.load("tiny", dir))
                .build()
                .start();
        http = new Http(server.baseUri());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (reference != null) {
            reference.close();
        }
    }

    static ObjectNode completion(String prompt) {
        return Http.JSON.createObjectNode().put("model", "tiny").put("prompt", prompt);
    }

    static ObjectNode ok(ObjectNode req) throws Exception {
        Http.Reply r = http.post("/v1/completions", req);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        return (ObjectNode) r.body();
    }

    /** Asserts legacy prompt log-probabilities equal the model's own log-softmax, position by position. */
    static void assertPromptLogprobs(JsonNode lp, String text, int k) {
        int[] ids = TestLms.prompt(text);
        // A prompt of context + 1 tokens: its last token is scored from position context - 1, so the
        // reference runs the first context tokens (all the model can take).
        float[] logits = TestLms.directLogits(
                reference, ids.length > TestLms.CONTEXT ? Arrays.copyOf(ids, ids.length - 1) : ids);
        assertThat(lp.get("tokens")).hasSize(ids.length);
        assertThat(lp.at("/tokens/0").asText()).isEqualTo("<|bos|>");
        assertThat(lp.at("/token_logprobs/0").isNull()).isTrue();
        assertThat(lp.at("/top_logprobs/0").isNull()).isTrue();
        for (int i = 1; i < ids.length; i++) {
            double[] want = Tensors.logSoftmax(logits, i - 1, 258);
            assertThat(lp.get("token_logprobs").get(i).asDouble())
                    .as("position %d", i)
                    .isCloseTo(want[ids[i]], within(1e-5));
            assertThat(lp.get("tokens").get(i).asText()).isEqualTo(TokenText.token(ByteTokenizer.INSTANCE, ids[i]));
            JsonNode top = lp.get("top_logprobs").get(i);
            int[] best = LmCompletions.top(want, k);
            assertThat(top.size()).isBetween(k, k + 1);
            for (int b : best) {
                assertThat(top.path(TokenText.token(ByteTokenizer.INSTANCE, b)).asDouble())
                        .isCloseTo(want[b], within(1e-5));
            }
            assertThat(top.path(TokenText.token(ByteTokenizer.INSTANCE, ids[i])).asDouble())
                    .isCloseTo(want[ids[i]], within(1e-5));
        }
    }

    @Test
    void echoWithZeroMaxTokensScoresEveryPromptToken() throws Exception {
        String text = "the cat sat on a caf\u00e9 mat";
        ObjectNode body =
                ok(completion(text).put("max_tokens", 0).put("echo", true).put("logprobs", 5));
        assertThat(body.path("object").asText()).isEqualTo("text_completion");
        JsonNode c = body.at("/choices/0");
        assertThat(c.path("text").asText()).isEqualTo(text);
        assertThat(c.path("finish_reason").asText()).isEqualTo("length");
        assertPromptLogprobs(c.path("logprobs"), text, 5);
        JsonNode tokens = c.at("/logprobs/tokens");
        int e = text.indexOf('\u00e9') + 1; // +1: BOS
        assertThat(tokens.get(e).asText()).isEqualTo("bytes:\\xc3");
        assertThat(tokens.get(e + 1).asText()).isEqualTo("bytes:\\xa9");
        assertThat(c.at("/logprobs/text_offset/" + e).asInt()).isEqualTo(text.indexOf('\u00e9'));
        assertThat(c.at("/logprobs/text_offset/" + (e + 2)).asInt()).isEqualTo(text.indexOf('\u00e9') + 1);
        int n = text.getBytes(StandardCharsets.UTF_8).length + 1;
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(n);
        assertThat(body.at("/usage/completion_tokens").asInt()).isZero();
        assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(n);
        assertThat(body.path("system_fingerprint").asText())
                .isEqualTo(LanguageModel.contentHash(dir).substring(0, 12));
    }

    @Test
    void aScoringRequestMayHoldTheContextPlusTheTokenAfterIt() throws Exception {
        // A collector's request: a window of CONTEXT tokens and the one it predicts last.
        String text = "a".repeat(TestLms.CONTEXT - 7) + "the end"; // BOS + 64 bytes = 65 tokens
        assertThat(TestLms.prompt(text)).hasSize(TestLms.CONTEXT + 1);
        ObjectNode body =
                ok(completion(text).put("max_tokens", 0).put("echo", true).put("logprobs", 3));
        assertPromptLogprobs(body.at("/choices/0/logprobs"), text, 3);
        // One more token, or the same prompt with a token to generate, does not fit.
        assertRefused(
                "/v1/completions",
                completion(text + "!").put("max_tokens", 0).put("echo", true).put("logprobs", 3),
                400,
                "prompt");
        assertRefused("/v1/completions", completion(text).put("max_tokens", 1), 400, "prompt");
    }

    @Test
    void aListOfPromptsGetsOneChoiceEach() throws Exception {
        ObjectNode req = Http.JSON
                .createObjectNode()
                .put("model", "tiny")
                .put("max_tokens", 0)
                .put("echo", true)
                .put("logprobs", 2);
        req.putArray("prompt").add("the dog").add("a sea is blue");
        ObjectNode body = ok(req);
        assertThat(body.path("choices")).hasSize(2);
        assertPromptLogprobs(body.at("/choices/0/logprobs"), "the dog", 2);
        assertPromptLogprobs(body.at("/choices/1/logprobs"), "a sea is blue", 2);
        assertThat(body.at("/choices/1/index").asInt()).isEqualTo(1);
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(8 + 14);
    }

    @Test
    void concurrentScoringIsBatchedAndExact() throws Exception {
        int clients = 12;
        DynamicBatcher.Stats before = server.stats("tiny");
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<JsonNode>> answers = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            String text = "the cat " + "sat ".repeat(i % 5) + "on mat " + i;
            answers.add(pool.submit(() -> {
                go.await();
                return ok(
                        completion(text).put("max_tokens", 0).put("echo", true).put("logprobs", 1));
            }));
        }
        go.countDown();
        for (int i = 0; i < clients; i++) {
            String text = "the cat " + "sat ".repeat(i % 5) + "on mat " + i;
            assertPromptLogprobs(answers.get(i).get().at("/choices/0/logprobs"), text, 1);
        }
        pool.shutdown();
        DynamicBatcher.Stats after = server.stats("tiny");
        assertThat(after.requests() - before.requests()).isEqualTo(clients);
        assertThat(after.batches() - before.batches())
                .as("forward passes for %d concurrent prompts", clients)
                .isLessThan(clients);
    }

    @Test
    void greedyGenerationIsTheInProcessGeneratorsText() throws Exception {
        String text = "the cat";
        ObjectNode body =
                ok(completion(text).put("max_tokens", 30).put("temperature", 0).put("logprobs", 3));
        int[] want = new Generator(reference)
                .generate(TestLms.prompt(text), SamplingConfig.greedy(30), true, false)
                .tokens();
        String wantText = ByteTokenizer.INSTANCE.decode(want);
        assertThat(body.at("/choices/0/text").asText()).isEqualTo(wantText);
        boolean eos = want.length > 0 && want[want.length - 1] == ByteTokenizer.EOS;
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo(eos ? "stop" : "length");
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(want.length);
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(8);
        JsonNode lp = body.at("/choices/0/logprobs");
        assertThat(lp.get("tokens")).hasSize(eos ? want.length - 1 : want.length);
        // Each generated token's log-probability is the model's at its position, from the full sequence.
        int[] all = new int[8 + want.length];
        System.arraycopy(TestLms.prompt(text), 0, all, 0, 8);
        System.arraycopy(want, 0, all, 8, want.length);
        float[] logits = TestLms.directLogits(reference, all);
        for (int i = 0; i < lp.get("tokens").size(); i++) {
            double[] row = Tensors.logSoftmax(logits, 8 + i - 1, 258);
            assertThat(lp.get("token_logprobs").get(i).asDouble()).isCloseTo(row[want[i]], within(1e-4));
        }
        assertThat(lp.at("/text_offset/0").asInt()).isEqualTo(text.length());
    }

    @Test
    void concurrentGenerationsAreBatchedAndEachGetsWhatItGetsAlone() throws Exception {
        // Prompts of different lengths, greedy and seeded sampling, different lengths of answer:
        // the generations join and leave the batch at different steps.
        String[] prompts = {"the cat", "a dog", "the sun is hot and", "caf\u00e9", "the sea", "a", "the dog ate the"};
        List<ObjectNode> requests = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            ObjectNode r = completion(prompts[i]).put("max_tokens", 12 + 3 * i).put("logprobs", 2);
            if (i % 2 == 0) {
                r.put("temperature", 0);
            } else {
                r.put("temperature", 1.1).put("seed", 40 + i);
            }
            requests.add(r);
        }
        DynamicBatcher.Stats before = server.generationStats("tiny");
        ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<JsonNode>> answers = new ArrayList<>();
        for (ObjectNode r : requests) {
            answers.add(pool.submit(() -> {
                go.await();
                return ok(r);
            }));
        }
        go.countDown();
        List<JsonNode> together = new ArrayList<>();
        for (Future<JsonNode> a : answers) {
            together.add(a.get());
        }
        pool.shutdown();
        DynamicBatcher.Stats after = server.generationStats("tiny");
        long fed = after.rows() - before.rows();
        long passes = after.batches() - before.batches();
        assertThat(after.largestBatchRows())
                .as("most generations in one forward pass")
                .isGreaterThanOrEqualTo(2);
        assertThat(passes).as("forward passes for %d fed tokens", fed).isLessThan(fed / 2);
        for (int i = 0; i < prompts.length; i++) {
            JsonNode alone = ok(requests.get(i));
            JsonNode both = together.get(i);
            assertThat(both.at("/choices/0/text").asText())
                    .as(prompts[i])
                    .isEqualTo(alone.at("/choices/0/text").asText());
            assertThat(both.at("/usage")).isEqualTo(alone.at("/usage"));
            JsonNode a = alone.at("/choices/0/logprobs/token_logprobs");
            JsonNode b = both.at("/choices/0/logprobs/token_logprobs");
            assertThat(b).hasSameSizeAs(a);
            for (int t = 0; t < a.size(); t++) {
                assertThat(b.get(t).asDouble())
                        .as("%s token %d", prompts[i], t)
                        .isCloseTo(a.get(t).asDouble(), within(1e-4));
            }
            if (i % 2 == 0) {
                int[] want = new Generator(reference)
                        .generate(TestLms.prompt(prompts[i]), SamplingConfig.greedy(12 + 3 * i), true, false)
                        .tokens();
                assertThat(both.at("/choices/0/text").asText())
                        .as(prompts[i])
                        .isEqualTo(ByteTokenizer.INSTANCE.decode(want));
            }
        }
        Http.Reply models = http.get("/v1/models");
        assertThat(models.body().at("/data/0/id").asText()).isEqualTo("tiny");
        assertThat(models.body().at("/data/0/max_model_len").asInt()).isEqualTo(TestLms.CONTEXT);
        assertThat(http.get("/v1/models/tiny").body().path("id").asText()).isEqualTo("tiny");
    }

    @Test
    void seededSamplingIsReproducibleAndMatchesTheGenerator() throws Exception {
        ObjectNode req = completion("a dog")
                .put("max_tokens", 25)
                .put("temperature", 1.3)
                .put("top_p", 0.95)
                .put("seed", 1234);
        String a = ok(req).at("/choices/0/text").asText();
        String b = ok(req).at("/choices/0/text").asText();
        assertThat(a).isEqualTo(b);
        int[] want = new Generator(reference)
                .generate(TestLms.prompt("a dog"), new SamplingConfig(25, 1.3, 0, 0.95, 1234, true), true, false)
                .tokens();
        assertThat(a).isEqualTo(ByteTokenizer.INSTANCE.decode(want));
        List<String> others = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            others.add(ok(req.deepCopy().put("seed", s)).at("/choices/0/text").asText());
        }
        assertThat(others).as("different seeds, different samples").anyMatch(o -> !o.equals(a));
        // n choices: choice j samples with seed + j.
        ObjectNode two = ok(req.deepCopy().put("n", 2).put("seed", 1233));
        assertThat(two.at("/choices/1/text").asText()).isEqualTo(a);
    }

    @Test
    void stopSequencesCutTheTextAndSayStop() throws Exception {
        ObjectNode req = completion("the").put("max_tokens", 40).put("temperature", 0);
        String full = ok(req).at("/choices/0/text").asText();
        int at = -1;
        for (int i = 3; i + 2 <= full.length(); i++) {
            if (full.charAt(i) < 0x80 && full.charAt(i + 1) < 0x80 && full.charAt(i) != ' ') {
                at = i;
                break;
            }
        }
        assertThat(at).as("an ASCII pair in %s", full).isPositive();
        String stop = full.substring(at, at + 2);
        req.putArray("stop").add("zzzz").add(stop);
        ObjectNode body = ok(req.put("logprobs", 0));
        String cut = full.substring(0, full.indexOf(stop));
        assertThat(body.at("/choices/0/text").asText()).isEqualTo(cut);
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(body.at("/choices/0/logprobs/tokens")).hasSize(cut.getBytes(StandardCharsets.UTF_8).length);
        assertThat(body.at("/usage/completion_tokens").asInt())
                .isEqualTo(cut.getBytes(StandardCharsets.UTF_8).length + 2);
        // The stream holds back what could begin the stop sequence and still concatenates to the same text.
        assertThat(streamText("/v1/completions", req.deepCopy().put("stream", true), false))
                .isEqualTo(cut);
    }

    @Test
    void streamsConcatenateToTheWholeAnswer() throws Exception {
        boolean multiByte = false;
        for (String prompt : new String[] {"caf\u00e9 ", "s'il vous pla"}) {
            for (double temperature : new double[] {0, 1.5}) {
                ObjectNode req = completion(prompt)
                        .put("max_tokens", 40)
                        .put("temperature", temperature)
                        .put("seed", 9)
                        .put("echo", true)
                        .put("logprobs", 2);
                ObjectNode whole = ok(req);
                String generated = whole.at("/choices/0/text").asText().substring(prompt.length());
                multiByte |= generated.chars().anyMatch(ch -> ch > 0x7f && ch != 0xFFFD);
                ObjectNode streamed = req.deepCopy().put("stream", true);
                streamed.putObject("stream_options").put("include_usage", true);
                List<JsonNode> chunks = events("/v1/completions", streamed);
                StringBuilder text = new StringBuilder();
                List<String> tokens = new ArrayList<>();
                for (JsonNode c : chunks) {
                    for (JsonNode choice : c.path("choices")) {
                        text.append(choice.path("text").asText());
                        choice.at("/logprobs/tokens").forEach(t -> tokens.add(t.asText()));
                    }
                }
                assertThat(text.toString())
                        .isEqualTo(whole.at("/choices/0/text").asText());
                List<String> wholeTokens = new ArrayList<>();
                whole.at("/choices/0/logprobs/tokens").forEach(t -> wholeTokens.add(t.asText()));
                assertThat(tokens).isEqualTo(wholeTokens);
                JsonNode last = chunks.get(chunks.size() - 1);
                assertThat(last.path("choices")).isEmpty();
                assertThat(last.path("usage")).isEqualTo(whole.path("usage"));
                assertThat(chunks.get(chunks.size() - 2)
                                .at("/choices/0/finish_reason")
                                .asText())
                        .isEqualTo(whole.at("/choices/0/finish_reason").asText());
            }
        }
        assertThat(multiByte)
                .as("some generated text has a multi-byte character, split across byte tokens")
                .isTrue();
    }

    @Test
    void chatRendersTheTemplateAndStreams() throws Exception {
        ObjectNode req = Http.JSON
                .createObjectNode()
                .put("model", "tiny")
                .put("max_tokens", 12)
                .put("temperature", 0)
                .put("logprobs", true)
                .put("top_logprobs", 3);
        req.putArray("messages").addObject().put("role", "user").put("content", "cat?");
        Http.Reply r = http.post("/v1/chat/completions", req);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        String template = "<|user|>\ncat?\n<|assistant|>\n";
        int[] want = new Generator(reference)
                .generate(TestLms.prompt(template), SamplingConfig.greedy(12), true, false)
                .tokens();
        String content = r.body().at("/choices/0/message/content").asText();
        assertThat(content).isEqualTo(ByteTokenizer.INSTANCE.decode(want));
        JsonNode first = r.body().at("/choices/0/logprobs/content/0");
        assertThat(first.path("token").asText()).isEqualTo(TokenText.token(ByteTokenizer.INSTANCE, want[0]));
        assertThat(first.at("/bytes/0").asInt()).isEqualTo(want[0]);
        assertThat(first.path("top_logprobs")).hasSize(3);
        assertThat(r.body().at("/usage/prompt_tokens").asInt()).isEqualTo(template.length() + 1);
        assertThat(streamText("/v1/chat/completions", req.deepCopy().put("stream", true), true))
                .isEqualTo(content);
    }

    @Test
    void refusalsNameTheParameter() throws Exception {
        assertRefused("/v1/completions", completion("x").put("logprobs", 21), 400, "logprobs");
        assertRefused("/v1/completions", completion("x").put("frobnicate", 1), 400, "frobnicate");
        assertRefused("/v1/completions", completion("x").put("max_tokens", 0), 400, "max_tokens");
        assertRefused("/v1/completions", completion("x").put("max_tokens", 200), 400, "max_tokens");
        assertRefused("/v1/completions", completion("x".repeat(100)).put("max_tokens", 1), 400, "prompt");
        assertRefused("/v1/completions", completion("x").put("temperature", 3), 400, "temperature");
        assertRefused("/v1/completions", completion("x").put("n", 17), 400, "n");
        assertRefused("/v1/completions", completion("x").put("suffix", "y"), 400, "suffix");
        assertRefused("/v1/completions", completion("x").put("model", "nope"), 404, "model");
        ObjectNode chat = Http.JSON
                .createObjectNode()
                .put("model", "tiny")
                .put("logprobs", true)
                .put("top_logprobs", 21);
        chat.putArray("messages").addObject().put("role", "user").put("content", "hi");
        assertRefused("/v1/chat/completions", chat, 400, "top_logprobs");
        ObjectNode tools = Http.JSON.createObjectNode().put("model", "tiny");
        tools.putArray("messages").addObject().put("role", "user").put("content", "hi");
        tools.putArray("tools").addObject().put("type", "function");
        assertRefused("/v1/chat/completions", tools, 400, "tools");
    }

    static void assertRefused(String path, ObjectNode req, int status, String param) throws Exception {
        Http.Reply r = http.post(path, req);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(status);
        assertThat(r.body().at("/error/param").asText()).isEqualTo(param);
        assertThat(r.body().at("/error/message").asText()).isNotBlank();
    }

    static List<JsonNode> events(String path, ObjectNode req) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(server.baseUri().resolve(path))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(req.toString()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        String[] events = r.body().split("\n\n");
        assertThat(events[events.length - 1]).isEqualTo("data: [DONE]");
        List<JsonNode> out = new ArrayList<>();
        for (int i = 0; i < events.length - 1; i++) {
            assertThat(events[i]).startsWith("data: ");
            out.add(Http.JSON.readTree(events[i].substring(6)));
        }
        return out;
    }

    static String streamText(String path, ObjectNode req, boolean chat) throws Exception {
        StringBuilder s = new StringBuilder();
        for (JsonNode c : events(path, req)) {
            for (JsonNode choice : c.path("choices")) {
                s.append(
                        chat
                                ? choice.at("/delta/content").asText("")
                                : choice.path("text").asText());
            }
        }
        return s.toString();
    }
}
