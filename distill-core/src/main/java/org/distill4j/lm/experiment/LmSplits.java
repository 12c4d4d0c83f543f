package org.distill4j.lm.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.CorpusSplit.Part;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.PackedCorpus;
import org.distill4j.lm.corpus.SplitOverlap;
import org.distill4j.lm.corpus.TextCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.token.Tokenizer;

/**
 * A recipe's corpus as {@link LmExperiment} trains and evaluates on it: train, validation and test
 * windows of the recipe's context length and what {@code metrics.json} says about the corpus. Read
 * in memory ({@link LmTrainingCorpus}) or, when {@link LmRecipe#streaming()}, streamed once into a
 * {@link PackedCorpus} in the cache directory (reused by later runs with the same corpus file and
 * settings) and read from its token files; the windows and hashes are the same either way.
 */
final class LmSplits implements AutoCloseable {

    private final Map<String, Object> info;
    private final TokenWindows train;
    private final TokenWindows teacherTrain;
    private final TokenWindows validation;
    private final TokenWindows test;
    private final List<Document> trainDocuments;
    private final PackedCorpus packed;
    private final Tokenizer tokenizer;

    private LmSplits(
            Map<String, Object> info,
            TokenWindows train,
            TokenWindows teacherTrain,
            TokenWindows validation,
            TokenWindows test,
            List<Document> trainDocuments,
            PackedCorpus packed,
            Tokenizer tokenizer) {
        this.info = info;
        this.train = train;
        this.teacherTrain = teacherTrain;
        this.validation = validation;
        this.test = test;
        this.trainDocuments = trainDocuments;
        this.packed = packed;
        this.tokenizer = tokenizer;
    }

