package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stream: true} on the chat facade: OpenAI's server-sent events read raw, and the official
 * {@code openai} npm client (in {@code src/test/node}) reading whole and streamed answers.
 */
class ChatStreamTest {

    static final String KEY = "interop-key";
    /** In CI the node interop must run, not be skipped. */
    static final boolean REQUIRED = "true".equals(System.getenv("DISTILL4J_REQUIRE_NODE"));

    static final Path NODE_DIR = Path.of("src/test/node");

    @TempDir
    static Path tmp;

    static Path textDir;
    static ModelServer server;

    @BeforeAll
    static void start() throws Exception {
        textDir = TestModels.text(tmp.resolve("text"), 5);
        server = ModelServer.builder()
                .optPort(0)
                .optApiKey(KEY)
                .addModel(ServedSavedModel.load("sentiment", textDir))
                .build()
                .start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static ObjectNode chat(String text) {
        ObjectNode req = Http.JSON.createObjectNode().put("model", "sentiment");
        var messages = req.putArray("messages");
        messages.addObject().put("role", "system").put("content", "Classify the sentiment.");
        messages.addObject().put("role", "user").put("content", text);
        return req;
    }

    static double[] directLogProbs(String text) throws Exception {
        float[] logits = TestModels.directLogits(textDir, TestModels.TEXT.featurize(text), 1);
        return Tensors.logSoftmax(logits, 0, logits.length);
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }

    @Test
    void streamIsServerSentChunksWithLogprobsUsageAndDone() throws Exception {
        String text = "terrible service, never again";
        ObjectNode req = chat(text).put("stream", true).put("logprobs", true).put("top_logprobs", 2);
        req.putObject("stream_options").put("include_usage", true);
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(server.baseUri().resolve("/v1/chat/completions"))
                                .header("Content-Type", "application/json")
                                .header("Authorization", "Bearer " + KEY)
                                .POST(HttpRequest.BodyPublishers.ofString(req.toString()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        String[] events = r.body().split("\n\n");
        assertThat(events).allSatisfy(e -> assertThat(e).startsWith("data: "));
        assertThat(events[events.length - 1]).isEqualTo("data: [DONE]");
        List<JsonNode> chunks = new ArrayList<>();
        for (int i = 0; i < events.length - 1; i++) {
            chunks.add(Http.JSON.readTree(events[i].substring("data: ".length())));
        }
        assertThat(chunks).hasSize(4);
        String id = chunks.get(0).path("id").asText();
        assertThat(id).startsWith("chatcmpl-");
        for (JsonNode c : chunks) {
            assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.path("id").asText()).isEqualTo(id);
            assertThat(c.path("model").asText()).isEqualTo("sentiment");
        }
        double[] logp = directLogProbs(text);
        String best = TestModels.TEXT_CLASSES.get(argmax(logp));
        assertThat(chunks.get(0).at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(chunks.get(0).path("usage").isNull()).isTrue();
        assertThat(chunks.get(1).at("/choices/0/delta/content").asText()).isEqualTo(best);
        JsonNode token = chunks.get(1).at("/choices/0/logprobs/content/0");
        assertThat(token.path("token").asText()).isEqualTo(best);
        assertThat(token.path("logprob").asDouble()).isCloseTo(logp[argmax(logp)], within(1e-9));
        assertThat(token.path("top_logprobs")).hasSize(2);
        assertThat(chunks.get(2).at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(chunks.get(2).at("/choices/0/delta").isEmpty()).isTrue();
        assertThat(chunks.get(3).path("choices")).isEmpty();
        assertThat(chunks.get(3).at("/usage/completion_tokens").asInt()).isEqualTo(1);
        assertThat(chunks.get(3).at("/usage/prompt_tokens").asInt()).isEqualTo(3 + 4);

        // Without include_usage: three chunks and no usage field at all.
        HttpResponse<String> plain = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(server.baseUri().resolve("/v1/chat/completions"))
                                .header("Content-Type", "application/json")
                                .header("Authorization", "Bearer " + KEY)
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        chat(text).put("stream", true).toString()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        String[] plainEvents = plain.body().split("\n\n");
        assertThat(plainEvents).hasSize(4);
        assertThat(plainEvents[1]).doesNotContain("usage").contains("\"logprobs\":null");
    }

    @Test
    void theOfficialOpenAiNodeClientReadsWholeAndStreamedAnswers() throws Exception {
        String skip = nodeMissing();
        if (REQUIRED) {
            assertThat(skip)
                    .as("DISTILL4J_REQUIRE_NODE=true but the node interop cannot run")
                    .isNull();
        }
        assumeTrue(skip == null, skip);
        Process p = new ProcessBuilder("node", "chat-interop.mjs", server.baseUri() + "/v1", "sentiment", KEY)
                .directory(NODE_DIR.toFile())
                .redirectErrorStream(true)
                .start();
        String output;
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(done).as("node finished within 60 s: " + output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        JsonNode out = Http.JSON.readTree(output.substring(output.lastIndexOf('\n') + 1));

        String text = "I loved this film, the acting was superb";
        double[] logp = directLogProbs(text);
        int best = argmax(logp);
        String answer = TestModels.TEXT_CLASSES.get(best);
        assertThat(out.at("/whole/content").asText()).isEqualTo(answer);
        assertThat(out.at("/whole/logprob").asDouble()).isCloseTo(logp[best], within(1e-9));
        assertThat(out.at("/whole/fingerprint").asText())
                .isEqualTo(server.models().get("sentiment").version());
        assertThat(out.at("/stream/content").asText()).isEqualTo(answer);
        assertThat(out.at("/stream/finish").asText()).isEqualTo("stop");
        assertThat(out.at("/stream/chunks").asInt()).isEqualTo(4);
        assertThat(out.at("/stream/logprobs")).hasSize(1);
        assertThat(out.at("/stream/logprobs/0/logprob").asDouble()).isCloseTo(logp[best], within(1e-9));
        assertThat(out.at("/stream/logprobs/0/top_logprobs")).hasSize(2);
        assertThat(out.at("/stream/usage/total_tokens").asInt()).isEqualTo(3 + 8 + 1);
        assertThat(out.at("/helper/content").asText()).isEqualTo(answer);
        assertThat(out.at("/helper/logprob").asDouble()).isCloseTo(logp[best], within(1e-9));
        assertThat(out.at("/refusal/status").asInt()).isEqualTo(400);
        assertThat(out.at("/refusal/param").asText()).isEqualTo("response_format");
        assertThat(out.at("/refusal/type").asText()).isEqualTo("invalid_request_error");
    }

    /** Why the node interop cannot run here, or null if it can. */
    static String nodeMissing() {
        try {
            Process v = new ProcessBuilder("node", "--version")
                    .redirectErrorStream(true)
                    .start();
            if (!v.waitFor(10, TimeUnit.SECONDS) || v.exitValue() != 0) {
                return "node --version failed; install Node.js 18+ to run the openai client interop";
            }
        } catch (IOException e) {
            return "node is not on PATH; install Node.js 18+ to run the openai client interop";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        if (!Files.isDirectory(NODE_DIR.resolve("node_modules/openai"))) {
            return "the openai npm package is not installed: run npm ci --prefix distill-server/src/test/node";
        }
        return null;
    }
}
