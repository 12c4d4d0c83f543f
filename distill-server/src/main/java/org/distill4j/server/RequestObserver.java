package org.distill4j.server;

/**
 * Sees every request before it reaches a model, per client: the seam for accounting, quotas and
 * extraction monitoring. Called on the request's thread once the request is valid and before its
 * rows are queued; it may refuse the request by throwing {@link RequestRefusedException}. Must be
 * thread-safe and fast (it runs on every request).
 */
@FunctionalInterface
public interface RequestObserver {

    /** No accounting: admits every request. */
    RequestObserver NONE = request -> {};

    /** Records {@code request} and admits it, or refuses it with a {@link RequestRefusedException}. */
    void onRequest(ClientRequest request);

    /**
     * Records {@code request} with its input rows (an extraction detector looks at where a client
     * queries) and admits or refuses it. The server calls this one; by default it ignores the rows.
     *
     * @param rows the request's input rows as the model will see them, row-major (rows, features)
     */
    default void onRequest(ClientRequest request, float[] rows) {
        onRequest(request);
    }

    /**
     * Records a language-model request with what it asks for (its prompts' tokens, whether it
     * scores them, how many log-probabilities) and admits or refuses it. The LM endpoints call this
     * one; by default it ignores the query.
     */
    default void onTextRequest(ClientRequest request, org.distill4j.guard.TextQuery query) {
        onRequest(request);
    }
}
