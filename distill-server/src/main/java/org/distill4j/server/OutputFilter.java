package org.distill4j.server;

/**
 * Sees a model's logits where they leave the model, before any endpoint turns them into outputs
 * (v2 logits and probabilities, chat answers and log-probabilities): the seam for watermarking or
 * perturbing outputs. Called on the request's thread, or for generated tokens on the model's
 * generation thread ({@code GenerationBatcher}); must be thread-safe.
 */
@FunctionalInterface
public interface OutputFilter {

    /** Passes the logits through unchanged. */
    OutputFilter NONE = (request, logits, classes) -> logits;

    /**
     * Returns the logits the client gets.
     *
     * @param request who asked, for which model
     * @param logits row-major (rows, classes) logits of the model; may be modified and returned
     * @param classes number of classes (columns)
     * @return logits of the same length
     */
    float[] filter(ClientRequest request, float[] logits, int classes);

    /**
     * Returns the logits the client gets, seeing the request's input rows too (a watermark keyed
     * by the input needs them). The server calls this one; by default it ignores the rows.
     *
     * @param rows the request's input rows as the model saw them, row-major (rows, features)
     */
    default float[] filter(ClientRequest request, float[] rows, float[] logits, int classes) {
        return filter(request, logits, classes);
    }

    /**
     * Returns the next-token logits a language model's client gets, seeing the last two tokens each
     * row follows (a watermark keyed by the context needs them). The language-model endpoints call
     * this one, for scored prompts and generated tokens alike; by default it ignores the tokens.
     *
     * @param history two tokens per row: row r holds the logits of the token after {@code
     *     history[2r]} then {@code history[2r + 1]} (the first is -1 where the sequence has one token)
     * @param logits row-major (rows, vocab) logits
     */
    default float[] filterTokens(ClientRequest request, int[] history, float[] logits, int vocab) {
        return filter(request, logits, vocab);
    }
}
