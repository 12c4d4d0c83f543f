package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import org.distill4j.lm.token.Tokenizer;

/**
 * The OpenAI-compatible handlers of a served language model: {@code POST /v1/completions} (the
 * legacy format, with {@code echo} and {@code logprobs}) and {@code POST /v1/chat/completions},
 * whole or streamed as server-sent events. Parameters are decided by {@link LmRequest}; tokens are
 * written as {@link TokenText} says.
 *
 * <p>Legacy {@code logprobs: k}: per token its log-probability and a {@code top_logprobs} object of
 * the k most likely tokens, plus the token itself when it is not among them (as vLLM does), and the
 * {@code text_offset} of the token in prompt + completion (UTF-16 units). With {@code echo} the
 * prompt's tokens come first, BOS included, whose log-probability and alternatives are null (it is
 * conditioned on nothing); each later prompt token's log-probability is the model's given the
 * tokens before it. {@code echo} with {@code max_tokens: 0} only scores the prompt, in batches
 * ({@link LmScorer}). Usage counts prompt tokens once per prompt (BOS included) and every generated
 * token, EOS and the tokens of a cut stop sequence included.
 */
final class LmCompletions {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private LmCompletions() {}

    /** {@code POST /v1/completions}. */
    static Reply complete(Map<String, LmHost> lms, JsonNode body, String client) {
        LmHost h = resolve(lms, body);
        LmRequest req = LmRequest.completions(body, h);
        return run(h, req, client, "openai.completions");
    }

    /** {@code POST /v1/chat/completions} for a language model. */
    static Reply chat(LmHost h, JsonNode body, String client) {
        LmRequest req = LmRequest.chat(body, h);
        return run(h, req, client, "openai.chat");
    }

    /** The language model named by {@code body.model}. */
    static LmHost resolve(Map<String, LmHost> lms, JsonNode body) {
        if (!body.isObject()) {
            throw ApiException.badRequest(null, "request body must be a JSON object with \"model\" and \"prompt\"");
        }
        JsonNode name = body.get("model");
        if (name == null || !name.isTextual()) {
            throw ApiException.badRequest("model", "model: missing or not a string; expected one of " + lms.keySet());
        }
        LmHost h = lms.get(name.textValue());
        if (h == null) {
            throw new ApiException(
                    404,
                    "The model '" + Tensors.abbreviate(name.textValue()) + "' does not exist"
                            + (lms.isEmpty()
                                    ? "; this server serves no language model (completions need one)"
                                    : "; this server's language models are " + lms.keySet()),
                    "model",
                    "model_not_found");
        }
        return h;
    }

    private static Reply run(LmHost h, LmRequest req, String client, String endpoint) {
        ClientRequest cr = new ClientRequest(
                client, h.model.name(), endpoint, req.prompts().size() * req.n());
        h.admit(
                cr,
                new org.distill4j.guard.TextQuery(
                        req.prompts(), req.echo() && req.logprobs() >= 0, req.logprobs(), req.maxTokens(), req.n()));
        Answer answer = new Answer(h, req, cr);
        if (req.stream()) {
            try {
                // The first chunk before the status line: a full scoring queue or a failing prefill
                // is then an ordinary JSON error, not a stream cut short.
                answer.hasNext();
            } catch (RuntimeException e) {
                answer.close();
                throw e;
            }
            return new Reply.Events(answer);
        }
        try (answer) {
            return new Reply.Json(answer.whole());
        }
    }

    /** One request's answer: built whole, or iterated as stream chunks (then closed by the writer). */
    private static final class Answer implements Iterable<JsonNode>, Iterator<JsonNode>, AutoCloseable {

        private final LmHost h;
        private final LmRequest req;
        private final ClientRequest cr;
        private final String id;
        private final long created = System.currentTimeMillis() / 1000;
        private final Deque<JsonNode> pending = new ArrayDeque<>();
        private int task; // prompt * n + choice, the next to start
        private LmGeneration gen;
        private int sentBytes;
        private int sentSteps;
        private long promptTokens;
        private long completionTokens;
        private boolean done;
        private boolean slot;

