package org.distill4j.server;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Optional;
import org.distill4j.data.TextFeatures;

/**
 * A classifier that {@link ModelServer} can serve: a name, a version, the shape of one input row,
 * class names, and a forward pass from float32 rows to logits.
 *
 * <p>Implementations: a distill4j model directory ({@link ServedSavedModel}, dense or text input)
 * and a TorchScript file ({@link ServedTorchScript}, dense input).
 *
 * <p>Contract: {@link #logits} maps float32 inputs of shape (B, featureShape...) to logits of
 * shape (B, {@code classNames().size()}) in inference mode, attached to the inputs' manager. It is
 * not required to be thread-safe: the server calls it from one inference thread per model (see
 * {@link DynamicBatcher}). A row's logits must not depend on the other rows of the batch (no
 * batch statistics), which is what makes dynamic batching invisible to clients. Models hold native
 * resources and must be closed; a {@link ModelServer} closes the models it serves.
 */
public interface ServedModel extends AutoCloseable {

    /** Name under which the model is served: 1 to 64 of {@code A-Z a-z 0-9 _ . -}. */
    String name();

    /** Hex SHA-256 of the model's files; changes whenever the model changes. */
    String contentHash();

    /**
     * The version reported to clients: the first {@value ModelServer#VERSION_CHARS} hex digits of
     * {@link #contentHash()}, so a client can record which model answered.
     */
    default String version() {
        return contentHash().substring(0, ModelServer.VERSION_CHARS);
    }

    /** Platform string of the v2 model metadata ({@code distill4j} or {@code pytorch_torchscript}). */
    String platform();

    /** Shape of one input row (without the batch dimension); a copy. */
    long[] featureShape();

    /** Class names in logit order, at least 2. */
    List<String> classNames();

    /**
     * How a text becomes the input row, for text classifiers (then {@link #featureShape()} is
     * {@code [maxFeatures]}); empty for models of dense features.
     */
    Optional<TextFeatures> textFeatures();

    /** One line describing the model for logs and startup output. */
    String describe();

    /**
     * Computes logits in inference mode.
     *
     * @param inputs float32, shape (B, featureShape...)
     * @return float32 logits (B, C), attached to {@code inputs}' manager
     */
    NDArray logits(NDArray inputs);

    @Override
    void close();

    /** Number of floats in one input row: the product of {@link #featureShape()}. */
    default int rowSize() {
        long n = 1;
        for (long d : featureShape()) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    /** Checks a served-model name; the message says what is allowed. */
    static String checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9_.\\-]{1,64}")) {
            throw new IllegalArgumentException("illegal model name: " + (name == null ? "null" : "'" + name + "'")
                    + ", must be 1 to 64 of A-Z a-z 0-9 _ . - (it is part of the URL)");
        }
        return name;
    }
}
