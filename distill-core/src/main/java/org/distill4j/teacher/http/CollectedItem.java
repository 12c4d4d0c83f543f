package org.distill4j.teacher.http;

import java.util.Objects;

/**
 * One completed item, as an {@code ok} record of the journal holds it.
 *
 * @param key hex SHA-256 of the item's exact payload (text or features)
 * @param values C values in class order: log-probabilities or logits, see {@code valueKind}
 * @param valueKind what {@code values} are
 * @param outsideMass OpenAI: probability mass of answers that are no label (removed by
 *     renormalising), in [0, 1]; 0 for v2
 * @param completion OpenAI: the raw generated text (for sequence-level distillation); "" for v2
 * @param teacher the teacher's {@link org.distill4j.teacher.TeacherIdentity#cacheKey()}
 * @param endpoint the URL the request was posted to (never holds credentials)
 * @param model the model name the server reported (or the configured one if it reported none)
 * @param modelVersion v2 {@code model_version} or OpenAI {@code system_fingerprint}; "" if none
 * @param attempts requests made for this item in the run that completed it, >= 1
 * @param promptTokens prompt tokens the server reported for it (0 for v2)
 * @param completionTokens completion tokens the server reported for it (0 for v2)
 * @param time ISO-8601 UTC instant it completed
 * @param labelSource OpenAI: where the values came from: {@code logprobs} (soft labels from the
 *     answer's log-probabilities), {@code text} (a hard label read from the completion text) or
 *     {@code samples} (an estimate from sampled completions); "" for v2 and older journals
 */
public record CollectedItem(
        String key,
        float[] values,
        ValueKind valueKind,
        double outsideMass,
        String completion,
        String teacher,
        String endpoint,
        String model,
        String modelVersion,
        int attempts,
        long promptTokens,
        long completionTokens,
        String time,
        String labelSource) {

    /** Requires the key and values. */
    public CollectedItem {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(valueKind, "valueKind");
        completion = completion == null ? "" : completion;
        modelVersion = modelVersion == null ? "" : modelVersion;
        labelSource = labelSource == null ? "" : labelSource;
    }

    /** An item without a recorded label source (v2, or a journal written before sources were recorded). */
    public CollectedItem(
            String key,
            float[] values,
            ValueKind valueKind,
            double outsideMass,
            String completion,
            String teacher,
            String endpoint,
            String model,
            String modelVersion,
            int attempts,
            long promptTokens,
            long completionTokens,
            String time) {
        this(
                key,
                values,
                valueKind,
                outsideMass,
                completion,
                teacher,
                endpoint,
                model,
                modelVersion,
                attempts,
                promptTokens,
                completionTokens,
                time,
                "");
    }
}
