package org.distill4j.teacher.http.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
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

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI completions;
    private final String model;
    private final ApiKey key;
    private final int k;
    private final RateLimiter limiter;
    private final RetryPolicy retry;
    private final Duration timeout;
    private final HttpClient http;

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
        if (k < 1 || k > 20) {
            throw new IllegalArgumentException("illegal k value: " + k + ", must be in [1, 20] (OpenAI's limit)");
        }
        String b = base.toString();
        this.completions = URI.create((b.endsWith("/") ? b : b + "/") + "completions");
        this.model = model;
        this.key = key;
        this.k = k;
        this.limiter = limiter;
        this.retry = retry;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /**
     * Scores {@code prompt} (token ids as the served model reads them, BOS first for a document).
     *
     * @throws IOException if the server refuses for good, or every attempt failed (the message
     *     says how and names the last status)
     */
    public PromptTopK score(int[] prompt) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode()
                .put("model", model)
                .put("max_tokens", 0)
                .put("echo", true)
                .put("logprobs", k);
        var ids = body.putArray("prompt");
        Arrays.stream(prompt).forEach(ids::add);
        byte[] bytes = JSON.writeValueAsBytes(body);
        Random jitter = retry.jitter(Arrays.toString(prompt));
        String last = "";
        for (int attempt = 1; attempt <= retry.maxAttempts(); attempt++) {
            limiter.acquire(prompt.length);
            HttpRequest.Builder req = HttpRequest.newBuilder(completions)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
            if (key.isPresent()) {
                req.header("Authorization", key.authorization());
            }
            Optional<Duration> retryAfter = Optional.empty();
            try {
                HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                int status = r.statusCode();
                if (status == 200) {
                    JsonNode answer = JSON.readTree(r.body());
                    long used = answer.path("usage").path("total_tokens").asLong(prompt.length);
                    limiter.reconcile(prompt.length, used);
                    JsonNode logprobs = answer.at("/choices/0/logprobs");
                    if (answer.at("/choices/0").isObject() && (logprobs.isMissingNode() || logprobs.isNull())) {
                        // The server ignores "logprobs" (Anthropic's API, many OpenAI-compatible ones):
                        // asking again cannot help, and nothing may be invented in their place.
                        throw new NoLogProbabilitiesException(completions + " answered without log-probabilities "
                                + "(choices[0].logprobs is " + (logprobs.isNull() ? "null" : "missing")
                                + "): it does not serve \"logprobs\" with \"echo\"; not retried. Token-level KD "
                                + "needs them; sequence-level KD (distillation.variant: sequence) needs only text");
                    }
                    return PromptTopK.parse(logprobs, prompt, k);
                }
                last = "HTTP " + status + ": " + key.scrub(abbreviate(r.body()));
                if (status == 429) {
                    retryAfter = RetryPolicy.parseRetryAfter(
                            r.headers().firstValue("Retry-After").orElse(null), Instant.now());
                    retryAfter.ifPresent(d -> limiter.pause(d.toNanos()));
                } else if (status != 408 && status < 500) {
                    throw new IOException(completions + " refused the scoring request: " + last);
                }
            } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
                last = "malformed answer: " + key.scrub(e.getMessage());
            } catch (IOException e) {
                if (e instanceof NoLogProbabilitiesException
                        || e.getMessage() != null && e.getMessage().contains("refused the scoring request")) {
                    throw e;
                }
                last = e.getClass().getSimpleName() + ": " + key.scrub(String.valueOf(e.getMessage()));
            }
            if (attempt < retry.maxAttempts()) {
                Thread.sleep(retry.delay(attempt, retryAfter, jitter).toMillis());
            }
        }
        throw new IOException(
                completions + ": scoring failed after " + retry.maxAttempts() + " attempts; last: " + last);
    }

    /** A 200 answer without any log-probabilities: the server does not support them; never retried. */
    public static final class NoLogProbabilitiesException extends IOException {
        private static final long serialVersionUID = 1L;

        NoLogProbabilitiesException(String message) {
            super(message);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
