import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.distill4j.lm.experiment.HeldOutText;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.train.DocumentLosses;

/**
 * The mean share of the teacher-scratch gap that full KD closes over several (teacher, student)
 * pairs, with one 95% interval that covers both sources of variation: a two-level bootstrap that
 * draws the pairs with replacement (another seed, another teacher) and the recipe's test documents
 * with replacement (another test set), the same document draw for every pair of a resample since
 * all are scored on the same documents. The per-pair intervals of {@code distill eval} cover the
 * documents only; the t interval over pairs in docs/lm-benchmarks.md covers the pairs only.
 *
 * <pre>
 * java -cp distill-cli/target/distill.jar tools/LmPooledShare.java RECIPE [--set KEY=VALUE ...] \
 *     DISTILLED SCRATCH TEACHER [DISTILLED SCRATCH TEACHER ...]
 * </pre>
 *
 * Prints each pair's share, then the mean with its percentile interval (10,000 resamples, seed
 * 20150309), and the share of resamples whose mean reaches 50%.
 */
public final class LmPooledShare {
    public static void main(String[] args) throws Exception {
        List<String> sets = new ArrayList<>();
        List<String> dirs = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--set")) {
                sets.add(args[++i]);
            } else {
                dirs.add(args[i]);
            }
        }
        if (args.length < 4 || dirs.isEmpty() || dirs.size() % 3 != 0) {
            System.err.println("usage: LmPooledShare RECIPE [--set KEY=VALUE ...] (DISTILLED SCRATCH TEACHER)...");
            System.exit(2);
        }
        int pairs = dirs.size() / 3;
        double[][][] nats = new double[pairs][3][];
        Path cache = Files.createTempDirectory("pooled-share-");
        try (HeldOutText text = HeldOutText.open(LmRecipe.load(Path.of(args[0]), sets), cache)) {
            for (int p = 0; p < pairs; p++) {
                for (int m = 0; m < 3; m++) {
                    try (LanguageModel lm = LanguageModel.load(Path.of(dirs.get(3 * p + m)))) {
                        DocumentLosses d = text.score(lm, HeldOutText.Part.TEST);
                        nats[p][m] = d.natsByDocument();
                    }
                }
                System.out.printf(
                        Locale.ROOT, "pair %d: %.1f%% of the gap (%s)%n", p + 1, 100 * share(nats[p], ones(nats[p][0].length)),
                        dirs.get(3 * p));
            }
        }
        int docs = nats[0][0].length;
        double[] point = new double[pairs];
        for (int p = 0; p < pairs; p++) {
            point[p] = share(nats[p], ones(docs));
        }
        SplittableRandom rng = new SplittableRandom(20150309L);
        int resamples = 10_000;
        double[] means = new double[resamples];
        int reachHalf = 0;
        int[] counts = new int[docs];
        for (int r = 0; r < resamples; r++) {
            Arrays.fill(counts, 0);
            for (int i = 0; i < docs; i++) {
                counts[rng.nextInt(docs)]++;
            }
            double sum = 0;
            for (int i = 0; i < pairs; i++) {
                sum += share(nats[rng.nextInt(pairs)], counts);
            }
            means[r] = sum / pairs;
            reachHalf += means[r] >= 0.5 ? 1 : 0;
        }
        Arrays.sort(means);
        System.out.printf(
                Locale.ROOT,
                "mean over %d pairs: %.1f%% of the gap; 95%% interval over pairs and %d test documents: %.1f%% to %.1f%%;"
                        + " resamples with a mean of 50%% or more: %d of %d%n",
                pairs,
                100 * Arrays.stream(point).average().orElseThrow(),
                docs,
                100 * means[(int) (0.025 * (resamples - 1))],
                100 * means[(int) Math.ceil(0.975 * (resamples - 1))],
                reachHalf,
                resamples);
    }

    /** (scratch - distilled) / (scratch - teacher) in summed nats, document d counted w[d] times. */
    private static double share(double[][] pair, int[] w) {
        double saved = 0;
        double gap = 0;
        for (int d = 0; d < w.length; d++) {
            saved += w[d] * (pair[1][d] - pair[0][d]);
            gap += w[d] * (pair[1][d] - pair[2][d]);
        }
        return saved / gap;
    }

    private static int[] ones(int n) {
        int[] w = new int[n];
        Arrays.fill(w, 1);
        return w;
    }
}
