package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * The OpenAI-compatible facade's handlers: {@code POST /v1/chat/completions} (whole or streamed)
 * and {@code GET /v1/models} for text classifiers. The classifier's answer is one "token": the
 * class name with the highest logit. Log-probabilities are the log-softmax of the logits over the
 * classes; each class name counts as one token of this facade's vocabulary, so {@code
 * top_logprobs} ranks classes. What a request may ask is decided by {@link ChatRequest}.
 */
final class ChatCompletions {

    /** OpenAI's upper bound on {@code top_logprobs}. */
    static final int MAX_TOP_LOGPROBS = ChatRequest.MAX_TOP_LOGPROBS;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ChatCompletions() {}

    /** {@code GET /v1/models}: the text classifiers. */
    static ObjectNode models(Map<String, Hosted> hosted) {
        ObjectNode o = F.objectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        hosted.values().stream().filter(Hosted::isText).forEach(h -> data.add(model(h)));
        return o;
    }

    /** One entry of {@code /v1/models}, also {@code GET /v1/models/{id}}. */
    static ObjectNode model(Hosted h) {
        ObjectNode m = F.objectNode();
        m.put("id", h.model.name());
        m.put("object", "model");
        m.put("created", h.createdEpochSecond);
        m.put("owned_by", "distill4j");
        return m;
    }

    /** Finds the model named by a request's {@code model} field (404 / 400 if not usable here). */
    static Hosted resolve(Map<String, Hosted> hosted, JsonNode req) {
        if (!req.isObject()) {
            throw ApiException.badRequest(null, "request body must be a JSON object with \"model\" and \"messages\"");
        }
        JsonNode name = req.get("model");
        if (name == null || !name.isTextual()) {
            throw ApiException.badRequest(
                    "model", "model: missing or not a string; expected one of " + textModels(hosted));
        }
        Hosted h = hosted.get(name.textValue());
        if (h == null) {
            throw new ApiException(
                    404,
                    "The model '" + Tensors.abbreviate(name.textValue()) + "' does not exist; this server has "
                            + textModels(hosted),
                    "model",
                    "model_not_found");
        }
        if (!h.isText()) {
            throw ApiException.badRequest(
                    "model",
                    "model '" + h.model.name() + "' is not a text classifier; "
                            + "only text classifiers (models with text_features) have the chat facade. Use POST /v2/models/"
                            + h.model.name() + "/infer with FP32 input instead");
        }
        return h;
    }

    /** {@code POST /v1/chat/completions} for {@code client}: the whole answer or its chunks. */
    static Reply complete(Map<String, Hosted> hosted, JsonNode body, String client) {
        Hosted h = resolve(hosted, body);
        ChatRequest req = ChatRequest.parse(body);
        float[] logits =
                h.logitsOfTexts(new ClientRequest(client, h.model.name(), "openai.chat", 1), List.of(req.text()));
        double[] logp = Tensors.logSoftmax(logits, 0, h.classes());
        List<String> classes = h.model.classNames();
        // Highest log-probability first; ties keep class order, so the answer is the first argmax.
        Integer[] order = IntStream.range(0, classes.size())
                .boxed()
                .sorted(Comparator.comparingDouble((Integer c) -> -logp[c]))
                .toArray(Integer[]::new);
        String answer = classes.get(order[0]);
        JsonNode logprobs = req.logprobs() ? logprobs(classes, logp, order, req.topLogprobs()) : F.nullNode();
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        return req.stream()
                ? new Reply.Events(chunks(h, req, id, created, answer, logprobs))
                : new Reply.Json(completion(h, req, id, created, answer, logprobs));
    }

    private static ObjectNode completion(
            Hosted h, ChatRequest req, String id, long created, String answer, JsonNode logprobs) {
        ObjectNode o = head(h, id, created, "chat.completion");
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", answer);
        choice.set("logprobs", logprobs);
        choice.put("finish_reason", "stop");
        o.set("usage", usage(req));
        return o;
    }

    /**
     * The streamed answer, as OpenAI chunks it: the role with empty content, the answer with its
     * log-probabilities, the finish reason, and with {@code include_usage} a last chunk with no
     * choices and the usage (earlier chunks then carry {@code "usage": null}).
     */
    private static List<JsonNode> chunks(
            Hosted h, ChatRequest req, String id, long created, String answer, JsonNode logprobs) {
        List<JsonNode> out = new ArrayList<>();
        ObjectNode role = chunk(h, req, id, created);
        ObjectNode c0 = role.withArray("choices").addObject();
        c0.put("index", 0);
        c0.putObject("delta").put("role", "assistant").put("content", "");
        c0.putNull("logprobs");
        c0.putNull("finish_reason");
        out.add(role);
        ObjectNode content = chunk(h, req, id, created);
        ObjectNode c1 = content.withArray("choices").addObject();
        c1.put("index", 0);
        c1.putObject("delta").put("content", answer);
        c1.set("logprobs", logprobs);
        c1.putNull("finish_reason");
        out.add(content);
        ObjectNode finish = chunk(h, req, id, created);
        ObjectNode c2 = finish.withArray("choices").addObject();
        c2.put("index", 0);
        c2.putObject("delta");
        c2.putNull("logprobs");
        c2.put("finish_reason", "stop");
        out.add(finish);
        if (req.includeUsage()) {
            ObjectNode usage = head(h, id, created, "chat.completion.chunk");
            usage.putArray("choices");
            usage.set("usage", usage(req));
            out.add(usage);
        }
        return out;
    }

    private static ObjectNode chunk(Hosted h, ChatRequest req, String id, long created) {
        ObjectNode o = head(h, id, created, "chat.completion.chunk");
        o.putArray("choices");
        if (req.includeUsage()) {
            o.putNull("usage");
        }
        return o;
    }

    private static ObjectNode head(Hosted h, String id, long created, String object) {
        ObjectNode o = F.objectNode();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        o.put("model", h.model.name());
        o.put("system_fingerprint", h.model.version());
        return o;
    }

    private static ObjectNode usage(ChatRequest req) {
        ObjectNode usage = F.objectNode();
        usage.put("prompt_tokens", req.promptWords());
        usage.put("completion_tokens", 1);
        usage.put("total_tokens", req.promptWords() + 1);
        return usage;
    }

    private static ObjectNode logprobs(List<String> classes, double[] logp, Integer[] order, int top) {
        ObjectNode token = token(classes.get(order[0]), logp[order[0]]);
        ArrayNode tops = token.putArray("top_logprobs");
        for (int i = 0; i < Math.min(top, classes.size()); i++) {
            tops.add(token(classes.get(order[i]), logp[order[i]]));
        }
        ObjectNode lp = F.objectNode();
        lp.putArray("content").add(token);
        return lp;
    }

    private static ObjectNode token(String name, double logprob) {
        ObjectNode t = F.objectNode();
        t.put("token", name);
        t.put("logprob", logprob);
        ArrayNode bytes = t.putArray("bytes");
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xFF);
        }
        return t;
    }

    private static String textModels(Map<String, Hosted> hosted) {
        List<String> names = hosted.values().stream()
                .filter(Hosted::isText)
                .map(x -> x.model.name())
                .toList();
        return names.isEmpty() ? "no text classifiers" : "text classifiers " + names;
    }
}
