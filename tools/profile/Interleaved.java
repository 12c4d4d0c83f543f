import java.nio.file.*;
import java.util.*;
import org.distill4j.bench.InterleavedSteps;
import org.distill4j.data.*;
import org.distill4j.loss.*;
import org.distill4j.model.*;
import org.distill4j.teacher.*;
import org.distill4j.terms.*;
import org.distill4j.train.*;

/**
 * The benchmark's per-step comparison (org.distill4j.bench.InterleavedSteps) without the rest of
 * `distill bench speed`: the bench recipe's MLP [100] student, batch 128, Adam, cosine, alone and
 * distilled from cached outputs (T = 4, alpha = 0.9; random logits stand in for a teacher's, as
 * only the cost matters) on the Fashion-MNIST training rows, trained side by side in blocks.
 *
 * <p>Run (repository root, after building the CLI jar):
 * <pre>
 *   OPT_OUT_TRACKING=true java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
 *     -cp distill-cli/target/distill.jar tools/profile/Interleaved.java ROUNDS EPOCHS [BLOCK_BATCHES] [ROWS]
 *   (-Dnoprefetch=true: the trainers fill batches on the training thread; -Dprefetchab=true: the
 *   student alone without prefetching, printed as "alone", against with it, printed as "cached")
 * </pre>
 */
public class Interleaved {
    public static void main(String[] a) throws Exception {
        int rounds = Integer.parseInt(a[0]);
        int epochs = Integer.parseInt(a[1]);
        int block = a.length > 2 ? Integer.parseInt(a[2]) : 20;
        ExampleSet train = IdxDataset.load(Path.of("/usr/share/datasets/fashion-mnist")).train();
        if (a.length > 3) train = ExampleSets.slice(train, 0, Integer.parseInt(a[3]));
        final ExampleSet rows = train;
        float[] logits = new float[rows.size() * rows.numClasses()];
        Random rng = new Random(3);
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (3 * rng.nextGaussian());
        TeacherIdentity id = new TeacherIdentity("distill4j", "/teachers/cost", "c0575", "MLP");
        TeacherOutputs outputs = new TeacherOutputs(id.cacheKey(), rows.contentHash(), rows.size(), rows.numClasses(), logits);
        GateApproval approval = new DistillationGate().approve(
                GateRequest.forTeacher(TermsRegistry.builtIn().get("mit"), "student").withTeacher(id));
        TrainingConfig config = TrainingConfig.builder().setEpochs(epochs).optBatchSize(128).optLearningRate(0.001)
                .optSchedule(Schedule.COSINE).build();
        MlpSpec spec = new MlpSpec(List.of(100), Activation.RELU, 0);
        List<Map<String, Object>> all = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            Map<String, Object> m = Boolean.getBoolean("prefetchab")
                    // the student alone without prefetching ("alone") against with it ("cached")
                    ? InterleavedSteps.pair(() -> SavedModel.create(spec, rows.featureShape(), rows.classNames()),
                            config, b -> b.optPrefetch(false), b -> b.optPrefetch(true), rows, block, 2)
                    : InterleavedSteps.round(() -> SavedModel.create(spec, rows.featureShape(), rows.classNames()),
                            config, new KdParameters(4, 0.9), SoftTargets.cached(outputs), approval, rows, block, 2,
                            !Boolean.getBoolean("noprefetch"));
            List<Double> w = (List<Double>) m.get("wall_ratios");
            System.out.printf("round %d: %d blocks, wall ratio median %.3f, cpu %.3f, us/step alone %.0f cached %.0f, load %s%n", r + 1, w.size(),
                    q(w, .5), q((List<Double>) m.get("cpu_ratios"), .5), q((List<Double>) m.get("alone_us_per_step"), .5),
                    q((List<Double>) m.get("cached_us_per_step"), .5), m.get("load_after"));
            all.add(m);
        }
        Map<String, Object> s = InterleavedSteps.summary(all);
        s.remove("per_round");
        System.out.println(s);
    }
    static double q(List<Double> x, double f) { List<Double> s = new ArrayList<>(x); Collections.sort(s); return s.get((int) Math.min(s.size() - 1, Math.round(f * (s.size() - 1)))); }
}
