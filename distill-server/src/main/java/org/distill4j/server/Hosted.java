package org.distill4j.server;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A served model with its batcher and serving hooks: what the endpoints call to run rows. Every
 * request's rows pass the {@link RequestObserver} before they are queued and the logits pass the
 * {@link OutputFilter} before an endpoint sees them, so no endpoint can bypass either.
 */
final class Hosted {

    /** Name of the one input of dense models in v2 metadata and requests. */
    static final String DENSE_INPUT = "input";
    /** Name of the one input of text models in v2 metadata and requests. */
    static final String TEXT_INPUT = "text";

    /** How long a request waits for its batch before it gets 503; generous, as a queue bounds it. */
    private static final long TIMEOUT_S = 60;

    final ServedModel model;
    final DynamicBatcher batcher;
    final long createdEpochSecond = System.currentTimeMillis() / 1000;
    private final RequestObserver observer;
    private final OutputFilter filter;
    private final ServedQueryLog queryLog;

    /** @param queryLog where answered inputs are recorded, or null for nowhere */
    Hosted(
            ServedModel model,
            DynamicBatcher batcher,
            RequestObserver observer,
            OutputFilter filter,
            ServedQueryLog queryLog) {
        this.model = model;
        this.batcher = batcher;
        this.observer = observer;
        this.filter = filter;
        this.queryLog = queryLog;
    }

    boolean isText() {
        return model.textFeatures().isPresent();
    }

    String inputName() {
        return isText() ? TEXT_INPUT : DENSE_INPUT;
    }

    int classes() {
        return model.classNames().size();
    }

    /** Featurises texts into rows (on the calling request thread, so it runs in parallel). */
    private float[] featurize(java.util.List<String> texts) {
        var tf = model.textFeatures().orElseThrow();
        float[] rows = new float[texts.size() * tf.maxFeatures()];
        for (int i = 0; i < texts.size(); i++) {
            tf.featurize(texts.get(i), rows, i * tf.maxFeatures());
        }
        return rows;
    }

    /**
     * Runs the request's {@link ClientRequest#rows()} feature rows through the batcher and waits
     * for their logits, after the observer admitted the request; returns what the output filter
     * makes of them, and records the rows in the query log once answered.
     */
    float[] logits(ClientRequest request, float[] rows) {
        float[] out = answer(request, rows);
        if (queryLog != null) {
            queryLog.recordRows(request, rows);
        }
        return out;
    }

    /** As {@link #logits(ClientRequest, float[])} for a text model's texts (one row each). */
    float[] logitsOfTexts(ClientRequest request, java.util.List<String> texts) {
        float[] out = answer(request, featurize(texts));
        if (queryLog != null) {
            queryLog.recordTexts(request, texts);
        }
        return out;
    }

    private float[] answer(ClientRequest request, float[] rows) {
        try {
            observer.onRequest(request, rows);
        } catch (RequestRefusedException e) {
            throw ErrorBodies.of(e);
        }
        float[] logits = await(rows, request.rows());
        float[] out = filter.filter(request, rows, logits, classes());
        if (out == null || out.length != logits.length) {
            throw new IllegalStateException("output filter returned " + (out == null ? "null" : out.length + " values")
                    + " for " + logits.length + " logits");
        }
        return out;
    }

    private float[] await(float[] rows, int count) {
        try {
            return batcher.submit(rows, count).get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            throw new ApiException(503, e.getMessage(), null, "unavailable");
        } catch (TimeoutException e) {
            throw new ApiException(
                    503, "model '" + model.name() + "' did not answer within " + TIMEOUT_S + " s", null, "timeout");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "request interrupted (server shutting down)", null, "unavailable");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RejectedExecutionException) {
                throw new ApiException(503, cause.getMessage(), null, "unavailable");
            }
            throw new ApiException(
                    500, "model '" + model.name() + "' failed: " + cause.getMessage(), null, "inference_failed");
        }
    }
}
