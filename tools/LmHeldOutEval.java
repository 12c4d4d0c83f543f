import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.distill4j.eval.PairedLossComparison;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TextCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.train.DocumentLosses;

/**
 * Bits per byte of saved language models on text none of them trained, validated or was tested
 * on: the documents of a corpus that come after the first SKIP_BYTES (what a recipe with {@code
 * data.max_bytes: SKIP_BYTES} reads, the document crossing the limit included), up to TAKE_BYTES
 * more. Used by docs/lm-benchmarks.md ("Equal text, less of it"), whose recipe test split is 3 KB.
 *
 * <pre>
 * java -cp distill-cli/target/distill.jar tools/LmHeldOutEval.java CORPUS SKIP_BYTES TAKE_BYTES CONTEXT MODEL_DIR...
 * java -cp distill-cli/target/distill.jar tools/LmHeldOutEval.java --paired CORPUS SKIP_BYTES TAKE_BYTES CONTEXT \
 *     DISTILLED SCRATCH TEACHER [DISTILLED SCRATCH TEACHER ...]
 * </pre>
 *
 * Prints one line per model: bits/byte, target tokens, bytes, directory. With {@code --paired}, one
 * line per triple: the paired comparison of the distilled and the scratch student on those documents
 * ({@link PairedLossComparison}: documents, the three models' bits/byte, bits/byte saved with its 95%
 * paired-bootstrap interval over documents, sign-flip p, documents the distilled student is better
 * on, share of the teacher-scratch gap closed with its interval, the distilled student's directory;
 * docs/lm-benchmarks.md, "Paired intervals over test documents").
 */
public final class LmHeldOutEval {
    public static void main(String[] args) throws Exception {
        boolean paired = args.length > 0 && args[0].equals("--paired");
        int first = paired ? 1 : 0;
        if (args.length < first + 5 || (paired && (args.length - first - 4) % 3 != 0)) {
            System.err.println("usage: LmHeldOutEval [--paired] CORPUS SKIP_BYTES TAKE_BYTES CONTEXT MODEL_DIR..."
                    + " (--paired: DISTILLED SCRATCH TEACHER triples)");
            System.exit(2);
        }
        List<Path> corpus = List.of(Path.of(args[first]));
        long skip = Long.parseLong(args[first + 1]);
        long take = Long.parseLong(args[first + 2]);
        int context = Integer.parseInt(args[first + 3]);
        TextCorpus.Options o = TextCorpus.Options.defaults();
        int seen = TextCorpus.read(corpus, o.withMaxBytes(skip)).documents().size();
        List<Document> all = TextCorpus.read(corpus, o.withMaxBytes(skip + take)).documents();
        List<Document> heldOut = all.subList(seen, all.size());
        System.out.printf(
                Locale.ROOT, "# held out: documents %d-%d of %s (%d documents)%n", seen, all.size() - 1, args[first],
                heldOut.size());
        if (!paired) {
            for (int i = first + 4; i < args.length; i++) {
                var e = score(args[i], heldOut, context).total();
                System.out.printf(
                        Locale.ROOT, "%.4f\t%d\t%d\t%s%n", e.bitsPerByte(), e.tokens(), e.bytes(), args[i]);
            }
            return;
        }
        System.out.println("documents\tdistilled\tscratch\tteacher\tbits_saved\tlow\thigh\tsign_flip_p\tbetter\tgap\t"
                + "gap_low\tgap_high\tdistilled_dir");
        for (int i = first + 4; i < args.length; i += 3) {
            DocumentLosses d = score(args[i], heldOut, context);
            DocumentLosses s = score(args[i + 1], heldOut, context);
            DocumentLosses t = score(args[i + 2], heldOut, context);
            PairedLossComparison c = PairedLossComparison.of(
                    d.natsByDocument(), s.natsByDocument(), t.natsByDocument(), d.bytesByDocument());
            boolean gap = c.gapShare() != null;
            System.out.printf(
                    Locale.ROOT,
                    "%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.2g\t%d\t%.1f\t%.1f\t%.1f\t%s%n",
                    c.documents(),
                    d.total().bitsPerByte(),
                    s.total().bitsPerByte(),
                    t.total().bitsPerByte(),
                    c.bitsPerByteSaved().value(),
                    c.bitsPerByteSaved().low(),
                    c.bitsPerByteSaved().high(),
                    c.signFlipP(),
                    c.documentsFirstBetter(),
                    gap ? 100 * c.gapShare().value() : Double.NaN,
                    gap ? 100 * c.gapShare().low() : Double.NaN,
                    gap ? 100 * c.gapShare().high() : Double.NaN,
                    args[i]);
        }
    }

    /** A model's per-document losses on the held-out documents, in its own tokenizer and context. */
    private static DocumentLosses score(String dir, List<Document> heldOut, int context) throws Exception {
        try (LanguageModel lm = LanguageModel.load(Path.of(dir))) {
            TokenWindows w = TokenWindows.pack(heldOut, lm.tokenizer(), context);
            int ctx = lm.config().contextLength();
            return DocumentLosses.of(lm, ctx < context ? w.withContext(ctx) : w, 16);
        }
    }
}
