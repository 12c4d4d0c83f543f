import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.recipe.RecipeLoader;

/**
 * Cost of reading features through {@code ExampleSets.concat} (a {@code ConcatView}): copyFeatures for
 * shuffled batches of 256 rows of the Debian sections training rows alone and joined with the
 * unlabelled rows of {@code data.unlabelled} (docs: the stop 39 closing note). Prints three timed
 * rounds after a warm-up.
 * Usage: java -cp distill-cli/target/distill.jar tools/ConcatViewCost.java TRANSFER.jsonl
 */
public class ConcatViewCost {
    public static void main(String[] a) throws Exception {
        var r = RecipeLoader.load(Path.of("recipes/debian-sections.yaml"), List.of("data.unlabelled=" + a[0]));
        ExperimentData d = ExperimentData.load(r);
        ExampleSet train = d.train();
        ExampleSet joined = ExampleSets.concat(train, d.unlabelled(), "joined");
        for (int rep = 0; rep < 4; rep++) {
            for (ExampleSet s : List.of(train, joined)) {
                SplittableRandom rnd = new SplittableRandom(rep);
                float[] dst = new float[256 * s.featureSize()];
                int[] idx = new int[256];
                long t0 = System.nanoTime();
                int batches = s.size() / 256;
                for (int b = 0; b < batches; b++) {
                    for (int k = 0; k < 256; k++) idx[k] = rnd.nextInt(s.size());
                    s.copyFeatures(idx, dst);
                }
                double us = (System.nanoTime() - t0) / 1e3 / (batches * 256.0);
                if (rep > 0) System.out.printf("%s %.3f us/row%n", s == train ? "train " : "joined", us);
            }
        }
    }
}
