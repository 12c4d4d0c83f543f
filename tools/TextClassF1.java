import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.*;
import org.distill4j.data.ExampleSet;
import org.distill4j.eval.Predictions;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.RecipeLoader;

/**
 * Per-class F1 and prediction counts of saved text models on the Debian descriptions' test file,
 * classes by frequency (issue 13.4: where the distilled student loses macro-F1). Usage, from the
 * repository root, with a run directory RUN of tools/accuracy-text.sh:
 *   java -Dai.djl.offline=true -cp distill-cli/target/distill.jar tools/TextClassF1.java \
 *       RUN/student_scratch RUN/student_distilled RUN/teacher
 * Each argument is one saved model (an ensemble's members are RUN/teacher, RUN/teacher-2, ...).
 */
public class TextClassF1 {
    public static void main(String[] a) throws Exception {
        var recipe = RecipeLoader.load(Path.of(System.getProperty("recipe", "recipes/debian-sections.yaml")), List.of());
        var data = ExperimentData.load(recipe);
        ExampleSet test = data.test();
        int C = test.numClasses();
        int[] count = new int[C];
        int[] rows = new int[test.size()];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        long[] y = new long[test.size()];
        for (int i = 0; i < rows.length; i++) y[i] = test.label(i);
        for (long v : y) count[(int) v]++;
        List<double[]> f1s = new ArrayList<>();
        List<int[]> predCounts = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (String d : a) {
                try (SavedModel sm = SavedModel.load(Path.of(d))) {
                    Predictions p = Predictions.of(sm, test, m, 512);
                    f1s.add(p.classF1(test));
                    int[] pc = new int[C];
                    for (int i = 0; i < rows.length; i++) pc[p.argmax(i)]++;
                    predCounts.add(pc);
                }
            }
        }
        Integer[] order = new Integer[C];
        for (int c = 0; c < C; c++) order[c] = c;
        Arrays.sort(order, (x, z) -> count[z] - count[x]);
        double[][] sums = new double[a.length][3];
        int[] tierSize = new int[3];
        for (int k = 0; k < C; k++) {
            int c = order[k];
            int tier = k < 10 ? 0 : k < 30 ? 1 : 2;
            if (count[c] > 0) {
                tierSize[tier]++; // a class without test rows has no F1 (NaN), as in macro-F1
            }
            StringBuilder sb = new StringBuilder(String.format("%-22s n=%4d", test.classNames().get(c), count[c]));
            for (int j = 0; j < a.length; j++) {
                sb.append(String.format("  f1 %.3f pred %4d", f1s.get(j)[c], predCounts.get(j)[c]));
                if (count[c] > 0) {
                    sums[j][tier] += f1s.get(j)[c];
                }
            }
            System.out.println(sb);
        }
        for (int j = 0; j < a.length; j++) System.out.printf(
                    "%s: mean F1 of the 10 largest classes %.3f, the next 20 %.3f, the other %d %.3f%n",
                    a[j], sums[j][0] / tierSize[0], sums[j][1] / tierSize[1], tierSize[2], sums[j][2] / tierSize[2]);
    }
}
