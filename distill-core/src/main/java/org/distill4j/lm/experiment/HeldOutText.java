package org.distill4j.lm.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.train.DocumentLosses;

/**
 * A language-model recipe's held-out documents, split and packed exactly as {@code distill run}
 * splits and packs them, for scoring saved models after the run ({@code distill eval}): each model
 * reads the same texts in its own tokenizer and context, as the run's teacher does, so per-document
 * losses of any two models line up document by document.
 */
public final class HeldOutText implements AutoCloseable {

    /** A held-out part of the corpus. */
    public enum Part {
        /** The validation documents. */
        VALIDATION,
        /** The test documents. */
        TEST,
        /** The test documents without a near duplicate among the training documents (a sample of at most 10,000 checked). */
        TEST_WITHOUT_NEAR_DUPLICATE;

        /** Parses {@code validation}, {@code test} or {@code test_without_near_duplicate}. */
        public static Part parse(String s) {
            for (Part p : values()) {
                if (p.name().toLowerCase(Locale.ROOT).equals(s)) {
                    return p;
                }
            }
            throw new IllegalArgumentException(
                    "illegal split '" + s + "', allowed: validation, test, test_without_near_duplicate");
        }

        /** The name as {@link #parse} reads it. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final LmSplits splits;
    private final int context;

    private HeldOutText(LmSplits splits, int context) {
        this.splits = splits;
        this.context = context;
    }

    /**
     * Reads and splits the recipe's corpus (a streamed one is packed, and a BPE it trains kept, under
     * {@code cacheDir}).
     */
    public static HeldOutText open(LmRecipe recipe, Path cacheDir) throws IOException {
        return new HeldOutText(LmSplits.open(recipe, cacheDir), recipe.context());
    }

    /** Returns the recipe's tokenizer. */
    public Tokenizer tokenizer() {
        return splits.tokenizer();
    }

    /** What a run's {@code metrics.json} records about the corpus (split sizes, hashes, overlap). */
    public Map<String, Object> info() {
        return splits.info();
    }

    /**
     * Returns the part's windows in the recipe's tokenizer and context; null for {@link
     * Part#TEST_WITHOUT_NEAR_DUPLICATE} when the run singles out no such documents (no test document
     * has a near duplicate in training, or all have).
     */
    public TokenWindows windows(Part part) {
        return switch (part) {
            case VALIDATION -> splits.validation();
            case TEST -> splits.test();
            case TEST_WITHOUT_NEAR_DUPLICATE -> splits.novelTest();
        };
    }

    /**
     * Scores {@code lm} on a part, document by document: in its own tokenizer where it differs from the
     * recipe's (the same texts, so bits per byte and documents compare), on windows of its context
     * where that is shorter than the recipe's.
     *
     * @throws IllegalArgumentException if the part does not exist in this run
     */
    public DocumentLosses score(LanguageModel lm, Part part) {
        TokenWindows w = windows(part);
        if (w == null) {
            throw new IllegalArgumentException("the recipe's test split has no documents singled out as without a "
                    + "near duplicate in training (none has one, or all have)");
        }
        Tokenizer own = lm.tokenizer();
        if (!own.identity().equals(tokenizer().identity())) {
            w = TokenWindows.pack(w.documents(tokenizer(), part.id()), own, context);
        }
        int ctx = lm.config().contextLength();
        return DocumentLosses.of(lm, ctx < context ? w.withContext(ctx) : w, 16);
    }

    @Override
    public void close() throws IOException {
        splits.close();
    }
}
