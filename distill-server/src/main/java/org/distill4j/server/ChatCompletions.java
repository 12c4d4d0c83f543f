package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * The OpenAI-compatible facade: {@code POST /v1/chat/completions} and {@code GET /v1/models} for
 * text classifiers. The classifier's answer is one "token": the class name with the highest logit.
 * Log-probabilities are the log-softmax of the logits over the classes; each class name counts as
 * one token of this facade's vocabulary, so {@code top_logprobs} ranks classes.
 */
final class ChatCompletions {

    /** OpenAI's upper bound on {@code top_logprobs}. */
    static final int MAX_TOP_LOGPROBS = 20;
    private static final Pattern TEXT_ELEMENT = Pattern.compile("<text>(.*?)</text>", Pattern.DOTALL);
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
            throw ApiException.badRequest("model", "model: missing or not a string; expected one of "
                    + textModels(hosted));
        }
        Hosted h = hosted.get(name.textValue());
        if (h == null) {
            throw new ApiException(404, "The model '" + Tensors.abbreviate(name.textValue())
                    + "' does not exist; this server has " + textModels(hosted), "model", "model_not_found");
        }
        if (!h.isText()) {
            throw ApiException.badRequest("model", "model '" + h.model.name() + "' is not a text classifier; "
                    + "only text classifiers (models with text_features) have the chat facade. Use POST /v2/models/"
                    + h.model.name() + "/infer with FP32 input instead");
        }
        return h;
    }

    /** {@code POST /v1/chat/completions}. */
    static ObjectNode complete(Hosted h, JsonNode req) {
        JsonNode stream = req.get("stream");
        if (stream != null && stream.asBoolean(false)) {
            throw ApiException.badRequest("stream", "stream: streaming is not supported; a classifier answers "
                    + "with one token, send \"stream\": false or leave it out");
        }
        JsonNode n = req.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asInt() == 1)) {
            throw ApiException.badRequest("n", "n: " + n + " is not supported; a classifier gives one choice (n = 1)");
        }
        boolean logprobs = false;
        JsonNode lp = req.get("logprobs");
        if (lp != null && !lp.isNull()) {
            if (!lp.isBoolean()) {
                throw ApiException.badRequest("logprobs", "logprobs: " + Tensors.abbreviate(lp.toString())
                        + " is not a boolean");
            }
            logprobs = lp.booleanValue();
        }
        int top = 0;
        JsonNode tl = req.get("top_logprobs");
        if (tl != null && !tl.isNull()) {
            if (!tl.isIntegralNumber() || tl.asLong() < 0 || tl.asLong() > MAX_TOP_LOGPROBS) {
                throw ApiException.badRequest("top_logprobs", "top_logprobs: " + Tensors.abbreviate(tl.toString())
                        + " is not allowed; must be an integer in [0, " + MAX_TOP_LOGPROBS + "]");
            }
            if (!logprobs) {
                throw ApiException.badRequest("top_logprobs", "top_logprobs requires \"logprobs\": true");
            }
            top = tl.intValue();
        }
        JsonNode messages = req.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiException.badRequest("messages", "messages: expected a non-empty array of "
                    + "{\"role\", \"content\"} objects");
        }
        String userText = null;
        long promptWords = 0;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String content = content(m, i);
            promptWords += words(content);
            if ("user".equals(m.path("role").asText())) {
                userText = content;
            }
        }
        if (userText == null) {
            throw ApiException.badRequest("messages", "messages: no message has role \"user\"; the text to classify "
                    + "is the last user message");
        }
        String text = classifiedText(userText);

        float[] logits = h.logits(h.featurize(List.of(text)), 1);
        double[] logp = Tensors.logSoftmax(logits, 0, h.classes());
        List<String> classes = h.model.classNames();
        // Highest log-probability first; ties keep class order, so the answer is the first argmax.
        Integer[] order = IntStream.range(0, classes.size()).boxed()
                .sorted(Comparator.comparingDouble((Integer c) -> -logp[c])).toArray(Integer[]::new);
        int best = order[0];

        ObjectNode o = F.objectNode();
        o.put("id", "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""));
        o.put("object", "chat.completion");
        o.put("created", System.currentTimeMillis() / 1000);
        o.put("model", h.model.name());
        o.put("system_fingerprint", h.model.version());
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", classes.get(best));
        if (logprobs) {
            ObjectNode token = token(classes.get(best), logp[best]);
            ArrayNode tops = token.putArray("top_logprobs");
            for (int i = 0; i < Math.min(top, classes.size()); i++) {
                tops.add(token(classes.get(order[i]), logp[order[i]]));
            }
            choice.putObject("logprobs").putArray("content").add(token);
        } else {
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", "stop");
        ObjectNode usage = o.putObject("usage");
        usage.put("prompt_tokens", promptWords);
        usage.put("completion_tokens", 1);
        usage.put("total_tokens", promptWords + 1);
        return o;
    }

    /**
     * The text classified: the content of the last {@code <text>...</text>} element of the message
     * if it has one, else the whole message.
     */
    static String classifiedText(String message) {
        Matcher m = TEXT_ELEMENT.matcher(message);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        return last != null ? last : message;
    }

    /** A message's text: a string, or the {@code text} parts of an array of content parts. */
    private static String content(JsonNode m, int i) {
        String field = "messages[" + i + "]";
        if (!m.isObject() || !m.path("role").isTextual()) {
            throw ApiException.badRequest(field, field + ": expected {\"role\": string, \"content\": string}");
        }
        JsonNode c = m.get("content");
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        if (c.isArray()) {
            StringBuilder s = new StringBuilder();
            for (JsonNode part : c) {
                if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
                    s.append(s.length() == 0 ? "" : "\n").append(part.get("text").textValue());
                } else {
                    throw ApiException.badRequest(field + ".content", field + ".content: only text parts "
                            + "{\"type\": \"text\", \"text\": ...} are supported, got "
                            + Tensors.abbreviate(part.toString()));
                }
            }
            return s.toString();
        }
        throw ApiException.badRequest(field + ".content", field + ".content: expected a string or an array of "
                + "text parts, got " + Tensors.abbreviate(c.toString()));
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

    /** Whitespace-separated words, the facade's prompt token count. */
    static long words(String s) {
        String t = s.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }

    private static String textModels(Map<String, Hosted> hosted) {
        List<String> names = hosted.values().stream().filter(Hosted::isText).map(x -> x.model.name()).toList();
        return names.isEmpty() ? "no text classifiers" : "text classifiers " + names;
    }
}
