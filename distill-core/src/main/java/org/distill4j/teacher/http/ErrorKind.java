package org.distill4j.teacher.http;

/**
 * Why one attempt at an item failed. Kinds marked retryable are retried with backoff up to the
 * configured number of attempts; the others fail the item at once ({@link #UNAUTHORIZED} aborts
 * the whole run). The {@link #wireName()} is what the journal, {@code usage.json} and {@link
 * CollectionResult.FailedRow} carry.
 */
public enum ErrorKind {
    /** HTTP 429 Too Many Requests (retryable, honours {@code Retry-After}). */
    RATE_LIMITED("http_429", true),
    /** HTTP 408 Request Timeout or any 5xx (retryable, honours {@code Retry-After}). */
    SERVER_ERROR("http_5xx", true),
    /** No complete response within the per-request timeout (retryable). */
    TIMEOUT("timeout", true),
    /** The connection was refused, reset or dropped, or the body was cut short (retryable). */
    CONNECTION("connection", true),
    /** The body is not valid JSON or lacks a required field (retryable). */
    BAD_JSON("bad_json", true),
    /** The output has the wrong shape, size, datatype or id (retryable). */
    WRONG_SHAPE("wrong_shape", true),
    /** An output value or log-probability is NaN or infinite (retryable). */
    NON_FINITE("non_finite", true),
    /** Declared probabilities are negative or do not sum to 1 (retryable). */
    BAD_PROBABILITIES("bad_probabilities", true),
    /**
     * No listed token in any top-k list supports any label (never turned into a label). Not
     * retried within a run: requests ask for temperature 0, so the same answer would be paid for
     * again; a rerun of the job retries it once more.
     */
    LABEL_NOT_IN_TOP_K("label_not_in_top_k", false),
    /**
     * The answer names no class: a label taken from the completion text (hard labels) or every
     * sampled completion of a soft-label estimate is no label. Not retried within a run (at
     * temperature 0 the answer would repeat); a rerun of the job retries it once more.
     */
    LABEL_NOT_IN_ANSWER("label_not_in_answer", false),
    /**
     * A well-formed answer without a field the request relies on and the server does not serve:
     * {@code logprobs} missing or null (Anthropic's API, many OpenAI-compatible servers), or fewer
     * choices than {@code n}. Never retried (the server would answer the same); under the {@code fail}
     * policy the first such answer stops the run (see {@link HttpTeacherConfig#onMissingLogprobs()}).
     */
    UNSUPPORTED("unsupported", false),
    /** A 4xx other than 401, 403, 408 and 429: the request itself is wrong (not retried). */
    CLIENT_ERROR("http_4xx", false),
    /** HTTP 401 or 403: the key was rejected (aborts the run). */
    UNAUTHORIZED("unauthorized", false);

    private final String wireName;
    private final boolean retryable;

    ErrorKind(String wireName, boolean retryable) {
        this.wireName = wireName;
        this.retryable = retryable;
    }

    /** Returns the name written to the journal and usage report, e.g. {@code http_429}. */
    public String wireName() {
        return wireName;
    }

    /** Returns true if an attempt that failed this way is tried again. */
    public boolean retryable() {
        return retryable;
    }
}