        /** Takes a generation slot for the whole answer unless it only scores (503 when none is free). */
        Answer(LmHost h, LmRequest req, ClientRequest cr) {
            this.h = h;
            this.req = req;
            this.cr = cr;
            if (req.maxTokens() > 0) {
                h.acquire();
                slot = true;
            }
            this.id = (req.chat() ? "chatcmpl-" : "cmpl-")
                    + UUID.randomUUID().toString().replace("-", "");
            for (int[] p : req.prompts()) {
                promptTokens += p.length;
            }
        }

        /** The whole answer. */
        ObjectNode whole() {
            ObjectNode o = head(req.chat() ? "chat.completion" : "text_completion");
            ArrayNode choices = o.putArray("choices");
            int n = req.n();
            for (int t = 0; t < req.prompts().size() * n; t++) {
                int[] prompt = req.prompts().get(t / n);
                ObjectNode c = choices.addObject();
                c.put("index", t);
                if (req.maxTokens() == 0) {
                    float[] logits = scorePrompt(prompt);
                    c.put("text", promptText(h.tokenizer(), prompt));
                    c.set("logprobs", req.logprobs() < 0 ? F.nullNode() : promptLogprobs(prompt, logits));
                    c.put("finish_reason", "length");
                    continue;
                }
                try (LmGeneration g = start(t)) {
                    g.finish();
                    completionTokens += g.generated();
                    String text = TokenText.decode(g.bytes(), 0, g.length());
                    if (req.chat()) {
                        c.putObject("message").put("role", "assistant").put("content", text);
                        c.set("logprobs", chatLogprobs(g.steps()));
                    } else {
                        ObjectNode lp = null;
                        if (req.logprobs() >= 0) {
                            lp = req.echo() ? promptLogprobs(prompt, g.promptLogits()) : legacy();
                            appendSteps(lp, g, g.steps(), prompt);
                        }
                        c.put("text", (req.echo() ? promptText(h.tokenizer(), prompt) : "") + text);
                        c.set("logprobs", lp == null ? F.nullNode() : lp);
                    }
                    c.put("finish_reason", g.finishReason());
                }
            }
            o.set("usage", usage());
            return o;
        }

        private LmGeneration start(int t) {
            return new LmGeneration(
                    h,
                    cr,
                    req.prompts().get(t / req.n()),
                    req.sampling(t % req.n()),
                    req.stops(),
                    req.logprobs() >= 0,
                    req.echo() && req.logprobs() >= 0);
        }

        @Override
        public Iterator<JsonNode> iterator() {
            return this;
        }

        @Override
        public boolean hasNext() {
            while (pending.isEmpty() && !done) {
                advance();
            }
            return !pending.isEmpty();
        }

        @Override
        public JsonNode next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return pending.poll();
        }

