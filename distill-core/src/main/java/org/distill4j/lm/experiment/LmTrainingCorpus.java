package org.distill4j.lm.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.distill4j.io.Hashing;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.PackedCorpus;
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
 * <p>With {@code data.student_share} below 1 the students train on a seeded sample of the training
 * documents ({@link #studentDocuments}) and a teacher trained here on all of them ({@link
 * #teacherTrain}); {@link #train} and {@link #trainHash} are always the students' (what teacher
 * outputs are collected and cached for). With the default share they are all the same.
 *
 * @param corpus the documents read
 * @param split their seeded split
 * @param studentDocuments the training documents the students see ({@link CorpusSplit#sample})
 * @param train the students' documents packed into windows of {@link LmRecipe#context()} tokens
 * @param trainHash hex SHA-256 of the students' documents ({@link #documentsHash})
 * @param teacherTrain every training document packed into windows (the same object as train when
 *     the share is 1)
 */
public record LmTrainingCorpus(
        TextCorpus corpus,
        CorpusSplit split,
        List<Document> studentDocuments,
        TokenWindows train,
        String trainHash,
        TokenWindows teacherTrain) {

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
        List<Document> students = CorpusSplit.sample(split.train(), recipe.splitSeed(), recipe.studentShare());
        TokenWindows all = TokenWindows.pack(split.train(), TOKENIZER, recipe.context());
        TokenWindows student =
                recipe.studentShare() == 1 ? all : TokenWindows.pack(students, TOKENIZER, recipe.context());
        return new LmTrainingCorpus(corpus, split, students, student, documentsHash(students), all);
    }

    /**
     * Streams the recipe's corpus once into a {@link PackedCorpus} under {@code cacheDir} ({@code
     * lm-corpus-<hash of packKey>}), or opens the one an earlier run packed there under the same
     * key: what {@code distill run} trains from when {@link LmRecipe#streaming()}. Its training
     * windows and hashes equal {@link #read}'s. The caller closes it.
     *
     * @throws IOException if the corpus cannot be read (the message names the file)
     */
    public static PackedCorpus pack(LmRecipe recipe, Path cacheDir) throws IOException {
        String key = packKey(recipe);
        return PackedCorpus.openOrBuild(
                packDir(cacheDir, key),
                key,
                new PackedCorpus.Source(
                        List.of(recipe.data().path()),
                        options(recipe),
                        recipe.splitSeed(),
                        recipe.validationShare(),
                        recipe.testShare(),
                        TOKENIZER));
    }

    /** Returns the directory under {@code cacheDir} that {@link #pack} uses for a corpus of {@code packKey}. */
    public static Path packDir(Path cacheDir, String packKey) {
        return cacheDir.resolve("lm-corpus-" + Hashing.sha256(packKey).substring(0, 16));
    }

    /**
     * Returns what a packed corpus of the recipe depends on: the corpus file's path, size and
     * modification time, how it is read, split and tokenized.
     */
    public static String packKey(LmRecipe recipe) throws IOException {
        Path file = recipe.data().path();
        TextCorpus.Options options = options(recipe);
        return "path=" + file.toAbsolutePath() + ";size=" + Files.size(file) + ";modified="
                + Files.getLastModifiedTime(file).toMillis() + ";field=" + options.textField() + ";utf8="
                + options.utf8() + ";max_line_bytes=" + options.maxLineBytes() + ";max_bytes=" + options.maxBytes()
                + ";max_documents=" + options.maxDocuments() + ";split_seed=" + recipe.splitSeed() + ";validation="
                + recipe.validationShare() + ";test=" + recipe.testShare() + ";tokenizer=" + TOKENIZER.identity();
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
