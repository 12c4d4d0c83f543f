package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.distill4j.lm.model.SamplingConfig;

/**
 * A validated request to a served language model, from {@code /v1/completions} or {@code
 * /v1/chat/completions}. Every parameter is honoured or refused with a 400 naming it; unknown ones
 * are refused, as OpenAI does.
 *
 * <p>Completions: {@code prompt} is a string, a list of strings, a list of token ids or a list of
 * such lists; a string is encoded as BOS followed by its UTF-8 bytes, token ids are used as given.
 * {@code max_tokens} (default 16, 0 only with {@code echo}), {@code temperature} [0, 2] (default 1;
 * 0 is greedy), {@code top_p} (0, 1], {@code top_k} (vLLM's extension; -1 or 0 = all), {@code
 * seed} (choice j of a request samples with seed + j; without a seed one is drawn), {@code n} [1,
 * 16] and {@code best_of} equal to {@code n}, {@code stop} (a string or up to 4), {@code logprobs}
 * [0, 20], {@code echo}, {@code stream} with {@code stream_options.include_usage}, {@code user}.
 * Refused unless at their default: {@code suffix}, {@code presence_penalty}, {@code
 * frequency_penalty}, {@code logit_bias}.
 *
 * <p>Chat: {@code messages} rendered by {@link #chatTemplate}, {@code max_tokens} or {@code
 * max_completion_tokens} (default: the rest of the context), {@code logprobs} (boolean) and {@code
 * top_logprobs} [0, 20], and the sampling parameters above.
 *
 * @param chat from the chat endpoint
 * @param prompts token ids of each prompt
 * @param echo completions: the answer repeats the prompt (and its log-probabilities)
 * @param maxTokens most new tokens per choice
 * @param temperature sampling temperature, 0 = greedy
 * @param topP nucleus mass
 * @param topK top-k filter, 0 = none
 * @param seed sampling seed of choice 0
 * @param n choices per prompt
 * @param stops stop sequences as UTF-8 bytes
 * @param logprobs how many alternatives per token (legacy {@code logprobs} or chat {@code
 *     top_logprobs}); -1 for no log-probabilities
 * @param stream answer as server-sent events
 * @param includeUsage a last event with the usage
 */
