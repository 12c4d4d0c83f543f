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
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;

/**
 * One OpenAI-style JSON POST with the collector's rules: paced by a {@link RateLimiter} (tokens
 * estimated, reconciled with the answer's {@code usage.total_tokens}), retried per {@link
 * RetryPolicy} on 429 (honouring {@code Retry-After}, which also pauses the other workers), 408,
 * 5xx, I/O failures and malformed answers; other 4xx fail at once; the key is sent as a bearer
 * token and scrubbed from every message. An answer the parser rejects with an {@link IOException}
 * (a field the server does not serve) is never retried. Counts the requests it sends. Thread-safe.
 */
final class CompletionsPost {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Turns a 200 answer into a result. */
    @FunctionalInterface
    interface Parser<T> {
        /**
         * Parses the answer.
         *
         * @throws IllegalArgumentException if the answer is malformed (the request is retried)
         * @throws IOException if the answer lacks what the server does not serve (never retried)
         */
        T parse(JsonNode answer) throws IOException;
    }

    private final URI uri;
    private final ApiKey key;
    private final RateLimiter limiter;
    private final RetryPolicy retry;
    private final Duration timeout;
    private final HttpClient http;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong tokens = new AtomicLong();

    CompletionsPost(URI uri, ApiKey key, RateLimiter limiter, RetryPolicy retry, Duration timeout) {
        this.uri = uri;
        this.key = key;
        this.limiter = limiter;
        this.retry = retry;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    URI uri() {
        return uri;
    }

    /** Requests sent so far, retries included. */
    long requests() {
        return requests.get();
    }

    /** Tokens the server reported ({@code usage.total_tokens}, else the estimate) so far. */
    long tokens() {
        return tokens.get();
    }

    /**
     * Posts {@code body} until an answer parses or the attempts run out.
     *
     * @param estimate tokens the request is expected to use, for the token rate limit
     * @param jitterSeed seeds the backoff jitter (e.g. the prompt)
     * @throws IOException if the server refuses for good, the parser says the server lacks a
     *     feature, or every attempt failed (the message names the last failure)
     */
    <T> T post(ObjectNode body, long estimate, String jitterSeed, Parser<T> parser)
            throws IOException, InterruptedException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        Random jitter = retry.jitter(jitterSeed);
        String last = "";
        for (int attempt = 1; attempt <= retry.maxAttempts(); attempt++) {
            limiter.acquire(estimate);
            HttpRequest.Builder req = HttpRequest.newBuilder(uri)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
            if (key.isPresent()) {
                req.header("Authorization", key.authorization());
            }
            Optional<Duration> retryAfter = Optional.empty();
            HttpResponse<String> r;
            try {
                requests.incrementAndGet();
                r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                last = e.getClass().getSimpleName() + ": " + key.scrub(String.valueOf(e.getMessage()));
                sleep(attempt, retryAfter, jitter);
                continue;
            }
            int status = r.statusCode();
            if (status == 200) {
                try {
                    JsonNode answer = JSON.readTree(r.body());
                    long used = answer.path("usage").path("total_tokens").asLong(estimate);
                    limiter.reconcile(estimate, used);
                    tokens.addAndGet(used);
                    return parser.parse(answer);
                } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
                    last = "malformed answer: " + key.scrub(String.valueOf(e.getMessage()));
                }
            } else {
                String answer = key.scrub(abbreviate(r.body()));
                last = "HTTP " + status + ": " + answer;
                if (status == 429) {
                    retryAfter = RetryPolicy.parseRetryAfter(
                            r.headers().firstValue("Retry-After").orElse(null), Instant.now());
                    retryAfter.ifPresent(d -> limiter.pause(d.toNanos()));
                } else if (status != 408 && status < 500) {
                    throw new RefusedRequestException(
                            uri + " refused the request (not retried): " + last, status, answer);
                }
            }
            sleep(attempt, retryAfter, jitter);
        }
        throw new IOException(uri + ": failed after " + retry.maxAttempts() + " attempts; last: " + last);
    }

    private void sleep(int attempt, Optional<Duration> retryAfter, Random jitter) throws InterruptedException {
        if (attempt < retry.maxAttempts()) {
            Thread.sleep(retry.delay(attempt, retryAfter, jitter).toMillis());
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