    /** Reads the recipe's corpus; a streamed one is packed under {@code cacheDir}. */
    static LmSplits open(LmRecipe recipe, Path cacheDir) throws IOException {
        int ctx = recipe.context();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("path", recipe.data().path().toString());
        if (!recipe.streaming()) {
            LmTrainingCorpus read = LmTrainingCorpus.read(recipe);
            info.put("documents", read.corpus().documents().size());
            info.put("bytes", read.corpus().bytes());
            info.put("sha256", read.corpus().contentHash());
            info.put("split_seed", recipe.splitSeed());
            if (recipe.splitUnit() == CorpusSplit.Unit.NEAR_DUPLICATES) {
                info.put("split_by", "near_duplicates");
                Map<String, Integer> sizes = new LinkedHashMap<>();
                sizes.put("train", read.split().train().size());
                sizes.put("validation", read.split().validation().size());
                sizes.put("test", read.split().test().size());
                info.put("split_documents", sizes);
            }
            info.put("train_sha256", LmTrainingCorpus.documentsHash(read.split().train()));
            if (recipe.studentShare() < 1) {
                info.put("student_share", recipe.studentShare());
                info.put("student_documents", read.studentDocuments().size());
                info.put("student_train_sha256", read.trainHash());
            }
            info.put(
                    "validation_sha256",
                    LmTrainingCorpus.documentsHash(read.split().validation()));
            info.put("test_sha256", LmTrainingCorpus.documentsHash(read.split().test()));
            info.put("split_overlap", overlap(read.split()));
            return new LmSplits(
                    info,
                    read.train(),
                    read.teacherTrain(),
                    TokenWindows.pack(read.split().validation(), read.tokenizer(), ctx),
                    TokenWindows.pack(read.split().test(), read.tokenizer(), ctx),
                    read.studentDocuments(),
                    null,
                    read.tokenizer());
        }
        PackedCorpus p = LmTrainingCorpus.pack(recipe, cacheDir);
        Path dir = p.dir();
        try {
            info.put("documents", p.summary().documents());
            info.put("bytes", p.summary().bytes());
            info.put("sha256", p.summary().contentHash());
            info.put("split_seed", recipe.splitSeed());
            info.put("train_sha256", p.part(Part.TRAIN).sha256());
            info.put("validation_sha256", p.part(Part.VALIDATION).sha256());
            info.put("test_sha256", p.part(Part.TEST).sha256());
            info.put("split_overlap", overlap(recipe));
            info.put("packed", dir.toString());
            TokenWindows train = p.windows(Part.TRAIN, ctx);
            return new LmSplits(
                    info,
                    train,
                    train,
                    p.windows(Part.VALIDATION, ctx),
                    p.windows(Part.TEST, ctx),
                    null,
                    p,
                    LmTrainingCorpus.tokenizer(recipe, cacheDir));
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /**
     * How many validation and test documents have a near duplicate among all training documents
     * ({@link SplitOverlap}; the same sample of held-out documents as {@link #overlap(LmRecipe)}).
     */
    private static Map<String, Object> overlap(CorpusSplit split) throws IOException {
        SplitOverlap.Builder validation = SplitOverlap.builder(SplitOverlap.DEFAULT_MAX_DOCUMENTS);
        SplitOverlap.Builder test = SplitOverlap.builder(SplitOverlap.DEFAULT_MAX_DOCUMENTS);
        split.validation().forEach(d -> validation.add(d.text()));
        split.test().forEach(d -> test.add(d.text()));
        return overlap(validation, test, sink -> split.train().forEach(d -> sink.accept(d.text())));
    }

    /**
     * The same for a corpus split by document and too large to hold: one pass over the file collects
     * the held-out documents, a second offers the training ones.
     */
    private static Map<String, Object> overlap(LmRecipe recipe) throws IOException {
        SplitOverlap.Builder validation = SplitOverlap.builder(SplitOverlap.DEFAULT_MAX_DOCUMENTS);
        SplitOverlap.Builder test = SplitOverlap.builder(SplitOverlap.DEFAULT_MAX_DOCUMENTS);
        List<Path> files = List.of(recipe.data().path());
        TextCorpus.scan(files, LmTrainingCorpus.options(recipe), d -> {
            switch (part(recipe, d)) {
                case VALIDATION -> validation.add(d.text());
                case TEST -> test.add(d.text());
                case TRAIN -> {}
            }
        });
        return overlap(
                validation,
                test,
                sink -> TextCorpus.scan(files, LmTrainingCorpus.options(recipe), d -> {
                    if (part(recipe, d) == Part.TRAIN) {
                        sink.accept(d.text());
                    }
                }));
    }

    private static Part part(LmRecipe recipe, Document d) {
        return CorpusSplit.part(d.text(), recipe.splitSeed(), recipe.validationShare(), recipe.testShare());
    }

    private static Map<String, Object> overlap(
            SplitOverlap.Builder validation, SplitOverlap.Builder test, TrainingTexts train) throws IOException {
        SplitOverlap v = validation.build();
        SplitOverlap t = test.build();
        train.offer(text -> {
            v.accept(text);
            t.accept(text);
        });
        Map<String, SplitOverlap.Result> sides = new LinkedHashMap<>();
        sides.put("validation", v.result());
        sides.put("test", t.result());
        return SplitOverlap.report(sides);
    }

    /** Offers every training text to a consumer, from memory or from the corpus file. */
    @FunctionalInterface
    private interface TrainingTexts {
        void offer(java.util.function.Consumer<String> sink) throws IOException;
    }

    /** What {@code metrics.json} records about the corpus (a fresh, mutable copy). */
    Map<String, Object> info() {
        return new LinkedHashMap<>(info);
    }

    /** The tokenizer of every model of the run. */
    Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Whether the corpus was streamed into token files. */
    boolean streamed() {
        return packed != null;
    }

    /** Whether a streamed corpus's token files were reused from an earlier run. */
    boolean reused() {
        return packed != null && packed.reused();
    }

    /** The windows the students train on (and teacher outputs are collected for). */
    TokenWindows train() {
        return train;
    }

    /** The windows a teacher trained here trains on: all training documents. */
    TokenWindows teacherTrain() {
        return teacherTrain;
    }

    TokenWindows validation() {
        return validation;
    }

    TokenWindows test() {
        return test;
    }

    /**
     * The students' training documents, in memory.
     *
     * @throws IllegalStateException if the corpus was streamed (none are held)
     */
    List<Document> trainDocuments() {
        if (trainDocuments == null) {
            throw new IllegalStateException("the corpus was streamed into token files: its training documents are "
                    + "not held in memory (data.streaming: false reads them)");
        }
        return trainDocuments;
    }

    @Override
    public void close() throws IOException {
        if (packed != null) {
            packed.close();
        }
    }
}
