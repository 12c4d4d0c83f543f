package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the chat facade does with each OpenAI parameter (issue 10.8) and with {@code content:
 * null} (issue 14.10): what it cannot honour is refused with a 400 naming the parameter; defaults
 * and parameters a one-token answer satisfies are accepted.
 */
class ChatParametersTest {

    @TempDir
    static Path tmp;

    static ModelServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        server = ModelServer.builder()
                .optPort(0)
                .addModel(ServedSavedModel.load("sentiment", TestModels.text(tmp.resolve("text"), 5)))
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

    static ObjectNode chat() {
        ObjectNode req = Http.JSON.createObjectNode().put("model", "sentiment");
        req.putArray("messages").addObject().put("role", "user").put("content", "great film");
        return req;
    }

    static ObjectNode with(String field, String json) throws Exception {
        ObjectNode req = chat();
        req.set(field, Http.JSON.readTree(json));
        return req;
    }

    void assertRefused(ObjectNode req, String param, String fragment) throws Exception {
        Http.Reply r = http.post("/v1/chat/completions", req);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(400);
        JsonNode e = r.body().path("error");
        assertThat(e.path("param").asText()).isEqualTo(param);
        assertThat(e.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(e.path("message").asText()).startsWith(param).contains(fragment);
    }

    void assertAccepted(ObjectNode req) throws Exception {
        Http.Reply r = http.post("/v1/chat/completions", req);
        assertThat(r.status()).as(req + " -> " + r.body()).isEqualTo(200);
        assertThat(r.body().at("/choices/0/message/content").asText()).isIn(TestModels.TEXT_CLASSES);
    }

    @Test
    void whatCannotBeHonouredIsRefusedNamingTheParameter() throws Exception {
        assertRefused(
                with("response_format", "{\"type\":\"json_object\"}"), "response_format", "only {\"type\": \"text\"}");
        assertRefused(
                with("response_format", "{\"type\":\"json_schema\",\"json_schema\":{}}"), "response_format", "text");
        assertRefused(
                with("tools", "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]"), "tools", "not supported");
        assertRefused(with("tool_choice", "\"auto\""), "tool_choice", "\"none\"");
        assertRefused(with("functions", "[{\"name\":\"f\"}]"), "functions", "not supported");
        assertRefused(with("function_call", "\"auto\""), "function_call", "\"none\"");
        assertRefused(with("logit_bias", "{\"50256\": -100}"), "logit_bias", "not supported");
        assertRefused(with("n", "2"), "n", "one choice");
        assertRefused(with("stop", "[\"\\n\"]"), "stop", "not supported");
        assertRefused(with("store", "true"), "store", "stores no completions");
        assertRefused(with("modalities", "[\"text\",\"audio\"]"), "modalities", "[\"text\"]");
        assertRefused(with("audio", "{\"voice\":\"alloy\"}"), "audio", "not supported");
        assertRefused(with("reasoning_effort", "\"high\""), "reasoning_effort", "not supported");
        assertRefused(with("max_tokens", "0"), "max_tokens", "at least 1");
        assertRefused(with("temperature", "3"), "temperature", "[0, 2]");
        assertRefused(with("stream_options", "{\"include_usage\":true}"), "stream_options", "\"stream\": true");
        Http.Reply unknown = http.post("/v1/chat/completions", with("frobnicate", "1"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body().at("/error/param").asText()).isEqualTo("frobnicate");
        assertThat(unknown.error()).isEqualTo("Unrecognized request argument supplied: frobnicate");
    }

    @Test
    void defaultsAndWhatAOneTokenAnswerSatisfiesAreAccepted() throws Exception {
        assertAccepted(with("response_format", "{\"type\":\"text\"}"));
        assertAccepted(with("tools", "[]"));
        assertAccepted(with("tool_choice", "\"none\""));
        assertAccepted(with("logit_bias", "{}"));
        assertAccepted(with("stop", "null"));
        assertAccepted(with("n", "1"));
        assertAccepted(with("temperature", "0.7"));
        assertAccepted(with("top_p", "0.9"));
        assertAccepted(with("max_tokens", "16"));
        assertAccepted(with("max_completion_tokens", "1"));
        assertAccepted(with("seed", "42"));
        assertAccepted(with("user", "\"u-1\""));
        assertAccepted(with("presence_penalty", "0.5"));
        assertAccepted(with("store", "false"));
        assertAccepted(with("stream", "false"));
    }

    @Test
    void nullContentIsRefusedExceptInAnAssistantMessageWithToolCalls() throws Exception {
        ObjectNode nullUser = Http.JSON.createObjectNode().put("model", "sentiment");
        nullUser.putArray("messages").addObject().put("role", "user").putNull("content");
        assertRefused(nullUser, "messages[0].content", "null; expected a string");
        ObjectNode missing = Http.JSON.createObjectNode().put("model", "sentiment");
        missing.putArray("messages").addObject().put("role", "system");
        missing.withArray("messages").addObject().put("role", "user").put("content", "ok");
        assertRefused(missing, "messages[0].content", "missing");
        ObjectNode assistantPlain = chat();
        assistantPlain
                .withArray("messages")
                .addObject()
                .put("role", "assistant")
                .putNull("content");
        assertRefused(assistantPlain, "messages[1].content", "only in an assistant message with tool_calls");

        ObjectNode toolHistory = Http.JSON.createObjectNode().put("model", "sentiment");
        var messages = toolHistory.putArray("messages");
        ObjectNode call = messages.addObject().put("role", "assistant");
        call.putNull("content");
        call.putArray("tool_calls")
                .addObject()
                .put("id", "c1")
                .put("type", "function")
                .putObject("function")
                .put("name", "f")
                .put("arguments", "{}");
        messages.addObject().put("role", "user").put("content", "great film");
        assertAccepted(toolHistory);
    }
}
