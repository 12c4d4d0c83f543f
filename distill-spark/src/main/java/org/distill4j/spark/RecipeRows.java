package org.distill4j.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.distill4j.data.ExampleSet;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;

/**
 * The rows of one split of a recipe's data (IDX or JSONL), loaded as the single-JVM path loads
 * them ({@link ExperimentData#load}: same limit, same seeded validation hold-out, same text
 * features), once per executor JVM and shared by its tasks ({@link ExampleSet}s are immutable).
 */
final class RecipeRows {

    private static final Map<String, ExampleSet> LOADED = new ConcurrentHashMap<>();

    private RecipeRows() {}

    /** Returns the split's rows; {@code split} is train, validation or test. */
    static ExampleSet of(Path recipeFile, List<String> overrides, String split) throws IOException {
        String key = recipeFile.toAbsolutePath() + "|" + overrides + "|" + split;
        ExampleSet cached = LOADED.get(key);
        if (cached != null) {
            return cached;
        }
        ExampleSet rows = select(ExperimentData.load(load(recipeFile, overrides)), split);
        LOADED.putIfAbsent(key, rows);
        return rows;
    }

    static Recipe load(Path recipeFile, List<String> overrides) throws IOException {
        try {
            return RecipeLoader.load(recipeFile, overrides);
        } catch (org.distill4j.recipe.RecipeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    static ExampleSet select(ExperimentData data, String split) {
        return switch (split) {
            case "train" -> data.train();
            case "test" -> data.test();
            case "validation" -> {
                if (data.validation() == null) {
                    throw new IllegalArgumentException("split 'validation' is empty: data.validation_fraction is 0");
                }
                yield data.validation();
            }
            default ->
                throw new IllegalArgumentException(
                        "illegal split value: '" + split + "', allowed: [train, validation, test]");
        };
    }
}
