import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.eval.Predictions;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.NearDuplicates;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.RecipeLoader;

/**
 * Saved text classifiers on the test rows that have no near duplicate in the training file
 * (NearDuplicates' rule: a shared MinHash band over 5-word shingles, transitively), beside all test
 * rows: accuracy and macro-F1 of each (issue 13.4; docs/accuracy-plan.md). The Debian descriptions
 * are split by package name, so families of templated descriptions straddle train and test.
 *   java -Dai.djl.offline=true -cp distill-cli/target/distill.jar tools/TextNovelRows.java MODEL_DIR...
 * Prints one tab-separated line per model: dir, all rows (n, accuracy, macro-F1), novel rows (same).
 */
public class TextNovelRows {
    public static void main(String[] a) throws Exception {
        var recipe = RecipeLoader.load(Path.of(System.getProperty("recipe", "recipes/debian-sections.yaml")), List.of());
        var data = ExperimentData.load(recipe);
        ExampleSet train = data.train();
        ExampleSet test = data.test();
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) docs.add(new Document("train:" + i, train.text(i)));
        for (int i = 0; i < test.size(); i++) docs.add(new Document("test:" + i, test.text(i)));
        int[] group = NearDuplicates.groups(docs);
        boolean[] groupHasTrain = new boolean[docs.size()];
        for (int i = 0; i < train.size(); i++) groupHasTrain[group[i]] = true;
        int[] novel = java.util.stream.IntStream.range(0, test.size())
                .filter(i -> !groupHasTrain[group[train.size() + i]]).toArray();
        ExampleSet fresh = ExampleSets.subset(test, novel, "test/novel");
        System.out.printf("# %d of %d test rows have no near duplicate in the %d training rows%n",
                novel.length, test.size(), train.size());
        System.out.println("model\tall_n\tall_accuracy\tall_macro_f1\tnovel_n\tnovel_accuracy\tnovel_macro_f1");
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (String d : a) {
                try (SavedModel sm = SavedModel.load(Path.of(d))) {
                    Predictions all = Predictions.of(sm, test, m, 512);
                    Predictions nov = Predictions.of(sm, fresh, m, 512);
                    System.out.printf("%s\t%d\t%.4f\t%.4f\t%d\t%.4f\t%.4f%n", d, test.size(), all.accuracy(test),
                            all.macroF1(test), fresh.size(), nov.accuracy(fresh), nov.macroF1(fresh));
                }
            }
        }
    }
}
