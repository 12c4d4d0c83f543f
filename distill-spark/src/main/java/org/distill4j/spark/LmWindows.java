package org.distill4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.distill4j.lm.corpus.CorpusSplit.Part;
import org.distill4j.lm.corpus.PackedCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.recipe.RecipeException;

/**
 * A language-model recipe's training windows on an executor, opened once per executor JVM and
 * shared by its tasks (the windows are read-only): either read, split and packed in memory as
 * {@code distill run} does ({@link LmTrainingCorpus}), or, for a streamed corpus, the token files
 * the driver packed on the shared filesystem ({@link PackedCorpus#open}, read with positional I/O:
 * the executor holds no copy of the corpus). The windows are the same either way.
 */
final class LmWindows {

    /**
     * Where an executor finds a recipe's training windows: the recipe and its overrides, and the
     * directory, key and window length of the corpus the driver packed (null, null, 0: read the
     * corpus in memory).
     */
    record Source(String recipeFile, List<String> overrides, String packedDir, String packedKey, int context)
            implements Serializable {

        private static final long serialVersionUID = 1L;

        /** Copies the overrides. */
        Source {
            overrides = List.copyOf(overrides);
        }

        /** The source of a recipe whose corpus is read in memory. */
        static Source inMemory(Path recipeFile, List<String> overrides) {
            return new Source(recipeFile.toAbsolutePath().toString(), overrides, null, null, 0);
        }

        /** The source of a recipe whose corpus the driver packed into {@code packed}. */
        static Source packed(Path recipeFile, List<String> overrides, PackedCorpus packed, String key, int context) {
            return new Source(
                    recipeFile.toAbsolutePath().toString(),
                    overrides,
                    packed.dir().toAbsolutePath().toString(),
                    key,
                    context);
        }

        Path recipe() {
            return Path.of(recipeFile);
        }
    }

    private static final Map<Source, TokenWindows> LOADED = new ConcurrentHashMap<>();

    private LmWindows() {}

    /** Returns the source's training windows (opened once per JVM; a packed corpus stays open). */
    static TokenWindows train(Source source) throws IOException {
        TokenWindows cached = LOADED.get(source);
        if (cached != null) {
            return cached;
        }
        synchronized (LOADED) {
            cached = LOADED.get(source);
            if (cached != null) {
                return cached;
            }
            TokenWindows read;
            if (source.packedDir() == null) {
                read = LmTrainingCorpus.read(recipe(source.recipe(), source.overrides()))
                        .train();
            } else {
                // Never packed here, nor the recipe's corpus file read: the driver packed it once for
                // every executor.
                PackedCorpus packed =
                        PackedCorpus.open(Path.of(source.packedDir()), source.packedKey(), ByteTokenizer.INSTANCE);
                read = packed.windows(Part.TRAIN, source.context());
            }
            LOADED.put(source, read);
            return read;
        }
    }

    static LmRecipe recipe(Path recipeFile, List<String> overrides) throws IOException {
        LmRecipe recipe;
        try {
            recipe = LmRecipe.load(recipeFile, overrides);
        } catch (RecipeException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (!recipe.tokenizerType().equals(ByteTokenizer.KIND)) {
            throw new IOException(recipeFile + ": data.tokenizer.type " + recipe.tokenizerType()
                    + ": the Spark top-k job collects for the byte tokenizer only; collect with distill run");
        }
        return recipe;
    }
}
