import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.*;
import org.distill4j.data.ExampleSet;
import org.distill4j.eval.Predictions;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.RecipeLoader;

/**
 * Post-hoc logit adjustment (Menon et al. 2021): z - tau * log(prior), prior = training label
 * frequencies; tau chosen per model on validation macro-F1 from 0..2 step 0.25; prints
 * validation and test macro-F1 and accuracy at tau = 0 and at the chosen tau.
 * Usage: java -cp distill.jar tools/TextPriorAdjust.java MODEL_DIR...
 */
public class TextPriorAdjust {
    public static void main(String[] a) throws Exception {
        var recipe = RecipeLoader.load(Path.of(System.getProperty("recipe", "recipes/debian-sections.yaml")),
                List.of("seed=" + System.getProperty("seed", "42")));
        var data = ExperimentData.load(recipe);
        ExampleSet train = data.train(), val = data.validation(), test = data.test();
        int C = test.numClasses();
        double[] prior = new double[C];
        for (int i = 0; i < train.size(); i++) prior[train.label(i)]++;
        for (int c = 0; c < C; c++) prior[c] = Math.log((prior[c] + 1) / (train.size() + C));
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (String d : a) {
                try (SavedModel sm = SavedModel.load(Path.of(d))) {
                    Predictions pv = Predictions.of(sm, val, m, 512);
                    Predictions pt = Predictions.of(sm, test, m, 512);
                    double best = -1, bestTau = 0;
                    for (double tau = 0; tau <= 2.0001; tau += 0.25) {
                        double f = adjust(pv, prior, tau).macroF1(val);
                        if (f > best + 1e-12) { best = f; bestTau = tau; }
                    }
                    Predictions t0 = pt, tb = adjust(pt, prior, bestTau);
                    System.out.printf(Locale.ROOT,
                            "%s: tau 0: val F1 %.2f test F1 %.2f acc %.2f | tau %.2f: val F1 %.2f test F1 %.2f acc %.2f%n",
                            d, 100 * pv.macroF1(val), 100 * t0.macroF1(test), 100 * t0.accuracy(test), bestTau,
                            100 * best, 100 * tb.macroF1(test), 100 * tb.accuracy(test));
                }
            }
        }
    }

    static Predictions adjust(Predictions p, double[] prior, double tau) {
        float[] z = p.logits().clone();
        for (int i = 0; i < p.rows(); i++)
            for (int c = 0; c < p.classes(); c++) z[i * p.classes() + c] -= (float) (tau * prior[c]);
        return Predictions.ofLogits(p.rows(), p.classes(), z);
    }
}
