package org.distill4j.report;

import java.util.List;
import java.util.Map;

/**
 * Everything an experiment report shows: the models in display order and the recipe as run.
 *
 * @param title experiment name, e.g. {@code fashion-mnist}
 * @param models results in display order (teacher first)
 * @param recipe the recipe as run, as a JSON-compatible tree (maps, lists, strings, numbers)
 * @param environment facts about the run: versions, machine, date (string to string)
 * @param data facts about the data the models were scored on, as a JSON-compatible tree: {@code
 *     identical_to_training} (held-out rows that repeat a training row) and, for text, {@code
 *     split_overlap} ({@link org.distill4j.lm.corpus.SplitOverlap#report}); empty when none
 */
public record ExperimentResults(
        String title,
        List<ModelResult> models,
        Map<String, Object> recipe,
        Map<String, String> environment,
        Map<String, Object> data) {

    /** Defensive copies: results are immutable. */
    public ExperimentResults {
        models = List.copyOf(models);
        // Insertion order is kept: the report shows the recipe as the user wrote it.
        recipe = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(recipe));
        environment = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(environment));
        data = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(data));
    }

    /** Results with no facts about the data. */
    public ExperimentResults(
            String title, List<ModelResult> models, Map<String, Object> recipe, Map<String, String> environment) {
        this(title, models, recipe, environment, Map.of());
    }
}