record LmRequest(
        boolean chat,
        List<int[]> prompts,
        boolean echo,
        int maxTokens,
        double temperature,
        double topP,
        int topK,
        long seed,
        int n,
        List<byte[]> stops,
        int logprobs,
        boolean stream,
        boolean includeUsage) {

    static final int MAX_LOGPROBS = 20;
    static final int MAX_N = 16;
    private static final Set<String> COMPLETIONS = Set.of(
            "model",
            "prompt",
            "max_tokens",
            "temperature",
            "top_p",
            "top_k",
            "n",
            "best_of",
            "stream",
            "stream_options",
            "logprobs",
            "echo",
            "stop",
            "seed",
            "user",
            "suffix",
            "presence_penalty",
            "frequency_penalty",
            "logit_bias");
    private static final Set<String> CHAT = Set.of(
            "model",
            "messages",
            "max_tokens",
            "max_completion_tokens",
            "temperature",
            "top_p",
            "top_k",
            "n",
            "stream",
            "stream_options",
            "logprobs",
            "top_logprobs",
            "stop",
            "seed",
            "user",
            "presence_penalty",
            "frequency_penalty",
            "logit_bias",
            "response_format",
            "tools",
            "tool_choice",
            "metadata",
            "store");

    /** The sampling of choice {@code j}. */
    SamplingConfig sampling(int j) {
        return new SamplingConfig(maxTokens, temperature, topK, topP, seed + j, true);
    }

    /** Validates a {@code /v1/completions} body for the model {@code h}. */
    static LmRequest completions(JsonNode req, LmHost h) {
        known(req, COMPLETIONS);
        JsonNode p = present(req, "prompt");
        if (p == null) {
            throw ApiException.badRequest(
                    "prompt", "prompt: missing; expected a string, a list of strings or token ids");
        }
        List<int[]> prompts = new ArrayList<>();
        if (p.isTextual()) {
            prompts.add(encode(p.textValue(), h));
        } else if (p.isArray() && !p.isEmpty() && p.get(0).isIntegralNumber()) {
            prompts.add(ids(p, "prompt", h));
        } else if (p.isArray() && !p.isEmpty()) {
            for (int i = 0; i < p.size(); i++) {
                JsonNode e = p.get(i);
                if (e.isTextual()) {
                    prompts.add(encode(e.textValue(), h));
                } else if (e.isArray() && !e.isEmpty()) {
                    prompts.add(ids(e, "prompt[" + i + "]", h));
                } else {
                    throw ApiException.badRequest(
                            "prompt",
                            "prompt[" + i + "]: expected a string or a non-empty " + "list of token ids, got "
                                    + Tensors.abbreviate(e.toString()));
                }
            }
        } else {
            throw ApiException.badRequest(
                    "prompt",
                    "prompt: expected a string, a non-empty list of strings, or " + "token ids, got "
                            + Tensors.abbreviate(p.toString()));
        }
        for (String zero : new String[] {"presence_penalty", "frequency_penalty"}) {
            JsonNode z = present(req, zero);
            if (z != null && !(z.isNumber() && z.doubleValue() == 0)) {
                throw ApiException.badRequest(zero, zero + ": not supported; leave it out or send 0");
            }
        }
        JsonNode suffix = present(req, "suffix");
        if (suffix != null && !(suffix.isTextual() && suffix.textValue().isEmpty())) {
            throw ApiException.badRequest("suffix", "suffix: insertion is not supported; leave it out");
        }
        refuseBias(req);
        boolean echo = bool(req, "echo");
        int maxTokens = integer(req, "max_tokens", 16, 0, Integer.MAX_VALUE);
        if (maxTokens == 0 && !echo) {
            throw ApiException.badRequest(
                    "max_tokens",
                    "max_tokens: 0 is only allowed with \"echo\": true (scoring " + "the prompt); send at least 1");
        }
        int logprobs = -1;
        JsonNode lp = present(req, "logprobs");
        if (lp != null) {
            if (!lp.isIntegralNumber() || lp.asLong() < 0 || lp.asLong() > MAX_LOGPROBS) {
                throw ApiException.badRequest(
                        "logprobs",
                        "logprobs: " + Tensors.abbreviate(lp.toString()) + " is not allowed; must be an integer in [0, "
                                + MAX_LOGPROBS + "]");
            }
            logprobs = lp.intValue();
        }
        int n = integer(req, "n", 1, 1, MAX_N);
        JsonNode bestOf = present(req, "best_of");
        if (bestOf != null && !(bestOf.isIntegralNumber() && bestOf.asLong() == n)) {
            throw ApiException.badRequest("best_of", "best_of: only equal to n (" + n + ") is supported");
        }
        return common(req, h, false, prompts, echo, maxTokens, n, logprobs);
    }

    /** Validates a {@code /v1/chat/completions} body for the model {@code h}. */
    static LmRequest chat(JsonNode req, LmHost h) {
        known(req, CHAT);
        JsonNode messages = req.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiException.badRequest(
                    "messages", "messages: expected a non-empty array of " + "{\"role\", \"content\"} objects");
        }
        List<String[]> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String field = "messages[" + i + "]";
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw ApiException.badRequest(field, field + ": expected {\"role\": string, \"content\": string}");
            }
            String role = m.get("role").textValue();
            if (!Set.of("system", "developer", "user", "assistant").contains(role)) {
                throw ApiException.badRequest(
                        field + ".role",
                        field + ".role: '" + Tensors.abbreviate(role)
                                + "' is not supported; use system, developer, user or assistant");
            }
            turns.add(new String[] {role, content(m.get("content"), field + ".content")});
        }
        for (String zero : new String[] {"presence_penalty", "frequency_penalty"}) {
            JsonNode z = present(req, zero);
            if (z != null && !(z.isNumber() && z.doubleValue() == 0)) {
                throw ApiException.badRequest(zero, zero + ": not supported; leave it out or send 0");
            }
        }
        refuseBias(req);
        JsonNode rf = present(req, "response_format");
        if (rf != null && !(rf.isObject() && "text".equals(rf.path("type").asText()))) {
            throw ApiException.badRequest("response_format", "response_format: only {\"type\": \"text\"} is supported");
        }
        for (String t : new String[] {"tools", "tool_choice"}) {
            JsonNode v = present(req, t);
            if (v != null
                    && !(v.isArray() && v.isEmpty())
                    && !(v.isTextual() && v.textValue().equals("none"))) {
                throw ApiException.badRequest(t, t + ": tool calling is not supported");
            }
        }
        JsonNode store = present(req, "store");
        if (store != null && !(store.isBoolean() && !store.booleanValue())) {
            throw ApiException.badRequest(
                    "store", "store: this server stores no completions; send false or leave it out");
        }
        int[] prompt = encode(chatTemplate(turns), h);
        int rest = Math.max(1, h.contextLength() - prompt.length);
        int maxTokens = present(req, "max_completion_tokens") != null
                ? integer(req, "max_completion_tokens", rest, 1, Integer.MAX_VALUE)
                : integer(req, "max_tokens", rest, 1, Integer.MAX_VALUE);
        boolean lp = bool(req, "logprobs");
        int top = 0;
        JsonNode tl = present(req, "top_logprobs");
        if (tl != null) {
            if (!tl.isIntegralNumber() || tl.asLong() < 0 || tl.asLong() > MAX_LOGPROBS) {
                throw ApiException.badRequest(
                        "top_logprobs",
                        "top_logprobs: " + Tensors.abbreviate(tl.toString())
                                + " is not allowed; must be an integer in [0, " + MAX_LOGPROBS + "]");
            }
            if (!lp) {
                throw ApiException.badRequest("top_logprobs", "top_logprobs requires \"logprobs\": true");
            }
            top = tl.intValue();
        }
        int n = integer(req, "n", 1, 1, MAX_N);
        return common(req, h, true, List.of(prompt), false, maxTokens, n, lp ? top : -1);
    }

    /**
     * The chat template: each message as {@code <|role|>\n} + content + {@code \n}, then {@code
     * <|assistant|>\n}, all as plain bytes after BOS (the byte tokenizer has no special tokens but
     * BOS and EOS). A model answers well only if it was trained on text in this form.
     */
    static String chatTemplate(List<String[]> turns) {
        StringBuilder s = new StringBuilder();
        for (String[] t : turns) {
            s.append("<|").append(t[0]).append("|>\n").append(t[1]).append('\n');
        }
        return s.append("<|assistant|>\n").toString();
    }

    private static LmRequest common(
            JsonNode req,
            LmHost h,
            boolean chat,
            List<int[]> prompts,
            boolean echo,
            int maxTokens,
            int n,
            int logprobs) {
        double temperature = number(req, "temperature", 1, 0, 2);
        double topP = number(req, "top_p", 1, 0, 1);
        if (topP == 0) {
            throw ApiException.badRequest("top_p", "top_p: must be greater than 0 (use temperature 0 for greedy)");
        }
        int topK = integer(req, "top_k", 0, -1, h.vocab());
        JsonNode s = present(req, "seed");
        if (s != null && !s.isIntegralNumber()) {
            throw ApiException.badRequest("seed", "seed: " + Tensors.abbreviate(s.toString()) + " is not an integer");
        }
        long seed = s != null ? s.longValue() : ThreadLocalRandom.current().nextLong();
        List<byte[]> stops = new ArrayList<>();
        JsonNode stop = present(req, "stop");
        if (stop != null) {
            List<JsonNode> list = new ArrayList<>();
            if (stop.isArray()) {
                stop.forEach(list::add);
            } else {
                list.add(stop);
            }
            if (list.size() > 4) {
                throw ApiException.badRequest("stop", "stop: at most 4 sequences, got " + list.size());
            }
            for (JsonNode x : list) {
                if (!x.isTextual()) {
                    throw ApiException.badRequest(
                            "stop",
                            "stop: expected a string or a list of strings, got " + Tensors.abbreviate(x.toString()));
                }
                if (!x.textValue().isEmpty()) {
                    stops.add(x.textValue().getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        typed(req, "user", JsonNode::isTextual, "a string");
        typed(req, "metadata", JsonNode::isObject, "an object");
        boolean stream = bool(req, "stream");
        boolean includeUsage = false;
        JsonNode so = present(req, "stream_options");
        if (so != null) {
            if (!stream) {
                throw ApiException.badRequest("stream_options", "stream_options: only allowed with \"stream\": true");
            }
            if (!so.isObject()) {
                throw ApiException.badRequest(
                        "stream_options", "stream_options: expected an object such as " + "{\"include_usage\": true}");
            }
            includeUsage = bool(so, "include_usage");
        }
        int ctx = h.contextLength();
        for (int i = 0; i < prompts.size(); i++) {
            int len = prompts.get(i).length;
            String which = prompts.size() == 1 ? "the prompt" : "prompt " + i;
            // Scoring (max_tokens 0) never runs the last token through the model: context + 1 fits.
            int most = maxTokens == 0 ? ctx + 1 : ctx;
            if (len > most) {
                throw ApiException.badRequest(
                        chat ? "messages" : "prompt",
                        which + " is " + len + " tokens (one per "
                                + "UTF-8 byte, plus BOS); the model's context length is " + ctx
                                + (maxTokens == 0 ? " (a scoring request may hold " + most + ")" : ""));
            }
            if (maxTokens > 0 && len + maxTokens > ctx) {
                throw ApiException.badRequest(
                        chat && present(req, "max_completion_tokens") != null ? "max_completion_tokens" : "max_tokens",
                        "max_tokens: " + which + " (" + len
                                + " tokens) plus " + maxTokens + " new tokens exceed the context length " + ctx
                                + "; ask for at most " + (ctx - len));
            }
        }
        return new LmRequest(
                chat,
                prompts,
                echo,
                maxTokens,
                temperature,
                topP,
                Math.max(0, topK),
                seed,
                n,
                stops,
                logprobs,
                stream,
                includeUsage);
    }

    private static int[] encode(String text, LmHost h) {
        int[] body = h.tokenizer().encode(text);
        int[] ids = new int[body.length + 1];
        ids[0] = h.tokenizer().bos();
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }

    private static int[] ids(JsonNode a, String field, LmHost h) {
        int[] ids = new int[a.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode x = a.get(i);
            if (!x.isIntegralNumber() || x.asLong() < 0 || x.asLong() >= h.vocab()) {
                throw ApiException.badRequest(
                        "prompt",
                        field + "[" + i + "]: " + Tensors.abbreviate(x.toString()) + " is not a token id in [0, "
                                + h.vocab() + ")");
            }
            ids[i] = x.intValue();
        }
        return ids;
    }

    private static String content(JsonNode c, String field) {
        if (c != null && c.isTextual()) {
            return c.textValue();
        }
        if (c != null && c.isArray()) {
            StringBuilder s = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText())
                        || !part.path("text").isTextual()) {
                    throw ApiException.badRequest(
                            field, field + ": only text parts {\"type\": \"text\", \"text\": ...} " + "are supported");
                }
                s.append(s.length() == 0 ? "" : "\n").append(part.get("text").textValue());
            }
            return s.toString();
        }
        throw ApiException.badRequest(field, field + ": expected a string or an array of text parts");
    }

    private static void known(JsonNode req, Set<String> known) {
        for (Iterator<String> it = req.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                throw ApiException.badRequest(
                        name, "Unrecognized request argument supplied: " + Tensors.abbreviate(name));
            }
        }
    }

    private static void refuseBias(JsonNode req) {
        JsonNode bias = present(req, "logit_bias");
        if (bias != null && !(bias.isObject() && bias.isEmpty())) {
            throw ApiException.badRequest("logit_bias", "logit_bias: not supported; leave it out");
        }
    }

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

    private static int integer(JsonNode o, String name, int dflt, int min, int max) {
        JsonNode v = present(o, name);
        if (v == null) {
            return dflt;
        }
        if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
            throw ApiException.badRequest(
                    name,
                    name + ": " + Tensors.abbreviate(v.toString()) + " is not allowed; must be an integer in [" + min
                            + ", " + max + "]");
        }
        return v.intValue();
    }

    private static double number(JsonNode o, String name, double dflt, double min, double max) {
        JsonNode v = present(o, name);
        if (v == null) {
            return dflt;
        }
        if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
            throw ApiException.badRequest(
                    name,
                    name + ": " + Tensors.abbreviate(v.toString()) + " is not allowed; must be a number in [" + min
                            + ", " + max + "]");
        }
        return v.asDouble();
    }

    private static void typed(JsonNode o, String name, java.util.function.Predicate<JsonNode> ok, String expected) {
        JsonNode v = present(o, name);
        if (v != null && !ok.test(v)) {
            throw ApiException.badRequest(name, name + ": " + Tensors.abbreviate(v.toString()) + " is not " + expected);
        }
    }
}
