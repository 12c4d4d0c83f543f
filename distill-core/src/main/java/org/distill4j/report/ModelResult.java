package org.distill4j.report;

import java.util.List;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.train.EpochRecord;

/**
 * One model's row in an experiment's results: its role, what it is, how it scored and how it
 * trained.
 *
 * @param role {@code teacher}, {@code student_scratch} or {@code student_distilled}
 * @param description the architecture in words, e.g. {@code CNN(channels=[32, 64], ...)}
 * @param metrics test metrics
 * @param history per-epoch training record; empty for a model that was loaded, not trained
 */
public record ModelResult(String role, String description, ModelMetrics metrics, List<EpochRecord> history) {

    /** Defensive copy: results are immutable. */
    public ModelResult {
        history = List.copyOf(history);
    }
}
