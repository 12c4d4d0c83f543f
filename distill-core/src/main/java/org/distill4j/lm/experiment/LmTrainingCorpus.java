package org.distill4j.lm.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.distill4j.io.Hashing;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TextCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.token.TokenizerIdentity;

/**
 * An {@link LmRecipe}'s corpus as {@link LmExperiment} reads it: the documents (the recipe's
 * field and byte limit), their seeded train/validation/test split, and the training documents
 * packed into windows of the recipe's context length with the byte tokenizer. Anything that
 * collects teacher outputs for a recipe outside the experiment (the Spark job) reads it here, so
 * its windows and cache key are the experiment's.
 *
 * @param corpus the documents read
 * @param split their seeded split
 * @param train the training documents packed into windows of {@link LmRecipe#context()} tokens
 * @param trainHash hex SHA-256 of the training documents ({@link #documentsHash})
 */
public record LmTrainingCorpus(TextCorpus corpus, CorpusSplit split, TokenWindows train, String trainHash) {

    /** The tokenizer the experiment uses for every model. */
    public static final Tokenizer TOKENIZER = ByteTokenizer.INSTANCE;

    /**
     * Reads, splits and packs the recipe's corpus.
     *
     * @throws IOException if the corpus cannot be read (the message names the file)
     */
    public static LmTrainingCorpus read(LmRecipe recipe) throws IOException {
        TextCorpus corpus = TextCorpus.read(List.of(recipe.data().path()), options(recipe));
        CorpusSplit split = CorpusSplit.bySeed(
                corpus.documents(), recipe.splitSeed(), recipe.validationShare(), recipe.testShare());
        return new LmTrainingCorpus(
                corpus,
                split,
                TokenWindows.pack(split.train(), TOKENIZER, recipe.context()),
                documentsHash(split.train()));
    }

    /** Returns how the recipe's corpus is read: its field and byte limit, otherwise the defaults. */
    public static TextCorpus.Options options(LmRecipe recipe) {
        return new TextCorpus.Options(
                recipe.field(),
                TextCorpus.Options.defaults().utf8(),
                TextCorpus.Options.defaults().maxLineBytes(),
                recipe.data().maxBytes() == null
                        ? Long.MAX_VALUE
                        : recipe.data().maxBytes(),
                TextCorpus.Options.defaults().maxDocuments());
    }

    /** Returns the hex SHA-256 of documents' UTF-8 texts, each followed by a zero byte. */
    public static String documentsHash(List<Document> docs) {
        MessageDigest md = Hashing.sha256();
        for (Document d : docs) {
            md.update(d.text().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Returns the key of a top-k teacher-output cache ({@link org.distill4j.lm.cache.TopKCache}):
     * what the outputs depend on.
     *
     * @param teacherHash the teacher's content hash
     * @param trainHash the training documents' hash
     * @param tokenizer the tokenizer
     * @param k log-probabilities per position
     * @param window the window length T
     */
    public static String topKCacheKey(
            String teacherHash, String trainHash, TokenizerIdentity tokenizer, int k, int window) {
        return "teacher=" + teacherHash + ";corpus=" + trainHash + ";tokenizer=" + tokenizer + ";k=" + k + ";window="
                + window;
    }

    /** Returns the file in {@code cacheDir} where the experiment looks for the cache of {@code key}. */
    public static Path topKCacheFile(Path cacheDir, String key) {
        return cacheDir.resolve("lm-topk-" + Hashing.sha256(key).substring(0, 16) + ".bin");
    }
}
