package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hard labels from a teacher behind Anthropic's Messages API (no log-probabilities), against a
 * loopback server shaped like it: {@code x-api-key} and {@code anthropic-version} headers, {@code
 * content} text blocks, {@code usage.input_tokens}/{@code output_tokens}.
 */
@Timeout(60)
class AnthropicLabelsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SENTIMENT = LabelCollectorTest.SENTIMENT;

    @TempDir
    Path dir;

    private HttpServer server;
    private final ConcurrentLinkedQueue<JsonNode> bodies = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> versions = new ConcurrentLinkedQueue<>();

    /** Answers the label of the item's largest {@link FakeTeacherServer#logits}, capitalised; "Unsure." for {@code unsure}. */
    private String start(String unsure) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/messages", ex -> {
            JsonNode req = JSON.readTree(ex.getRequestBody());
            bodies.add(req);
            versions.add(String.valueOf(ex.getRequestHeaders().getFirst("anthropic-version")));
            String key = ex.getRequestHeaders().getFirst("x-api-key");
            int status;
            String body;
            if (!LabelCollectorTest.KEY.equals(key)) {
                status = 401;
                body =
                        "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key "
                                + key + "\"}}";
            } else {
                String content = req.at("/messages/0/content").asText();
                String item = content.substring(content.lastIndexOf("<text>\n") + 7, content.lastIndexOf("\n</text>"));
                double[] lp = FakeTeacherServer.logSoftmax(item, SENTIMENT.size());
                int best = 0;
                for (int c = 1; c < lp.length; c++) {
                    best = lp[c] > lp[best] ? c : best;
                }
                String label = SENTIMENT.get(best);
                String answer =
                        item.equals(unsure) ? "Unsure." : Character.toUpperCase(label.charAt(0)) + label.substring(1);
                ObjectNode a = JSON.createObjectNode()
                        .put("id", "msg_1")
                        .put("type", "message")
                        .put("role", "assistant")
                        .put("model", req.path("model").asText())
                        .put("stop_reason", "end_turn");
                a.putArray("content").addObject().put("type", "text").put("text", answer);
                a.putObject("usage").put("input_tokens", content.length() / 4).put("output_tokens", 2);
                status = 200;
                body = JSON.writeValueAsString(a);
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void hardLabelsFromTheAnswerTextWithTheApisOwnHeaders() throws Exception {
        TextSet data = TextSet.cycling(10, 5, SENTIMENT);
        String url = start(data.text(4));
        HttpTeacherConfig config = HttpTeacherConfig.builder(Protocol.ANTHROPIC, url, "claude-test")
                .optApiKey(LabelCollectorTest.key())
                .optRetry(LabelCollectorTest.FAST)
                .optTimeout(Duration.ofSeconds(5))
                .build();
        assertThat(config.labelSource()).isEqualTo(HttpTeacherConfig.LabelSource.TEXT);
        assertThat(config.endpoint().toString()).isEqualTo(url + "/v1/messages");

        CollectionResult r = new LabelCollector(config).collect(data, dir, CollectionListener.none());

        assertThat(r.succeededRows()).containsExactly(0, 1, 2, 3, 5, 6, 7, 8);
        assertThat(r.failedRows()).extracting(CollectionResult.FailedRow::kind).containsOnly("label_not_in_answer");
        assertThat(bodies).hasSize(5); // one request per unique item, the unmappable one not retried
        assertThat(versions).containsOnly(AnthropicCodec.VERSION);
        for (JsonNode b : bodies) {
            assertThat(b.path("temperature").asInt()).isZero();
            assertThat(b.has("logprobs")).isFalse();
        }
        for (int i = 0; i < r.succeededRows().length; i++) {
            int row = r.succeededRows()[i];
            double[] lp = FakeTeacherServer.logSoftmax(data.text(row), 4);
            int best = 0;
            for (int c = 1; c < 4; c++) {
                best = lp[c] > lp[best] ? c : best;
            }
            assertThat((double) r.outputs().logits()[i * 4 + best]).isCloseTo(0.0, within(1e-6));
        }
        assertThat(r.usage().answersUnmappable()).isEqualTo(1);
        assertThat(r.usage().completionTokens()).isEqualTo(10);
        assertThat(r.usage().itemsByLabelSource()).isEqualTo(Map.of("text", 4L));
        assertThat(config.identity(SENTIMENT).kind()).isEqualTo("http-anthropic");
    }

    @Test
    void aRejectedKeyAbortsWithoutEchoingItAndOtherLabelSourcesAreRefused() throws Exception {
        String url = start("");
        HttpTeacherConfig config = HttpTeacherConfig.builder(Protocol.ANTHROPIC, url, "claude-test")
                .optApiKey(ApiKey.fromEnv("K", Map.of("K", "sk-ant-WRONG-0123456789")))
                .optRetry(LabelCollectorTest.FAST)
                .build();
        assertThatThrownBy(() -> new LabelCollector(config)
                        .collect(TextSet.cycling(3, 3, SENTIMENT), dir, CollectionListener.none()))
                .isInstanceOf(CollectionAbortedException.class)
                .hasMessageContaining("HTTP 401")
                .hasMessageNotContaining("sk-ant-WRONG");
        assertThat(Files.readString(dir.resolve(UsageReport.FILE))).doesNotContain("sk-ant-WRONG");
        assertThatThrownBy(() -> HttpTeacherConfig.builder(Protocol.ANTHROPIC, url, "m")
                        .optLabelSource(HttpTeacherConfig.LabelSource.SAMPLES, 8)
                        .build())
                .hasMessageContaining("must be text for the anthropic protocol");
    }
}
