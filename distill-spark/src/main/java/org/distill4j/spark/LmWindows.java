package org.distill4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.distill4j.lm.corpus.CorpusSplit.Part;
import org.distill4j.lm.corpus.PackedCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.token.BpeTokenizer;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.recipe.RecipeException;

/**
 * A language-model recipe's training windows on an executor, opened once per executor JVM and
 * shared by its tasks (the windows are read-only): either read, split and packed in memory as
 * {@code distill run} does ({@link LmTrainingCorpus}), or, for a streamed corpus, the token files
 * the driver packed on the shared filesystem ({@link PackedCorpus#open}, read with positional I/O:
 * the executor holds no copy of the corpus). The windows are the same either way, in the recipe's
 * tokenizer: bytes, or a byte-level BPE (trained on the training documents in memory, deterministic,
 * so every JVM trains the same one; for a packed corpus the one the driver trained and cached beside
 * the token files, read here, never retrained).
 */
final class LmWindows {

    /**
     * Where an executor finds a recipe's training windows: the recipe and its overrides, and for a
     * corpus the driver packed, its directory, key and window length and the BPE file it was
     * tokenized with and its BOS and EOS names (null for bytes); for a corpus read in memory those
     * are null, null, 0, null, null, null.
     */
    record Source(
            String recipeFile,
            List<String> overrides,
            String packedDir,
            String packedKey,
            int context,
            String tokenizerFile,
            String bosName,
            String eosName)
            implements Serializable {

        private static final long serialVersionUID = 1L;

        /** Copies the overrides. */
        Source {
            overrides = List.copyOf(overrides);
        }

        /** The source of a recipe whose corpus is read in memory. */
        static Source inMemory(Path recipeFile, List<String> overrides) {
            return new Source(recipeFile.toAbsolutePath().toString(), overrides, null, null, 0, null, null, null);
        }

        /**
         * The source of a recipe whose corpus the driver packed into {@code packed} under {@code
         * cacheDir} ({@link LmTrainingCorpus#pack}): a BPE the recipe trains is the one cached there
         * ({@link LmTrainingCorpus#trainedTokenizerFile}), one it names is its {@code
         * data.tokenizer.file}, so executors read a tokenizer file and never the corpus.
         */
        static Source packed(
                Path recipeFile,
                List<String> overrides,
                LmRecipe recipe,
                PackedCorpus packed,
                String key,
                Path cacheDir)
                throws IOException {
            String file = null;
            String bos = null;
            String eos = null;
            if (BpeTokenizer.KIND.equals(recipe.tokenizerType())) {
                LmRecipe.TokenizerSpec t = recipe.data().tokenizer();
                Path trained = LmTrainingCorpus.trainedTokenizerFile(recipe, cacheDir);
                file = (trained != null ? trained : t.file()).toAbsolutePath().toString();
                bos = trained != null || t.bos() == null ? BpeTokenizer.DEFAULT_BOS : t.bos();
                eos = trained != null || t.eos() == null ? BpeTokenizer.DEFAULT_EOS : t.eos();
            }
            return new Source(
                    recipeFile.toAbsolutePath().toString(),
                    overrides,
                    packed.dir().toAbsolutePath().toString(),
                    key,
                    recipe.context(),
                    file,
                    bos,
                    eos);
        }

        Path recipe() {
            return Path.of(recipeFile);
        }
    }

    /** A source's training windows and the tokenizer that made them. */
    record Loaded(TokenWindows train, Tokenizer tokenizer) {}

    private static final Map<Source, Loaded> LOADED = new ConcurrentHashMap<>();

    private LmWindows() {}

    /** Returns the source's training windows (opened once per JVM; a packed corpus stays open). */
    static TokenWindows train(Source source) throws IOException {
        return load(source).train();
    }

    /** Returns the source's windows and tokenizer, loaded once per JVM. */
    static Loaded load(Source source) throws IOException {
        Loaded cached = LOADED.get(source);
        if (cached != null) {
            return cached;
        }
        synchronized (LOADED) {
            cached = LOADED.get(source);
            if (cached != null) {
                return cached;
            }
            Loaded read;
            if (source.packedDir() == null) {
                LmTrainingCorpus corpus = LmTrainingCorpus.read(recipe(source.recipe(), source.overrides()));
                read = new Loaded(corpus.train(), corpus.tokenizer());
            } else {
                // Never packed here, nor the recipe or its corpus file read: the driver packed it (and
                // trained a BPE) once for every executor.
                Tokenizer tok;
                if (source.tokenizerFile() == null) {
                    tok = ByteTokenizer.INSTANCE;
                } else if (Files.isRegularFile(Path.of(source.tokenizerFile()))) {
                    tok = BpeTokenizer.read(Path.of(source.tokenizerFile()), source.bosName(), source.eosName());
                } else {
                    throw new IOException("no tokenizer file " + source.tokenizerFile() + " for " + source.recipe()
                            + ": the driver writes or reads it before any task; is it on a filesystem every "
                            + "executor shares?");
                }
                PackedCorpus packed = PackedCorpus.open(Path.of(source.packedDir()), source.packedKey(), tok);
                read = new Loaded(packed.windows(Part.TRAIN, source.context()), tok);
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
        return recipe;
    }
}
