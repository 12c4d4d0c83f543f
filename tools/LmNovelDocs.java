import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.SplitOverlap;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.train.Evaluation;

/**
 * Bits per byte of saved language models on a recipe's whole test split and on its test documents
 * without a near duplicate among the training documents ({@code SplitOverlap}, the rule every
 * {@code distill run} now applies): what a run of today's code records as {@code
 * test_without_near_duplicate_bits_per_byte}, for models trained before it existed. Used by
 * docs/lm.md ("Every run says how much its held-out text repeats the training text").
 *
 * <pre>
 * java -cp distill-cli/target/distill.jar tools/LmNovelDocs.java RECIPE 'key=value;key=value' MODEL_DIR...
 * </pre>
 *
 * The second argument holds the recipe overrides the run had (as {@code --set}), separated by
 * semicolons ({@code ''} for none). Prints the counts, then one line per model: bits/byte on all
 * test documents, on the novel ones, directory.
 */
public final class LmNovelDocs {
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: LmNovelDocs RECIPE 'key=value;...' MODEL_DIR...");
            System.exit(2);
        }
        List<String> overrides = args[1].isBlank() ? List.of() : Arrays.asList(args[1].split(";"));
        LmRecipe recipe = LmRecipe.load(Path.of(args[0]), overrides);
        LmTrainingCorpus read = LmTrainingCorpus.read(recipe);
        List<Document> test = read.split().test();
        SplitOverlap check = SplitOverlap.of(test.stream().map(Document::text).toList());
        read.split().train().forEach(d -> check.accept(d.text()));
        List<Document> novel = Arrays.stream(check.withoutNearDuplicate())
                .mapToObj(test::get)
                .toList();
        SplitOverlap.Result r = check.result();
        System.out.printf(
                Locale.ROOT,
                "# test documents %d, checked %d, with a near duplicate in training %d, without %d%n",
                r.documents(),
                r.checked(),
                r.nearDuplicates(),
                novel.size());
        System.out.println("# all-test bits/byte\tnovel bits/byte\tmodel");
        for (int i = 2; i < args.length; i++) {
            try (LanguageModel lm = LanguageModel.load(Path.of(args[i]))) {
                int ctx = recipe.context();
                double all = Evaluation.of(lm, TokenWindows.pack(test, lm.tokenizer(), ctx), 16).bitsPerByte();
                double fresh = Evaluation.of(lm, TokenWindows.pack(novel, lm.tokenizer(), ctx), 16).bitsPerByte();
                System.out.printf(Locale.ROOT, "%.4f\t%.4f\t%s%n", all, fresh, args[i]);
            }
        }
    }
}
