package org.distill4j.teacher.http;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends one request of a collection and classifies what came back: a parsed {@link
 * Codec.Response}, or an {@link AttemptFailure} of a kind the retry policy acts on (timeout,
 * connection, rejected key, rate limit, server or client error, malformed body). Every text taken
 * from the server is scrubbed of the API key. Thread-safe.
 */
final class RequestSender {

    private static final int BODY_EXCERPT = 300;

    private final HttpTeacherConfig config;
    private final HttpClient client;
    private final Codec codec;
    private final UsageCounters usage;

    RequestSender(HttpTeacherConfig config, HttpClient client, Codec codec, UsageCounters usage) {
        this.config = config;
        this.client = client;
        this.codec = codec;
        this.usage = usage;
    }

    /** Sends one request; returns a {@link Codec.Response} or an {@link AttemptFailure}. */
    Object send(List<Codec.Item> items, String requestId) throws InterruptedException {
        ApiKey key = config.apiKey();
        HttpRequest.Builder b = HttpRequest.newBuilder(config.endpoint())
                .timeout(config.timeout())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(codec.request(items, requestId)));
        if (config.protocol() == Protocol.ANTHROPIC) {
            b.header("anthropic-version", AnthropicCodec.VERSION);
            if (key.isPresent()) {
                b.header("x-api-key", key.headerValue());
            }
        } else if (key.isPresent()) {
            b.header("Authorization", key.authorization());
        }
        HttpResponse<byte[]> resp;
        CompletableFuture<HttpResponse<byte[]>> future =
                client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        try {
            // The request timeout covers the response headers only; this bounds the body too.
            resp = future.get(config.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return new AttemptFailure(
                    ErrorKind.TIMEOUT, "no complete response within " + config.timeout(), Optional.empty());
        } catch (InterruptedException e) {
            future.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof HttpTimeoutException) {
                return new AttemptFailure(
                        ErrorKind.TIMEOUT, "no response within " + config.timeout(), Optional.empty());
            }
            return new AttemptFailure(
                    ErrorKind.CONNECTION,
                    "connection to " + config.endpoint() + " failed or body cut short: " + key.scrub(describe(c)),
                    Optional.empty());
        }
        int status = resp.statusCode();
        usage.status(status);
        if (status / 100 == 2) {
            try {
                return codec.parse(resp.body(), items, requestId);
            } catch (MalformedResponseException e) {
                return new AttemptFailure(e.kind(), key.scrub(e.getMessage()), Optional.empty());
            }
        }
        // Scrub the whole body before cutting it: a key straddling the cut would escape the scrub.
        String body = excerpt(key.scrub(new String(resp.body(), StandardCharsets.UTF_8)));
        Optional<Duration> retryAfter = RetryPolicy.parseRetryAfter(
                resp.headers().firstValue("Retry-After").orElse(null), Instant.now());
        if (status == 401 || status == 403) {
            return new AttemptFailure(
                    ErrorKind.UNAUTHORIZED,
                    "HTTP " + status + " from " + config.endpoint()
                            + ": the server rejected the API key from " + key.source()
                            + " (check that it is valid and allowed to use model " + config.model() + "); server said: "
                            + body,
                    Optional.empty());
        }
        if (status == 429) {
            return new AttemptFailure(ErrorKind.RATE_LIMITED, "HTTP 429: " + body, retryAfter);
        }
        if (status == 408 || status >= 500) {
            return new AttemptFailure(ErrorKind.SERVER_ERROR, "HTTP " + status + ": " + body, retryAfter);
        }
        return new AttemptFailure(
                ErrorKind.CLIENT_ERROR, "HTTP " + status + " (not retried): " + body, Optional.empty());
    }

    /** Names an exception and its causes' messages (the JDK client often leaves the outer message null). */
    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.getClass().getSimpleName());
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null) {
                sb.append(": ").append(c.getMessage());
                break;
            }
        }
        return sb.toString();
    }

    private static String excerpt(String body) {
        String s = body.strip();
        return s.length() <= BODY_EXCERPT ? s : s.substring(0, BODY_EXCERPT) + "...";
    }
}
