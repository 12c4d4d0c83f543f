package org.distill4j.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.recipe.RecipeException;

/**
 * A language-model recipe's training corpus ({@link LmTrainingCorpus}: read, split and packed as
 * {@code distill run} does), once per executor JVM and shared by its tasks (the windows are
 * read-only).
 */
final class LmWindows {

    private static final Map<String, LmTrainingCorpus> LOADED = new ConcurrentHashMap<>();

    private LmWindows() {}

    /** Returns the recipe's training corpus and windows. */
    static LmTrainingCorpus of(Path recipeFile, List<String> overrides) throws IOException {
        String key = recipeFile.toAbsolutePath() + "|" + overrides;
        LmTrainingCorpus cached = LOADED.get(key);
        if (cached != null) {
            return cached;
        }
        LmTrainingCorpus read = LmTrainingCorpus.read(recipe(recipeFile, overrides));
        LOADED.putIfAbsent(key, read);
        return read;
    }

    static LmRecipe recipe(Path recipeFile, List<String> overrides) throws IOException {
        try {
            return LmRecipe.load(recipeFile, overrides);
        } catch (RecipeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
