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
}
