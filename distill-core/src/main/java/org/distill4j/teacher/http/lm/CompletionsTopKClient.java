package org.distill4j.teacher.http.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;

/**
 * Asks a served language model for the top-k log-probabilities of every position of a token
 * sequence: {@code POST {base}/completions} with {@code {"model", "prompt": [ids], "max_tokens": 0,
 * "echo": true, "logprobs": k}}, through the collector's {@link RateLimiter} (tokens estimated as
 * the prompt length, reconciled with the server's {@code usage.total_tokens}) and {@link
 * RetryPolicy} (429, 408, 5xx, I/O failures and malformed bodies are retried, honouring {@code
 * Retry-After}; other 4xx fail at once). The API key is sent as a bearer token and scrubbed from
 * every message. Thread-safe.
 */
public final class CompletionsTopKClient {

    private final int k;
    private final CompletionsPost post;
    private final String model;
    private final Tokenizer tokenizer;

    /**
     * @param base the OpenAI base URL, e.g. {@code http://127.0.0.1:8000/v1}
     * @param model the {@code model} field
     * @param key the API key, or {@link ApiKey#none()}
     * @param k alternatives per position, in [1, 20]
     * @param limiter the rate limits
     * @param retry when to try again
     * @param timeout per request
     */
    public CompletionsTopKClient(
            URI base, String model, ApiKey key, int k, RateLimiter limiter, RetryPolicy retry, Duration timeout) {
        this(base, model, key, k, limiter, retry, timeout, ByteTokenizer.INSTANCE);
    }

    /**
     * A client whose prompts and answers are in {@code tokenizer}'s vocabulary (the served model's
     * must be the same: the echoed prompt is checked token by token).
     *
     * @param base the OpenAI base URL, e.g. {@code http://127.0.0.1:8000/v1}
     * @param model the {@code model} field
     * @param key the API key, or {@link ApiKey#none()}
     * @param k alternatives per position, in [1, 20]
     * @param limiter the rate limits
     * @param retry when to try again
     * @param timeout per request
     * @param tokenizer maps the answer's token strings to ids
     */
    public CompletionsTopKClient(
            URI base,
            String model,
            ApiKey key,
            int k,
            RateLimiter limiter,
            RetryPolicy retry,
            Duration timeout,
            Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        if (k < 1 || k > 20) {
            throw new IllegalArgumentException("illegal k value: " + k + ", must be in [1, 20] (OpenAI's limit)");
        }
        String b = base.toString();
        this.post = new CompletionsPost(
                URI.create((b.endsWith("/") ? b : b + "/") + "completions"), key, limiter, retry, timeout);
        this.model = model;
        this.k = k;
    }

    /** Returns the requests sent so far, retries included. */
    public long requests() {
        return post.requests();
    }

    /** Returns the tokens the server reported so far. */
    public long tokens() {
        return post.tokens();
    }

    /**
     * Scores {@code prompt} (token ids as the served model reads them, BOS first for a document).
     *
     * @throws IOException if the server refuses for good, answers without log-probabilities (never
     *     retried: {@link NoLogProbabilitiesException}), or every attempt failed (the message says
     *     how and names the last status)
     */
    public PromptTopK score(int[] prompt) throws IOException, InterruptedException {
        ObjectNode body = CompletionsPost.JSON
                .createObjectNode()
                .put("model", model)
                .put("max_tokens", 0)
                .put("echo", true)
                .put("logprobs", k);
        var ids = body.putArray("prompt");
        Arrays.stream(prompt).forEach(ids::add);
        return post.post(body, prompt.length, Arrays.toString(prompt), answer -> {
            JsonNode logprobs = answer.at("/choices/0/logprobs");
            if (answer.at("/choices/0").isObject() && (logprobs.isMissingNode() || logprobs.isNull())) {
                // The server ignores "logprobs" (Anthropic's API, many OpenAI-compatible ones):
                // asking again cannot help, and nothing may be invented in their place.
                throw new NoLogProbabilitiesException(post.uri() + " answered without log-probabilities "
                        + "(choices[0].logprobs is " + (logprobs.isNull() ? "null" : "missing")
                        + "): it does not serve \"logprobs\" with \"echo\"; not retried. Token-level KD "
                        + "needs them; sequence-level KD (distillation.variant: sequence) needs only text");
            }
            try {
                return PromptTopK.parse(logprobs, prompt, k, tokenizer);
            } catch (PromptTopK.TokenizerMismatchException e) {
                // Another vocabulary answers the same way every time: not retried.
                throw new IOException(post.uri() + ": " + e.getMessage() + "; not retried. Token-level KD needs the "
                        + "teacher's vocabulary to be the student's; sequence-level KD (distillation.variant: "
                        + "sequence) passes only text and works across vocabularies");
            }
        });
    }

    /** A 200 answer without any log-probabilities: the server does not support them; never retried. */
    public static final class NoLogProbabilitiesException extends IOException {
        private static final long serialVersionUID = 1L;

        NoLogProbabilitiesException(String message) {
            super(message);
        }
    }
}
