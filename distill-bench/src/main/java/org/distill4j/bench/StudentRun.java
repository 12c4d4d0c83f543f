package org.distill4j.bench;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One trained student of a benchmark and how it did.
 *
 * @param key what was trained: a stable description of spec, (T, alpha), transfer set and seed
 * @param group the benchmark row it belongs to (e.g. {@code scratch}, {@code distilled}, {@code sweep_T})
 * @param hidden hidden widths of the MLP student, e.g. "[100]"
 * @param params trainable parameters
 * @param temperature distillation temperature, NaN for a student trained from scratch
 * @param alpha weight of the soft term, NaN for scratch
 * @param transfer the training (transfer) set: {@code train}, {@code train/unlabeled}, {@code train/without-C}
 * @param seed seed of initialisation, shuffling and dropout
 * @param trainAccuracy accuracy on the training batches during the last epoch (labelled rows; NaN when none)
 * @param valAccuracy accuracy on the validation rows after the last epoch
 * @param testAccuracy accuracy on the test rows
 * @param testErrors misclassified test rows
 * @param omittedClassTestAccuracy accuracy on the test rows of the omitted class, NaN when no class was omitted
 * @param agreement fraction of test rows on which the student's top class is the teacher's
 * @param seconds wall-clock training seconds
 * @param testMacroF1 the unweighted mean over classes of the per-class F1 on the test rows (what an
 *     imbalanced task such as the Debian sections is judged by); NaN in records written before it
 *     was measured
 */
public record StudentRun(
        String key,
        String group,
        String hidden,
        long params,
        double temperature,
        double alpha,
        String transfer,
        long seed,
        double trainAccuracy,
        double valAccuracy,
        double testAccuracy,
        int testErrors,
        double omittedClassTestAccuracy,
        double agreement,
        double seconds,
        double testMacroF1) {

    /** Reads records written before macro-F1 was measured, which lack the field, as NaN. */
    @JsonCreator
    static StudentRun read(
            @JsonProperty("key") String key,
            @JsonProperty("group") String group,
            @JsonProperty("hidden") String hidden,
            @JsonProperty("params") long params,
            @JsonProperty("temperature") double temperature,
            @JsonProperty("alpha") double alpha,
            @JsonProperty("transfer") String transfer,
            @JsonProperty("seed") long seed,
            @JsonProperty("trainAccuracy") double trainAccuracy,
            @JsonProperty("valAccuracy") double valAccuracy,
            @JsonProperty("testAccuracy") double testAccuracy,
            @JsonProperty("testErrors") int testErrors,
            @JsonProperty("omittedClassTestAccuracy") double omittedClassTestAccuracy,
            @JsonProperty("agreement") double agreement,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("testMacroF1") Double testMacroF1) {
        return new StudentRun(
                key,
                group,
                hidden,
                params,
                temperature,
                alpha,
                transfer,
                seed,
                trainAccuracy,
                valAccuracy,
                testAccuracy,
                testErrors,
                omittedClassTestAccuracy,
                agreement,
                seconds,
                testMacroF1 == null ? Double.NaN : testMacroF1);
    }

    /** Returns this run as reported in another group of the benchmark (a reused run). */
    public StudentRun withGroup(String newGroup) {
        return new StudentRun(
                key,
                newGroup,
                hidden,
                params,
                temperature,
                alpha,
                transfer,
                seed,
                trainAccuracy,
                valAccuracy,
                testAccuracy,
                testErrors,
                omittedClassTestAccuracy,
                agreement,
                seconds,
                testMacroF1);
    }

    /** Returns whether this student was distilled. */
    public boolean distilled() {
        return !Double.isNaN(temperature);
    }
}
