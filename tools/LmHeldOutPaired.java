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
 * The paired comparison of distilled and scratch students ({@link PairedLossComparison}: bits per
 * byte saved and share of the teacher-scratch gap closed, paired bootstrap over documents, sign-flip
 * test) on the held-out text of {@code tools/LmHeldOutEval.java}: the documents of a corpus after
 * the first SKIP_BYTES, up to TAKE_BYTES more, which no model of the benchmark read.
 *
 * <pre>
 * java -cp distill-cli/target/distill.jar tools/LmHeldOutPaired.java CORPUS SKIP_BYTES TAKE_BYTES CONTEXT \
 *     DISTILLED SCRATCH TEACHER [DISTILLED SCRATCH TEACHER ...]
 * </pre>
 *
 * Prints one tab-separated line per triple: documents, bits/byte of the three models, bits/byte saved
 * with its 95% interval, sign-flip p, documents the distilled student is better on, share of the gap
 * closed with its 95% interval, the distilled student's directory.
 */
public final class LmHeldOutPaired {
    public static void main(String[] args) throws Exception {
        if (args.length < 7 || (args.length - 4) % 3 != 0) {
            System.err.println("usage: LmHeldOutPaired CORPUS SKIP_BYTES TAKE_BYTES CONTEXT (DISTILLED SCRATCH TEACHER)...");
            System.exit(2);
        }
        List<Path> corpus = List.of(Path.of(args[0]));
        long skip = Long.parseLong(args[1]);
        long take = Long.parseLong(args[2]);
        int context = Integer.parseInt(args[3]);
        TextCorpus.Options o = TextCorpus.Options.defaults();
        int seen = TextCorpus.read(corpus, o.withMaxBytes(skip)).documents().size();
        List<Document> all = TextCorpus.read(corpus, o.withMaxBytes(skip + take)).documents();
        List<Document> heldOut = all.subList(seen, all.size());
        System.out.printf(
                Locale.ROOT, "# held out: documents %d-%d of %s (%d documents)%n", seen, all.size() - 1, args[0],
                heldOut.size());
        System.out.println("documents\tdistilled\tscratch\tteacher\tbits_saved\tlow\thigh\tsign_flip_p\tbetter\tgap\tgap_low\tgap_high\tdistilled_dir");
        for (int i = 4; i < args.length; i += 3) {
            DocumentLosses[] l = new DocumentLosses[3];
            for (int j = 0; j < 3; j++) {
                try (LanguageModel lm = LanguageModel.load(Path.of(args[i + j]))) {
                    TokenWindows w = TokenWindows.pack(heldOut, lm.tokenizer(), context);
                    int ctx = lm.config().contextLength();
                    l[j] = DocumentLosses.of(lm, ctx < context ? w.withContext(ctx) : w, 16);
                }
            }
            PairedLossComparison c = PairedLossComparison.of(
                    l[0].natsByDocument(), l[1].natsByDocument(), l[2].natsByDocument(), l[0].bytesByDocument());
            System.out.printf(
                    Locale.ROOT,
                    "%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.2g\t%d\t%.1f\t%.1f\t%.1f\t%s%n",
                    c.documents(),
                    l[0].total().bitsPerByte(),
                    l[1].total().bitsPerByte(),
                    l[2].total().bitsPerByte(),
                    c.bitsPerByteSaved().value(),
                    c.bitsPerByteSaved().low(),
                    c.bitsPerByteSaved().high(),
                    c.signFlipP(),
                    c.documentsFirstBetter(),
                    c.gapShare() == null ? Double.NaN : 100 * c.gapShare().value(),
                    c.gapShare() == null ? Double.NaN : 100 * c.gapShare().low(),
                    c.gapShare() == null ? Double.NaN : 100 * c.gapShare().high(),
                    args[i]);
        }
    }
}
