import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TextCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.train.Evaluation;

/**
 * Bits per byte of saved language models on text none of them trained, validated or was tested
 * on: the documents of a corpus that come after the first SKIP_BYTES (what a recipe with {@code
 * data.max_bytes: SKIP_BYTES} reads, the document crossing the limit included), up to TAKE_BYTES
 * more. Used by docs/lm-benchmarks.md ("Equal text, less of it"), whose recipe test split is 3 KB.
 *
 * <pre>
 * java -cp distill-cli/target/distill.jar tools/LmHeldOutEval.java CORPUS SKIP_BYTES TAKE_BYTES CONTEXT MODEL_DIR...
 * </pre>
 *
 * Prints one line per model: bits/byte, target tokens, bytes, directory.
 */
public final class LmHeldOutEval {
    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: LmHeldOutEval CORPUS SKIP_BYTES TAKE_BYTES CONTEXT MODEL_DIR...");
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
        for (int i = 4; i < args.length; i++) {
            try (LanguageModel lm = LanguageModel.load(Path.of(args[i]))) {
                TokenWindows w = TokenWindows.pack(heldOut, lm.tokenizer(), context);
                Evaluation e = Evaluation.of(lm, w, 16);
                System.out.printf(
                        Locale.ROOT, "%.4f\t%d\t%d\t%s%n", e.bitsPerByte(), e.tokens(), e.bytes(), args[i]);
            }
        }
    }
}