        /** Produces the next chunk(s) of the stream. */
        private void advance() {
            int n = req.n();
            if (gen == null) {
                if (task == req.prompts().size() * n) {
                    if (req.includeUsage()) {
                        ObjectNode u = head(chunkObject());
                        u.putArray("choices");
                        u.set("usage", usage());
                        pending.add(u);
                    }
                    done = true;
                    return;
                }
                int t = task++;
                int[] prompt = req.prompts().get(t / n);
                if (req.maxTokens() == 0) {
                    float[] logits = scorePrompt(prompt);
                    pending.add(chunk(
                            t,
                            promptText(h.tokenizer(), prompt),
                            req.logprobs() < 0 ? F.nullNode() : promptLogprobs(prompt, logits),
                            "length",
                            false));
                    return;
                }
                gen = start(t);
                sentBytes = 0;
                sentSteps = 0;
                if (req.chat()) {
                    pending.add(chunk(t, "", F.nullNode(), null, true));
                } else if (req.echo()) {
                    pending.add(chunk(
                            t,
                            promptText(h.tokenizer(), prompt),
                            req.logprobs() < 0 ? F.nullNode() : promptLogprobs(prompt, gen.promptLogits()),
                            null,
                            false));
                }
                return;
            }
            int t = task - 1;
            gen.step();
            int settled = gen.settled();
            List<LmGeneration.Step> steps = gen.steps();
            int upTo = sentSteps;
            while (upTo < steps.size() && steps.get(upTo).end() <= settled) {
                upTo++;
            }
            if (settled > sentBytes || upTo > sentSteps || gen.finished()) {
                String text = TokenText.decode(gen.bytes(), sentBytes, settled);
                List<LmGeneration.Step> now = steps.subList(sentSteps, upTo);
                JsonNode lp;
                if (req.logprobs() < 0) {
                    lp = F.nullNode();
                } else if (req.chat()) {
                    lp = chatLogprobs(now);
                } else {
                    ObjectNode l = legacy();
                    appendSteps(l, gen, now, req.prompts().get(t / n));
                    lp = l;
                }
                String finish = gen.finishReason();
                if (finish != null && req.chat() && (!text.isEmpty() || !now.isEmpty())) {
                    pending.add(chunk(t, text, lp, null, false));
                    pending.add(chunk(t, null, F.nullNode(), finish, false));
                } else {
                    pending.add(chunk(t, text, lp, finish, false));
                }
                sentBytes = settled;
                sentSteps = upTo;
            }
            if (gen.finished()) {
                completionTokens += gen.generated();
                gen.close();
                gen = null;
            }
        }

        private String chunkObject() {
            return req.chat() ? "chat.completion.chunk" : "text_completion";
        }

        private ObjectNode chunk(int index, String text, JsonNode logprobs, String finish, boolean role) {
            ObjectNode o = head(chunkObject());
            ObjectNode c = o.putArray("choices").addObject();
            c.put("index", index);
            if (req.chat()) {
                ObjectNode delta = c.putObject("delta");
                if (role) {
                    delta.put("role", "assistant");
                }
                if (text != null) {
                    delta.put("content", text);
                }
            } else {
                c.put("text", text == null ? "" : text);
            }
            c.set("logprobs", logprobs);
            if (finish == null) {
                c.putNull("finish_reason");
            } else {
                c.put("finish_reason", finish);
            }
            if (req.includeUsage()) {
                o.putNull("usage");
            }
            return o;
        }

        private ObjectNode head(String object) {
            ObjectNode o = F.objectNode();
            o.put("id", id);
            o.put("object", object);
            o.put("created", created);
            o.put("model", h.model.name());
            o.put("system_fingerprint", h.model.version());
            return o;
        }

        private ObjectNode usage() {
            ObjectNode u = F.objectNode();
            u.put("prompt_tokens", promptTokens);
            u.put("completion_tokens", completionTokens);
            u.put("total_tokens", promptTokens + completionTokens);
            return u;
        }

        private static ObjectNode legacy() {
            ObjectNode lp = F.objectNode();
            lp.putArray("tokens");
            lp.putArray("token_logprobs");
            lp.putArray("top_logprobs");
            lp.putArray("text_offset");
            return lp;
        }

        /** Legacy log-probabilities of every prompt token from the logits of the prompt's positions. */
        /**
         * The logits that score a prompt: token i's log-probability comes from position i - 1, so the
         * last token needs no position of its own. A scoring request may thus hold the context length
         * plus one tokens (a collector's window and the token after it), as many as a model trained at
         * that window length ever predicts.
         */
        private float[] scorePrompt(int[] prompt) {
            return h.score(cr, prompt.length > 1 ? Arrays.copyOf(prompt, prompt.length - 1) : prompt);
        }

