package org.distill4j.guard;

import java.util.List;
import java.util.Objects;

/**
 * What one language-model request asks for, as the {@link ExtractionMonitor} accounts it: the
 * prompts' token ids and which outputs carry the model's distribution.
 *
 * @param prompts the token ids of every prompt (for chat: the templated conversation), at least one
 * @param echoLogprobs whether the answer scores the prompts themselves: {@code echo: true} with
 *     {@code logprobs} (a log-probability, and alternatives, for every prompt position)
 * @param logprobs alternatives per returned position ({@code logprobs} or {@code top_logprobs}),
 *     or -1 when the answer carries no log-probabilities
 * @param maxTokens tokens to generate per choice, at least 0 ({@code max_tokens: 0} only scores)
 * @param n choices per prompt, at least 1
 */
public record TextQuery(List<int[]> prompts, boolean echoLogprobs, int logprobs, int maxTokens, int n) {

    /** Validates the fields. */
    public TextQuery {
        Objects.requireNonNull(prompts, "prompts");
        if (prompts.isEmpty() || maxTokens < 0 || n < 1 || logprobs < -1) {
            throw new IllegalArgumentException("illegal text query: " + prompts.size() + " prompts, max_tokens "
                    + maxTokens + ", n " + n + ", logprobs " + logprobs
                    + "; expected >= 1 prompt, max_tokens >= 0, n >= 1, logprobs >= -1");
        }
        prompts = List.copyOf(prompts);
        if (echoLogprobs && logprobs < 0) {
            throw new IllegalArgumentException("illegal text query: echoLogprobs without logprobs");
        }
    }

    /** Whether the request only scores its prompts: {@code echo} + {@code logprobs} + {@code max_tokens: 0}. */
    public boolean bulkScoring() {
        return echoLogprobs && maxTokens == 0;
    }

    /** Prompt tokens over all prompts. */
    public long promptTokens() {
        long t = 0;
        for (int[] p : prompts) {
            t += p.length;
        }
        return t;
    }
}
