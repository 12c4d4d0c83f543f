import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.TextCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.ByteTokenizer;

/**
 * Checks that two saved language models give the same logits on the first 64 training windows of
 * the benchmark's corpus (2 MB, split seed 42, windows of 128): bench/lm_benchmark.sh serves the
 * teacher from a copy whose model.json says context 129 instead of 128, because the HTTP top-k
 * collector sends window + 1 tokens; with rotary positions no parameter depends on the context
 * length, so the copy must agree exactly. Prints the largest absolute difference; exit 1 if not 0.
 *
 *   java -cp distill-cli/target/distill.jar bench/LmSameLogits.java DIR_A DIR_B
 */
public class LmSameLogits {
    public static void main(String[] args) throws Exception {
        TextCorpus corpus = TextCorpus.read(
                List.of(Path.of("../shared/data/debian-descriptions/train.jsonl.gz")),
                TextCorpus.Options.defaults().withMaxBytes(2_000_000));
        CorpusSplit split = CorpusSplit.bySeed(corpus.documents(), 42, 0.05, 0.05);
        TokenWindows w = TokenWindows.pack(split.train(), ByteTokenizer.INSTANCE, 128);
        int[] idx = new int[64];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        try (LanguageModel a = LanguageModel.load(Path.of(args[0]));
                LanguageModel b = LanguageModel.load(Path.of(args[1]));
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = w.batch(m, idx).get(0);
            float diff = a.logits(ids).sub(b.logits(ids)).abs().max().getFloat();
            System.out.println("contexts " + a.config().contextLength() + " and " + b.config().contextLength()
                    + ": max |logit difference| over 64 x 128 positions = " + diff);
            System.exit(diff == 0f ? 0 : 1);
        }
    }
}
