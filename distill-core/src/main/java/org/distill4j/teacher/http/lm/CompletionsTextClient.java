package org.distill4j.teacher.http.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;

/**
 * Asks a served language model to continue a text, for sequence-level KD: {@code POST
 * {base}/completions} with {@code {"model", "prompt": TEXT, "max_tokens", "temperature", "seed"}}
 * (the continuation is {@code choices[0].text}), or {@code POST {base}/chat/completions} with the
 * text as the user message (the continuation is {@code choices[0].message.content}), through the
 * collector's rate limits, retries and key hygiene ({@link CompletionsPost}). Only text crosses,
 * so the teacher's vocabulary need not be the student's. Thread-safe.
 */
public final class CompletionsTextClient {

    /** The OpenAI route a continuation is asked on. */
    public enum Route {
        /** {@code /completions}: a continuation of the raw text. */
        COMPLETIONS,
        /** {@code /chat/completions}: the text is the user message, the answer the continuation. */
        CHAT;

        /**
         * Parses {@code completions} or {@code chat}.
         *
         * @throws IllegalArgumentException naming the value and the allowed ones
         */
        public static Route parse(String s) {
            return switch (s) {
                case "completions" -> COMPLETIONS;
                case "chat" -> CHAT;
                default ->
                    throw new IllegalArgumentException(
                            "illegal route value: '" + s + "', allowed: [completions, chat]");
            };
        }
    }

    /**
     * One continuation.
     *
     * @param text the generated text (without the prompt)
     * @param promptTokens prompt tokens the server reported (0 if none)
     * @param completionTokens completion tokens it reported (0 if none)
     * @param model the model name it reported ("" if none)
     */
    public record Generation(String text, long promptTokens, long completionTokens, String model) {}

    private final Route route;
    private final String model;
    private final CompletionsPost post;

    /**
     * @param base the OpenAI base URL, e.g. {@code http://127.0.0.1:8000/v1}
     * @param route the route
     * @param model the {@code model} field
     * @param key the API key, or {@link ApiKey#none()}
     * @param limiter the rate limits
     * @param retry when to try again
     * @param timeout per request
     */
    public CompletionsTextClient(
            URI base, Route route, String model, ApiKey key, RateLimiter limiter, RetryPolicy retry, Duration timeout) {
        String b = base.toString();
        b = b.endsWith("/") ? b : b + "/";
        this.route = route;
        this.model = model;
        this.post = new CompletionsPost(
                URI.create(b + (route == Route.CHAT ? "chat/completions" : "completions")),
                key,
                limiter,
                retry,
                timeout);
    }

    /** Returns the URL requests go to. */
    public URI endpoint() {
        return post.uri();
    }

    /** Returns the requests sent so far, retries included. */
    public long requests() {
        return post.requests();
    }

    /**
     * Continues {@code prompt}.
     *
     * @param maxTokens the generation limit, at least 1
     * @param temperature sampling temperature (1 samples from the teacher's distribution)
     * @param seed the request's {@code seed}, for servers that honour it
     * @throws IOException if the server refuses for good or every attempt failed
     */
    public Generation generate(String prompt, int maxTokens, double temperature, long seed)
            throws IOException, InterruptedException {
        ObjectNode body = CompletionsPost.JSON.createObjectNode().put("model", model);
        if (route == Route.CHAT) {
            body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        } else {
            body.put("prompt", prompt);
        }
        body.put("max_tokens", maxTokens).put("temperature", temperature).put("seed", seed);
        long estimate = prompt.length() / 4 + 8 + maxTokens;
        return post.post(body, estimate, prompt + "#" + seed, answer -> {
            JsonNode choice = answer.path("choices").path(0);
            JsonNode text = route == Route.CHAT ? choice.path("message").path("content") : choice.path("text");
            if (!text.isTextual()) {
                throw new IllegalArgumentException("choices[0]." + (route == Route.CHAT ? "message.content" : "text")
                        + ": expected a string, got " + (text.isMissingNode() ? "none" : text.getNodeType()));
            }
            JsonNode usage = answer.path("usage");
            return new Generation(
                    text.asText(),
                    usage.path("prompt_tokens").asLong(0),
                    usage.path("completion_tokens").asLong(0),
                    answer.path("model").asText(""));
        });
    }
}
