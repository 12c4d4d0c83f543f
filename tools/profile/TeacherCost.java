import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.TrainingConfig;

/**
 * The CNN teacher's training speed as `distill bench speed` measures it (the bench recipe's
 * teacher, one epoch on 2,048 Fashion-MNIST rows, batch of the recipe), repeated ROUNDS times with
 * and without the batch prefetch thread, alternating; prints samples/s per run and the medians.
 * `distill bench speed` converts samples/s to GFLOP/s (x forward FLOPs per sample x 3) and
 * compares it with the matmul peak of the same run.
 *
 * <pre>
 *   OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true \
 *     -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 \
 *     -cp distill-cli/target/distill.jar tools/profile/TeacherCost.java ROUNDS
 * </pre>
 */
public class TeacherCost {
    public static void main(String[] a) throws Exception {
        int rounds = Integer.parseInt(a[0]);
        Recipe recipe = RecipeLoader.load(Path.of("recipes/bench-fashion-mnist.yaml"), List.of());
        ExampleSet train = IdxDataset.load(Path.of("/usr/share/datasets/fashion-mnist")).train();
        ExampleSet slice = ExampleSets.slice(train, 0, 2048);
        TrainingConfig config = recipe.teacher().training().withEpochs(1);
        List<Double> on = new ArrayList<>();
        List<Double> off = new ArrayList<>();
        for (int r = 0; r < 2 * rounds + 1; r++) {
            boolean prefetch = r % 2 == 1;
            try (SavedModel model = SavedModel.create(recipe.teacher().model(), slice.featureShape(), slice.classNames())) {
                double sps = ClassifierTrainer.builder(config).optPrefetch(prefetch).build()
                        .fit(model, slice, null).history().get(0).samplesPerSecond();
                if (r > 0) {
                    (prefetch ? on : off).add(sps);
                }
                System.out.printf("run %d prefetch %s: %.0f samples/s%s%n", r, prefetch, sps, r == 0 ? " (warm-up)" : "");
            }
        }
        on.sort(null);
        off.sort(null);
        System.out.printf("median samples/s: prefetch on %.0f (%.0f-%.0f), off %.0f (%.0f-%.0f)%n",
                on.get(on.size() / 2), on.get(0), on.get(on.size() - 1),
                off.get(off.size() / 2), off.get(0), off.get(off.size() - 1));
    }
}
