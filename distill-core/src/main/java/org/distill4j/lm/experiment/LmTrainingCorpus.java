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
import org.distill4j.lm.token.BpeTokenizer;
import org.distill4j.lm.token.BpeTrainer;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.token.TokenizerIdentity;

/**
 * An {@link LmRecipe}'s corpus as {@link LmExperiment} reads it: the documents (the recipe's
 * field and byte limit), their seeded train/validation/test split, and the training documents
 * packed into windows of the recipe's context length with the recipe's tokenizer ({@link
 * #tokenizer}: bytes by default, or a byte-level BPE read from a file or trained on the training
 * documents). Anything that
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
 * @param tokenizer the tokenizer every model of the run uses
 */
public record LmTrainingCorpus(
        TextCorpus corpus,
        CorpusSplit split,
        List<Document> studentDocuments,
        TokenWindows train,
        String trainHash,
        TokenWindows teacherTrain,
        Tokenizer tokenizer) {

    /**
     * Reads, splits and packs the recipe's corpus.
     *
     * @throws IOException if the corpus cannot be read (the message names the file)
     */
    public static LmTrainingCorpus read(LmRecipe recipe) throws IOException {
        TextCorpus corpus = TextCorpus.read(List.of(recipe.data().path()), options(recipe));
        CorpusSplit split = CorpusSplit.split(
                recipe.splitUnit(),
                corpus.documents(),
                recipe.splitSeed(),
                recipe.validationShare(),
                recipe.testShare());
        List<Document> students = CorpusSplit.sample(split.train(), recipe.splitSeed(), recipe.studentShare());
        Tokenizer tok =
                recipe.data().tokenizer() != null && recipe.data().tokenizer().vocabSize() != null
                        ? BpeTrainer.train(
                                () -> split.train().stream().map(Document::text).iterator(),
                                recipe.data().tokenizer().vocabSize())
                        : fixedTokenizer(recipe);
        TokenWindows all = TokenWindows.pack(split.train(), tok, recipe.context());
        TokenWindows student = recipe.studentShare() == 1 ? all : TokenWindows.pack(students, tok, recipe.context());
        return new LmTrainingCorpus(corpus, split, students, student, documentsHash(students), all, tok);
    }

    /**
     * Returns the recipe's tokenizer when it needs no training: the byte tokenizer, or the BPE of
     * {@code data.tokenizer.file}.
     *
     * @throws IOException if the file cannot be read or is not a byte-level BPE (the message names it)
     * @throws IllegalStateException if the recipe trains its BPE ({@link #tokenizer})
     */
    public static Tokenizer fixedTokenizer(LmRecipe recipe) throws IOException {
        LmRecipe.TokenizerSpec t = recipe.data().tokenizer();
        if (t == null || !BpeTokenizer.KIND.equals(recipe.tokenizerType())) {
            return ByteTokenizer.INSTANCE;
        }
        if (t.file() == null) {
            throw new IllegalStateException("data.tokenizer.vocab_size: this BPE is trained on the training"
                    + " documents (LmTrainingCorpus.tokenizer)");
        }
        return BpeTokenizer.read(
                t.file(),
                t.bos() == null ? BpeTokenizer.DEFAULT_BOS : t.bos(),
                t.eos() == null ? BpeTokenizer.DEFAULT_EOS : t.eos());
    }

    /**
     * Returns the recipe's tokenizer; a BPE of {@code data.tokenizer.vocab_size} is trained in one
     * streaming pass over the training split's documents (the same documents, so the same tokenizer
     * and digest, as {@link #read} trains on) and kept under {@code cacheDir} ({@code
     * lm-tokenizer-<hash>.json}, keyed by the corpus file, how it is read and split, and the size),
     * where later runs find it.
     *
     * @param cacheDir where a trained BPE is cached; null to train without caching
     * @throws IOException if the corpus or the tokenizer file cannot be read (the message names it)
     */
    public static Tokenizer tokenizer(LmRecipe recipe, Path cacheDir) throws IOException {
        LmRecipe.TokenizerSpec t = recipe.data().tokenizer();
        if (t == null || t.vocabSize() == null) {
            return fixedTokenizer(recipe);
        }
        Path file = cacheDir == null ? null : trainedTokenizerFile(recipe, cacheDir);
        if (file != null && Files.isRegularFile(file)) {
            return BpeTokenizer.read(file);
        }
        BpeTrainer trainer = new BpeTrainer();
        if (recipe.splitUnit() == CorpusSplit.Unit.DOCUMENT) {
            TextCorpus.scan(List.of(recipe.data().path()), options(recipe), d -> {
                if (CorpusSplit.part(d.text(), recipe.splitSeed(), recipe.validationShare(), recipe.testShare())
                        == CorpusSplit.Part.TRAIN) {
                    trainer.add(d.text());
                }
            });
        } else {
            // A grouped split needs every document before it assigns any.
            TextCorpus corpus = TextCorpus.read(List.of(recipe.data().path()), options(recipe));
            CorpusSplit.split(
                            recipe.splitUnit(),
                            corpus.documents(),
                            recipe.splitSeed(),
                            recipe.validationShare(),
                            recipe.testShare())
                    .train()
                    .forEach(d -> trainer.add(d.text()));
        }
        BpeTokenizer bpe = trainer.train(t.vocabSize());
        if (file != null) {
            Files.createDirectories(cacheDir);
            bpe.write(file);
        }
        return bpe;
    }

    /**
     * Where {@link #tokenizer} caches the BPE the recipe trains under {@code cacheDir} (keyed by the
     * corpus file, how it is read and split, and the size), or null when the recipe trains none
     * (bytes, or a BPE from a file).
     */
    public static Path trainedTokenizerFile(LmRecipe recipe, Path cacheDir) throws IOException {
        LmRecipe.TokenizerSpec t = recipe.data().tokenizer();
        if (t == null || t.vocabSize() == null) {
            return null;
        }
        String key = corpusKey(recipe) + ";bpe_vocab=" + t.vocabSize();
        return cacheDir.resolve("lm-tokenizer-" + Hashing.sha256(key).substring(0, 16) + ".json");
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
        Tokenizer tok = tokenizer(recipe, cacheDir);
        String key = packKey(recipe, tok);
        return PackedCorpus.openOrBuild(
                packDir(cacheDir, key),
                key,
                new PackedCorpus.Source(
                        List.of(recipe.data().path()),
                        options(recipe),
                        recipe.splitSeed(),
                        recipe.validationShare(),
                        recipe.testShare(),
                        tok));
    }

    /** Returns the directory under {@code cacheDir} that {@link #pack} uses for a corpus of {@code packKey}. */
    public static Path packDir(Path cacheDir, String packKey) {
        return cacheDir.resolve("lm-corpus-" + Hashing.sha256(packKey).substring(0, 16));
    }

    /**
     * Returns what a packed corpus of the recipe depends on: the corpus file's path, size and
     * modification time, how it is read, split and tokenized ({@code tok}, the recipe's tokenizer).
     */
    public static String packKey(LmRecipe recipe, Tokenizer tok) throws IOException {
        return corpusKey(recipe) + ";tokenizer=" + tok.identity();
    }

    private static String corpusKey(LmRecipe recipe) throws IOException {
        Path file = recipe.data().path();
        TextCorpus.Options options = options(recipe);
        return "path=" + file.toAbsolutePath() + ";size=" + Files.size(file) + ";modified="
                + Files.getLastModifiedTime(file).toMillis() + ";field=" + options.textField() + ";utf8="
                + options.utf8() + ";max_line_bytes=" + options.maxLineBytes() + ";max_bytes=" + options.maxBytes()
                + ";max_documents=" + options.maxDocuments() + ";split_seed=" + recipe.splitSeed() + ";validation="
                + recipe.validationShare() + ";test=" + recipe.testShare()
                + (recipe.splitUnit() == CorpusSplit.Unit.DOCUMENT ? "" : ";split_by=" + recipe.splitUnit());
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
