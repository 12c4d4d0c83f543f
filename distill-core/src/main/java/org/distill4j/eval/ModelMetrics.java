package org.distill4j.eval;

/**
 * How one model did on the test split, and what it costs to serve.
 *
 * @param testAccuracy fraction of test rows classified correctly, in [0, 1]
 * @param testMacroF1 macro-averaged F1 on the test rows, in [0, 1], as {@link
 *     Predictions#macroF1} computes it (the figure to read beside accuracy when classes are
 *     imbalanced); NaN where unknown
 * @param testErrors number of misclassified test rows
 * @param testSize number of test rows
 * @param params number of trainable parameters
 * @param sizeBytes bytes of the saved parameter file
 * @param agreementWithTeacher fraction of test rows where the model's top class equals the
 *     teacher's, in [0, 1] (1 for the teacher itself)
 * @param klToTeacher mean KL(teacher || model) at T = 1 over the test rows, in nats (0 for the
 *     teacher itself)
 * @param latencyMsP50 median milliseconds to classify one row (batch of 1)
 * @param latencyMsP99 99th-percentile milliseconds to classify one row
 * @param throughputPerS rows classified per second at the throughput batch size
 * @param throughputBatch the batch size throughput was measured at
 */
public record ModelMetrics(
        double testAccuracy,
        double testMacroF1,
        int testErrors,
        int testSize,
        long params,
        long sizeBytes,
        double agreementWithTeacher,
        double klToTeacher,
        double latencyMsP50,
        double latencyMsP99,
        double throughputPerS,
        int throughputBatch) {}
