package org.distill4j.audit;

import java.io.IOException;
import java.util.List;
import org.distill4j.data.ExampleSet;

/**
 * A model the audit queries: the suspect, the teacher or a reference, local or behind an HTTP API.
 *
 * <p>Contract: {@link #logProbabilities} returns, for every row of the probes, the model's
 * log-probabilities over the classes (C values per row, in the probes' class order, each row's
 * exponentials summing to 1), and adds the rows to {@link #queries()}. {@link #classNames()} and
 * {@link #featureShape()} are null when the model does not declare them (TorchScript, HTTP);
 * the audit then checks the output width and lets the model reject a wrong input shape.
 */
public interface AuditedModel extends AutoCloseable {

    /** Returns a short name for reports, e.g. the directory or endpoint. */
    String name();

    /** Returns the declared class names in id order, or null if the model declares none. */
    List<String> classNames();

    /** Returns the declared shape of one input row, or null if the model declares none. */
    long[] featureShape();

    /**
     * Returns how the model turns a text into its input row, for a model of text that declares it
     * (a distill4j model directory's {@code text_features}), else null. The audit refuses text
     * probes featurised differently: same shape, but different ids.
     */
    default org.distill4j.data.TextFeatures textFeatures() {
        return null;
    }

    /**
     * Queries the model on every row of {@code probes}.
     *
     * @return log-probabilities, {@code probes.size()} rows of C values
     * @throws IOException if a remote model could not be queried
     * @throws AuditException if the model's outputs do not fit the probes (width, shape)
     */
    float[][] logProbabilities(ExampleSet probes) throws IOException;

    /** Returns how many rows this model has been asked about so far. */
    long queries();

    @Override
    void close();
}
