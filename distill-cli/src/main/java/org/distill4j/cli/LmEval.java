package org.distill4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.distill4j.eval.PairedComparison;
import org.distill4j.eval.PairedLossComparison;
import org.distill4j.lm.experiment.HeldOutText;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.train.DocumentLosses;
import org.distill4j.lm.train.Evaluation;

/**
 * {@code distill eval} for a language model: bits per byte on a held-out part of a language-model
 * recipe's corpus, and with {@code --against} the paired comparison of two models on its documents
 * ({@link PairedLossComparison}), with {@code --teacher} as the reference of the gap.
 */
final class LmEval {

    private LmEval() {}

    /**
     * Scores the model in {@code modelDir} (and the others given) on {@code split} of the recipe's corpus.
     *
     * @param cacheDir where a streamed corpus or a trained BPE is kept; null: a temporary directory, deleted after
     */
    static int run(
            Path modelDir,
            Path recipeFile,
            List<String> overrides,
            String split,
            Path againstDir,
            Path teacherDir,
            Path cacheDir,
            PrintStream out)
            throws Exception {
        HeldOutText.Part part = HeldOutText.Part.parse(split);
        LmRecipe recipe = LmRecipe.load(recipeFile, overrides);
        Path cache = cacheDir != null ? cacheDir : Files.createTempDirectory("distill-eval-");
        try (HeldOutText text = HeldOutText.open(recipe, cache)) {
            if (text.windows(part) == null) {
                throw new IllegalArgumentException("--split " + split + ": recipe " + recipeFile
                        + " singles out no test documents without a near duplicate in training (none of its test"
                        + " documents has one, or all have); use --split test");
            }
            DocumentLosses own = score(modelDir, text, part, "model", out);
            out.printf(
                    Locale.ROOT,
                    "split:            %s of %s, %,d documents, %,d bytes%n",
                    part.id(),
                    recipeFile,
                    own.documents(),
                    own.total().bytes());
            DocumentLosses teacher = teacherDir == null ? null : score(teacherDir, text, part, "teacher", out);
            if (againstDir != null) {
                DocumentLosses other = score(againstDir, text, part, "against", out);
                compare(own, other, teacher, out);
            }
        } finally {
            if (cacheDir == null) {
                deleteTree(cache);
            }
        }
        return ExitCodes.OK;
    }

    private static DocumentLosses score(Path dir, HeldOutText text, HeldOutText.Part part, String role, PrintStream out)
            throws IOException {
        try (LanguageModel lm = LanguageModel.load(dir)) {
            DocumentLosses losses = text.score(lm, part);
            Evaluation e = losses.total();
            out.printf(Locale.ROOT, "%-17s %s (%s)%n", role + ":", dir, lm);
            out.printf(
                    Locale.ROOT,
                    "  bits/byte:      %.4f (perplexity %.3f per token)%n",
                    e.bitsPerByte(),
                    e.perplexity());
            return losses;
        }
    }

    private static void compare(DocumentLosses own, DocumentLosses other, DocumentLosses teacher, PrintStream out) {
        if (other.documents() != own.documents()) {
            throw new IllegalStateException("the two models' texts split into " + own.documents() + " and "
                    + other.documents() + " documents; a paired comparison needs the same documents");
        }
        double[] reference =
                teacher != null && teacher.documents() == own.documents() ? teacher.natsByDocument() : null;
        PairedLossComparison c =
                PairedLossComparison.of(own.natsByDocument(), other.natsByDocument(), reference, own.bytesByDocument());
        PairedComparison.Difference saved = c.bitsPerByteSaved();
        out.printf(
                Locale.ROOT,
                "  this saves:     %.4f bits/byte over it (95%% interval %.4f to %.4f)%n",
                saved.value(),
                saved.low(),
                saved.high());
        out.printf(
                Locale.ROOT,
                "  sign-flip test: %s; this model better on %,d of %,d documents%n",
                PairedLossComparison.signFlipText(c.signFlipP(), c.permutations()),
                c.documentsFirstBetter(),
                c.documents());
        if (teacher != null) {
            if (c.gapShare() == null) {
                out.println("  gap to teacher: none to close (the teacher is not ahead of the model compared against)");
            } else {
                out.printf(
                        Locale.ROOT,
                        "  gap to teacher: this closes %.1f%% of it (95%% interval %.1f%% to %.1f%%)%n",
                        100 * c.gapShare().value(),
                        100 * c.gapShare().low(),
                        100 * c.gapShare().high());
            }
        }
        out.printf(
                Locale.ROOT,
                "  intervals:      paired bootstrap, %,d resamples of the %,d documents: the choice of documents, not"
                        + " of training seeds%n",
                c.resamples(),
                c.documents());
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
