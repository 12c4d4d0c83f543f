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
    private final TokenWindows novelTest;
    private final PackedCorpus packed;
    private final Tokenizer tokenizer;

    private LmSplits(
            Map<String, Object> info,
            TokenWindows train,
            TokenWindows teacherTrain,
            TokenWindows validation,
            TokenWindows test,
            List<Document> trainDocuments,
            TokenWindows novelTest,
            PackedCorpus packed,
            Tokenizer tokenizer) {
        this.info = info;
        this.train = train;
        this.teacherTrain = teacherTrain;
        this.validation = validation;
        this.test = test;
        this.trainDocuments = trainDocuments;
        this.novelTest = novelTest;
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
            Overlap overlap = overlap(read.split());
            TokenWindows novel = overlap.pack(read.tokenizer(), ctx);
            info.put("split_overlap", overlap.report(novel));
            return new LmSplits(
                    info,
                    read.train(),
                    read.teacherTrain(),
                    TokenWindows.pack(read.split().validation(), read.tokenizer(), ctx),
                    TokenWindows.pack(read.split().test(), read.tokenizer(), ctx),
                    read.studentDocuments(),
                    novel,
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
            Tokenizer tokenizer = LmTrainingCorpus.tokenizer(recipe, cacheDir);
            Overlap overlap = overlap(recipe);
            TokenWindows novel = overlap.pack(tokenizer, ctx);
            info.put("split_overlap", overlap.report(novel));
            info.put("packed", dir.toString());
            TokenWindows train = p.windows(Part.TRAIN, ctx);
            return new LmSplits(
                    info,
                    train,
                    train,
                    p.windows(Part.VALIDATION, ctx),
                    p.windows(Part.TEST, ctx),
                    null,
                    novel,
                    p,
                    tokenizer);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /**
     * How many validation and test documents have a near duplicate among all training documents
     * ({@link SplitOverlap}; the same sample of held-out documents as {@link #overlap(LmRecipe)}).
     */
    private static Overlap overlap(CorpusSplit split) throws IOException {
        SplitOverlap.Builder validation = SplitOverlap.builder(SplitOverlap.DEFAULT_MAX_DOCUMENTS);
        SplitOverlap.Builder test = SplitOverlap.builder(SplitOverlap.DEFAULT_MAX_DOCUMENTS);
        split.validation().forEach(d -> validation.add(d.text()));
        split.test().forEach(d -> test.add(d.text()));
        return overlap(
                validation,
                test,
                sink -> split.train().forEach(d -> sink.accept(d.text())),
                positions -> java.util.Arrays.stream(positions)
                        .mapToObj(split.test()::get)
                        .toList());
    }

    /**
     * The same for a corpus split by document and too large to hold: one pass over the file collects
     * the held-out documents, a second offers the training ones, and, where the test split has
     * some of each kind, a third keeps the sampled test documents without a near duplicate.
     */
    private static Overlap overlap(LmRecipe recipe) throws IOException {
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
                }),
                positions -> {
                    // A third pass keeps the texts of the sampled test documents that repeat nothing.
                    List<Document> kept = new java.util.ArrayList<>(positions.length);
                    int[] at = {0, 0}; // test documents seen, next position wanted
                    TextCorpus.scan(files, LmTrainingCorpus.options(recipe), d -> {
                        if (at[1] < positions.length && part(recipe, d) == Part.TEST) {
                            if (at[0] == positions[at[1]]) {
                                kept.add(d);
                                at[1]++;
                            }
                            at[0]++;
                        }
                    });
                    return kept;
                });
    }

    private static Part part(LmRecipe recipe, Document d) {
        return CorpusSplit.part(d.text(), recipe.splitSeed(), recipe.validationShare(), recipe.testShare());
    }

    private static Overlap overlap(
            SplitOverlap.Builder validation, SplitOverlap.Builder test, TrainingTexts train, TestDocuments novel)
            throws IOException {
        SplitOverlap v = validation.build();
        SplitOverlap t = test.build();
        train.offer(text -> {
            v.accept(text);
            t.accept(text);
        });
        Map<String, SplitOverlap.Result> sides = new LinkedHashMap<>();
        sides.put("validation", v.result());
        sides.put("test", t.result());
        SplitOverlap.Result tr = t.result();
        // Only where the test split mixes both kinds: otherwise the subset is all of it, or nothing.
        List<Document> novelTest = tr.nearDuplicates() > 0 && tr.nearDuplicates() < tr.checked()
                ? novel.at(t.withoutNearDuplicate())
                : List.of();
        return new Overlap(SplitOverlap.report(sides), novelTest);
    }

    /**
     * What the check found: {@code metrics.json}'s {@code split_overlap}, and the checked test
     * documents without a near duplicate in training (in corpus order; empty when the test split
     * has no near duplicate, or nothing else).
     */
    private record Overlap(Map<String, Object> report, List<Document> novelTest) {

        /** The novel test documents as windows; null when there are none. */
        TokenWindows pack(Tokenizer tokenizer, int contextLength) {
            return novelTest.isEmpty() ? null : TokenWindows.pack(novelTest, tokenizer, contextLength);
        }

        /**
         * {@link #report}, with {@code test_without_near_duplicate} (documents, target bytes,
         * SHA-256 of the documents) when {@code novel}, the packed novel documents, is not null.
         */
        Map<String, Object> report(TokenWindows novel) {
            Map<String, Object> r = new LinkedHashMap<>(report);
            if (novel != null) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("documents", novelTest.size());
                m.put("bytes", novel.targetBytes());
                m.put("sha256", LmTrainingCorpus.documentsHash(novelTest));
                r.put("test_without_near_duplicate", m);
            }
            return r;
        }
    }

    /** The test documents at some positions among those offered to the check (ascending). */
    @FunctionalInterface
    private interface TestDocuments {
        List<Document> at(int[] positions) throws IOException;
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
     * The test documents that repeat no training document ({@link SplitOverlap}: checked, without a
     * near duplicate), packed into windows of the recipe's context; null where the test split has
     * no near duplicate (then the test score needs no second reading) or consists of them. Drawn
     * from the check's sample, so at most {@link SplitOverlap#DEFAULT_MAX_DOCUMENTS} documents.
     */
    TokenWindows novelTest() {
        return novelTest;
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
