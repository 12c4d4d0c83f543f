package org.distill4j.teacher.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;

/** Builds requests and reads responses of one protocol for one data set. Implementations are stateless. */
interface Codec {

    /** One unique payload: its key and the first row that holds it. */
    record Item(String key, int row) {}

    /**
     * The outcome of one item in a response: values, or the malformation that fails it.
     *
     * @param values C values in class order, or null on failure
     * @param outsideMass OpenAI outside mass, else 0
     * @param completion OpenAI completion text, else ""
     * @param error the failure, or null
     * @param labelSource where the values came from: {@code logprobs}, {@code text} (a hard label
     *     from the completion text), {@code samples} (an estimate from sampled completions), or ""
     *     (v2)
     * @param unmappable answers (completions) that named no class, counted, never labelled
     */
    record ItemOutcome(
            float[] values,
            double outsideMass,
            String completion,
            MalformedResponseException error,
            String labelSource,
            int unmappable) {

        /** An outcome of a protocol whose values need no label source (v2) or of soft labels from logprobs. */
        ItemOutcome(float[] values, double outsideMass, String completion, MalformedResponseException error) {
            this(values, outsideMass, completion, error, "", 0);
        }
    }

    /**
     * A parsed response.
     *
     * @param items one outcome per request item, in request order
     * @param model the model name the server reported, or ""
     * @param modelVersion the version it reported, or ""
     * @param promptTokens reported prompt tokens
     * @param completionTokens reported completion tokens
     */
    record Response(
            List<ItemOutcome> items, String model, String modelVersion, long promptTokens, long completionTokens) {}

    /** Returns the JSON request body for the items. */
    byte[] request(List<Item> items, String requestId);

    /** Returns the tokens a request for the items is expected to use (0 where the protocol counts none). */
    long estimateTokens(List<Item> items);

    /** Parses a 2xx response body; a malformation of the whole response throws. */
    Response parse(byte[] body, List<Item> items, String requestId) throws MalformedResponseException;

    /** Returns what the values are. */
    ValueKind valueKind();

    /** Reads a response body that must be one JSON object. */
    static JsonNode readObject(byte[] body) throws MalformedResponseException {
        JsonNode root;
        try {
            root = JournalJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new MalformedResponseException(
                    ErrorKind.BAD_JSON, "response is not JSON: " + JournalJson.describe(e));
        }
        if (root == null || !root.isObject()) {
            throw new MalformedResponseException(ErrorKind.BAD_JSON, "response is not a JSON object");
        }
        return root;
    }
}
