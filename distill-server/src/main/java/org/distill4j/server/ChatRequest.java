package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A validated {@code POST /v1/chat/completions} request. Every parameter of OpenAI's API is either
 * honoured or refused with a 400 naming it; none is silently ignored. Accepted without effect,
 * because a one-token answer already satisfies them: {@code temperature} and {@code top_p} (the
 * answer is the most likely class, as sampling tends to at temperature 0; log-probabilities are
 * untempered), {@code presence_penalty} and {@code frequency_penalty} (nothing repeats in one
 * token), {@code seed} (answers are deterministic), {@code max_tokens} / {@code
 * max_completion_tokens} of at least 1, {@code user}, {@code metadata}, {@code service_tier},
 * {@code parallel_tool_calls}. Refused unless at their default: {@code n}, {@code stop}, {@code
 * response_format} (only {@code text}), {@code tools}, {@code tool_choice}, {@code functions},
 * {@code function_call}, {@code logit_bias}, {@code store}, {@code modalities} (only {@code
 * text}), {@code audio}, {@code prediction}, {@code reasoning_effort}, {@code web_search_options},
 * {@code verbosity}. Unknown parameters are refused, as OpenAI does.
 *
 * @param stream answer as server-sent events
 * @param includeUsage with {@code stream}: a last chunk with {@code usage}
 * @param logprobs return the answer's log-probability
 * @param topLogprobs classes ranked in the answer's {@code top_logprobs}, in [0, 20]
 * @param text the text to classify (see {@link #classifiedText})
 * @param promptWords whitespace-separated words of all messages, the facade's prompt tokens
 */
record ChatRequest(
        boolean stream, boolean includeUsage, boolean logprobs, int topLogprobs, String text, long promptWords) {

    /** OpenAI's upper bound on {@code top_logprobs}. */
    static final int MAX_TOP_LOGPROBS = 20;

    private static final Pattern TEXT_ELEMENT = Pattern.compile("<text>(.*?)</text>", Pattern.DOTALL);
    private static final Set<String> KNOWN = Set.of(
            "model",
            "messages",
            "stream",
            "stream_options",
            "n",
            "logprobs",
            "top_logprobs",
            "temperature",
            "top_p",
            "max_tokens",
            "max_completion_tokens",
            "seed",
            "user",
            "presence_penalty",
            "frequency_penalty",
            "metadata",
            "service_tier",
            "parallel_tool_calls",
            "stop",
            "response_format",
            "tools",
            "tool_choice",
            "functions",
            "function_call",
            "logit_bias",
            "store",
            "modalities",
            "audio",
            "prediction",
            "reasoning_effort",
            "web_search_options",
            "verbosity");

    /** Validates {@code req} (a JSON object whose {@code model} was resolved). */
    static ChatRequest parse(JsonNode req) {
        for (Iterator<String> it = req.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!KNOWN.contains(name)) {
                throw ApiException.badRequest(
                        name, "Unrecognized request argument supplied: " + Tensors.abbreviate(name));
            }
        }
        boolean stream = bool(req, "stream");
        boolean includeUsage = false;
        JsonNode so = present(req, "stream_options");
        if (so != null) {
            if (!stream) {
                throw ApiException.badRequest("stream_options", "stream_options: only allowed with \"stream\": true");
            }
            if (!so.isObject()) {
                throw ApiException.badRequest(
                        "stream_options",
                        "stream_options: expected an object such as " + "{\"include_usage\": true}, got "
                                + Tensors.abbreviate(so.toString()));
            }
            includeUsage = bool(so, "include_usage");
        }
        JsonNode n = present(req, "n");
        if (n != null && !(n.isIntegralNumber() && n.asLong() == 1)) {
            throw ApiException.badRequest(
                    "n",
                    "n: " + Tensors.abbreviate(n.toString())
                            + " is not supported; a classifier gives one choice (n = 1)");
        }
        number(req, "temperature", 0, 2);
        number(req, "top_p", 0, 1);
        number(req, "presence_penalty", -2, 2);
        number(req, "frequency_penalty", -2, 2);
        for (String max : new String[] {"max_tokens", "max_completion_tokens"}) {
            JsonNode m = present(req, max);
            if (m != null && !(m.isIntegralNumber() && m.asLong() >= 1)) {
                throw ApiException.badRequest(
                        max,
                        max + ": " + Tensors.abbreviate(m.toString())
                                + " is not allowed; the answer is one token, so it must be an integer of at least 1");
            }
        }
        JsonNode seed = present(req, "seed");
        if (seed != null && !seed.isIntegralNumber()) {
            throw ApiException.badRequest(
                    "seed", "seed: " + Tensors.abbreviate(seed.toString()) + " is not an integer");
        }
        typed(req, "user", JsonNode::isTextual, "a string");
        typed(req, "service_tier", JsonNode::isTextual, "a string");
        typed(req, "metadata", JsonNode::isObject, "an object");
        typed(req, "parallel_tool_calls", JsonNode::isBoolean, "a boolean");
        refuseUnlessDefault(req);

        boolean logprobs = bool(req, "logprobs");
        int top = 0;
        JsonNode tl = present(req, "top_logprobs");
        if (tl != null) {
            if (!tl.isIntegralNumber() || tl.asLong() < 0 || tl.asLong() > MAX_TOP_LOGPROBS) {
                throw ApiException.badRequest(
                        "top_logprobs",
                        "top_logprobs: " + Tensors.abbreviate(tl.toString())
                                + " is not allowed; must be an integer in [0, " + MAX_TOP_LOGPROBS + "]");
            }
            if (!logprobs) {
                throw ApiException.badRequest("top_logprobs", "top_logprobs requires \"logprobs\": true");
            }
            top = tl.intValue();
        }

        JsonNode messages = req.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiException.badRequest(
                    "messages", "messages: expected a non-empty array of " + "{\"role\", \"content\"} objects");
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
            throw ApiException.badRequest(
                    "messages",
                    "messages: no message has role \"user\"; the text to classify " + "is the last user message");
        }
        return new ChatRequest(stream, includeUsage, logprobs, top, classifiedText(userText), promptWords);
    }

    /** The parameters this facade cannot honour: each refused unless absent, null or its default. */
    private static void refuseUnlessDefault(JsonNode req) {
        JsonNode stop = present(req, "stop");
        if (stop != null
                && !(stop.isArray() && stop.isEmpty())
                && !(stop.isTextual() && stop.textValue().isEmpty())) {
            throw unsupported("stop", "stop sequences are not supported; the answer is one class name");
        }
        JsonNode rf = present(req, "response_format");
        if (rf != null
                && !(rf.isObject()
                        && rf.size() == 1
                        && "text".equals(rf.path("type").asText()))) {
            throw unsupported(
                    "response_format",
                    "only {\"type\": \"text\"} is supported; the answer is a class " + "name, not JSON");
        }
        for (String p : new String[] {"tools", "functions"}) {
            JsonNode t = present(req, p);
            if (t != null && !(t.isArray() && t.isEmpty())) {
                throw unsupported(p, "tool and function calling are not supported by a classifier");
            }
        }
        for (String p : new String[] {"tool_choice", "function_call"}) {
            JsonNode t = present(req, p);
            if (t != null && !(t.isTextual() && t.textValue().equals("none"))) {
                throw unsupported(p, "tool and function calling are not supported; only \"none\" is accepted");
            }
        }
        JsonNode bias = present(req, "logit_bias");
        if (bias != null && !(bias.isObject() && bias.isEmpty())) {
            throw unsupported("logit_bias", "biasing the classes is not supported; the answer is the model's argmax");
        }
        JsonNode store = present(req, "store");
        if (store != null && !(store.isBoolean() && !store.booleanValue())) {
            throw unsupported("store", "this server stores no completions; send false or leave it out");
        }
        JsonNode modalities = present(req, "modalities");
        if (modalities != null
                && !(modalities.isArray()
                        && modalities.size() == 1
                        && "text".equals(modalities.get(0).asText()))) {
            throw unsupported("modalities", "only [\"text\"] is supported");
        }
        for (String p : new String[] {"audio", "prediction", "reasoning_effort", "web_search_options", "verbosity"}) {
            if (present(req, p) != null) {
                throw unsupported(p, "not supported by a classifier; leave it out");
            }
        }
    }

    private static ApiException unsupported(String param, String why) {
        return ApiException.badRequest(param, param + ": " + why);
    }

    /** The field, or null when absent or JSON null. */
    private static JsonNode present(JsonNode o, String name) {
        JsonNode v = o.get(name);
        return v == null || v.isNull() ? null : v;
    }

    private static boolean bool(JsonNode o, String name) {
        JsonNode v = present(o, name);
        if (v == null) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest(name, name + ": " + Tensors.abbreviate(v.toString()) + " is not a boolean");
        }
        return v.booleanValue();
    }

    private static void number(JsonNode o, String name, double min, double max) {
        JsonNode v = present(o, name);
        if (v != null && !(v.isNumber() && v.asDouble() >= min && v.asDouble() <= max)) {
            throw ApiException.badRequest(
                    name,
                    name + ": " + Tensors.abbreviate(v.toString()) + " is not allowed; must be a number in [" + fmt(min)
                            + ", " + fmt(max) + "]");
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static void typed(JsonNode o, String name, java.util.function.Predicate<JsonNode> ok, String expected) {
        JsonNode v = present(o, name);
        if (v != null && !ok.test(v)) {
            throw ApiException.badRequest(name, name + ": " + Tensors.abbreviate(v.toString()) + " is not " + expected);
        }
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

    /**
     * A message's text: a string, or the {@code text} parts of an array of content parts. As in
     * OpenAI's API, {@code content} may be null or absent only in an assistant message that carries
     * {@code tool_calls} or {@code function_call} (history from another model); it then counts as
     * empty. Anywhere else a null content is refused, naming the message.
     */
    private static String content(JsonNode m, int i) {
        String field = "messages[" + i + "]";
        if (!m.isObject() || !m.path("role").isTextual()) {
            throw ApiException.badRequest(field, field + ": expected {\"role\": string, \"content\": string}");
        }
        JsonNode c = m.get("content");
        if (c == null || c.isNull()) {
            boolean calls = m.hasNonNull("tool_calls") || m.hasNonNull("function_call");
            if ("assistant".equals(m.get("role").textValue()) && calls) {
                return "";
            }
            throw ApiException.badRequest(
                    field + ".content",
                    field + ".content: " + (c == null ? "missing" : "null")
                            + "; expected a string or an array of text parts (null is allowed only in an assistant message "
                            + "with tool_calls)");
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        if (c.isArray()) {
            StringBuilder s = new StringBuilder();
            for (JsonNode part : c) {
                if ("text".equals(part.path("type").asText())
                        && part.path("text").isTextual()) {
                    s.append(s.length() == 0 ? "" : "\n")
                            .append(part.get("text").textValue());
                } else {
                    throw ApiException.badRequest(
                            field + ".content",
                            field + ".content: only text parts "
                                    + "{\"type\": \"text\", \"text\": ...} are supported, got "
                                    + Tensors.abbreviate(part.toString()));
                }
            }
            return s.toString();
        }
        throw ApiException.badRequest(
                field + ".content",
                field + ".content: expected a string or an array of " + "text parts, got "
                        + Tensors.abbreviate(c.toString()));
    }

    /** Whitespace-separated words, the facade's prompt token count. */
    static long words(String s) {
        String t = s.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }
}
