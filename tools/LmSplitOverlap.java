import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TextCorpus;

/**
 * How much of a language-model recipe's test and validation text the training split already
 * contains: the share of their 32-byte windows that occur in a training document, for a split by
 * document and by near-duplicate group (docs/lm-benchmarks.md, "A test split without near
 * duplicates"). Windows are compared by a 64-bit hash (collisions at 2 MB: about 1e-7 of a window).
 *
 *   java -cp distill-cli/target/distill.jar tools/LmSplitOverlap.java CORPUS.jsonl[.gz] MAX_BYTES SPLIT_SEED [FIELD]
 */
public final class LmSplitOverlap {
    private static final int K = 32;

    public static void main(String[] args) throws Exception {
        TextCorpus.Options d = TextCorpus.Options.defaults();
        TextCorpus corpus = TextCorpus.read(
                List.of(Path.of(args[0])),
                new TextCorpus.Options(args.length > 3 ? args[3] : "text", d.utf8(), d.maxLineBytes(),
                        Long.parseLong(args[1]), d.maxDocuments()));
        long seed = Long.parseLong(args[2]);
        System.out.printf("%d documents, %d bytes, split seed %d, 5%% validation, 5%% test%n",
                corpus.documents().size(), corpus.bytes(), seed);
        for (CorpusSplit.Unit unit : CorpusSplit.Unit.values()) {
            CorpusSplit s = CorpusSplit.split(unit, corpus.documents(), seed, 0.05, 0.05);
            Set<Long> train = new HashSet<>();
            for (Document doc : s.train()) {
                windows(doc, train, null);
            }
            System.out.printf("%-16s documents train/validation/test %d/%d/%d; windows found in training text:"
                            + " validation %.1f%%, test %.1f%%%n",
                    unit.name().toLowerCase(), s.train().size(), s.validation().size(), s.test().size(),
                    share(s.validation(), train), share(s.test(), train));
        }
    }

    private static double share(List<Document> docs, Set<Long> train) {
        long[] hitsAll = new long[2];
        for (Document doc : docs) {
            windows(doc, null, w -> {
                hitsAll[1]++;
                if (train.contains(w)) {
                    hitsAll[0]++;
                }
            });
        }
        return 100.0 * hitsAll[0] / Math.max(1, hitsAll[1]);
    }

    private static void windows(Document doc, Set<Long> into, java.util.function.LongConsumer each) {
        byte[] b = doc.text().getBytes(StandardCharsets.UTF_8);
        for (int j = 0; j <= Math.max(0, b.length - K); j++) {
            long h = 0xcbf29ce484222325L;
            for (int i = j; i < Math.min(b.length, j + K); i++) {
                h = (h ^ (b[i] & 0xff)) * 0x100000001b3L;
            }
            if (into != null) {
                into.add(h);
            } else {
                each.accept(h);
            }
        }
    }
}