        private ObjectNode promptLogprobs(int[] prompt, float[] logits) {
            ObjectNode lp = legacy();
            byte[] bytes = promptBytes(h.tokenizer(), prompt);
            int v = h.vocab();
            int pos = 0;
            for (int i = 0; i < prompt.length; i++) {
                double[] logp = i == 0 ? null : Tensors.logSoftmax(logits, i - 1, v);
                add(lp, prompt[i], logp, TokenText.textOffset(bytes, pos));
                pos += h.tokenizer().byteLength(prompt[i]);
            }
            return lp;
        }

        /** Appends generated steps; offsets count the prompt text first. */
        private void appendSteps(ObjectNode lp, LmGeneration g, List<LmGeneration.Step> steps, int[] prompt) {
            int base = promptText(h.tokenizer(), prompt).length();
            for (LmGeneration.Step s : steps) {
                add(lp, s.id(), s.logp(), base + TokenText.textOffset(g.bytes(), s.start()));
            }
        }

        private void add(ObjectNode lp, int token, double[] logp, int offset) {
            ((ArrayNode) lp.get("tokens")).add(TokenText.token(h.tokenizer(), token));
            ArrayNode tl = (ArrayNode) lp.get("token_logprobs");
            ArrayNode top = (ArrayNode) lp.get("top_logprobs");
            if (logp == null) {
                tl.addNull();
                top.addNull();
            } else {
                tl.add(logp[token]);
                ObjectNode m = top.addObject();
                int[] best = top(logp, req.logprobs());
                boolean seen = false;
                for (int b : best) {
                    m.put(TokenText.token(h.tokenizer(), b), logp[b]);
                    seen |= b == token;
                }
                if (!seen) {
                    m.put(TokenText.token(h.tokenizer(), token), logp[token]);
                }
            }
            ((ArrayNode) lp.get("text_offset")).add(offset);
        }

        private JsonNode chatLogprobs(List<LmGeneration.Step> steps) {
            if (req.logprobs() < 0) {
                return F.nullNode();
            }
            ObjectNode lp = F.objectNode();
            ArrayNode content = lp.putArray("content");
            for (LmGeneration.Step s : steps) {
                ObjectNode e = entry(s.id(), s.logp()[s.id()]);
                ArrayNode tops = e.putArray("top_logprobs");
                for (int b : top(s.logp(), req.logprobs())) {
                    tops.add(entry(b, s.logp()[b]));
                }
                content.add(e);
            }
            lp.putNull("refusal");
            return lp;
        }

        private ObjectNode entry(int token, double logprob) {
            ObjectNode e = F.objectNode();
            e.put("token", TokenText.token(h.tokenizer(), token));
            e.put("logprob", logprob);
            e.set("bytes", TokenText.bytes(h.tokenizer(), token));
            return e;
        }

        @Override
        public void close() {
            if (gen != null) {
                gen.close();
                gen = null;
            }
            if (slot) {
                slot = false;
                h.release();
            }
        }
    }

    /**
     * The k most likely ids, most likely first (ties: lower id first). Insertion into a sorted
     * array of k: O(V k) without boxing, cheaper than sorting V for k &lt;= 20.
     */
    static int[] top(double[] logp, int k) {
        int n = Math.min(k, logp.length);
        int[] best = new int[n];
        if (n == 0) {
            return best;
        }
        int size = 0;
        for (int id = 0; id < logp.length; id++) {
            double v = logp[id];
            if (size == n && !(v > logp[best[n - 1]])) {
                continue;
            }
            int at = size < n ? size++ : n - 1;
            while (at > 0 && v > logp[best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = id;
        }
        return best;
    }

    private static byte[] promptBytes(Tokenizer tokenizer, int[] prompt) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(prompt.length);
        for (int id : prompt) {
            b.writeBytes(tokenizer.bytes(id));
        }
        return b.toByteArray();
    }

    private static String promptText(Tokenizer tokenizer, int[] prompt) {
        byte[] b = promptBytes(tokenizer, prompt);
        return TokenText.decode(b, 0, b.length);
    }
}
