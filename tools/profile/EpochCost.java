import ai.djl.Device;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.*;
import java.util.*;
import org.distill4j.data.*;
import org.distill4j.experiment.*;
import org.distill4j.loss.*;
import org.distill4j.model.*;
import org.distill4j.recipe.*;
import org.distill4j.teacher.*;
import org.distill4j.terms.*;
import org.distill4j.train.*;

/**
 * Epoch times of the real trainer (ClassifierTrainer), student alone and distilled from cached
 * teacher outputs, in turn, for a number of rounds: wall seconds, the training thread's CPU seconds
 * and the process's CPU seconds per epoch, and the final training loss (to compare code versions).
 * Needs a saved teacher in /tmp/speed-out/teacher-stand-in (the stand-in `distill bench speed
 * --out /tmp/speed-out` trains) and caches its logits in /tmp/prof/logits.bin.
 *
 * <p>Run: {@code java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 -cp
 * distill-cli/target/distill.jar tools/profile/EpochCost.java x EPOCHS alone,cached ROUNDS}
 */
public class EpochCost {
    public static void main(String[] a) throws Exception {
        String mode = a[0];
        int epochs = Integer.parseInt(a[1]);
        Recipe recipe = RecipeLoader.load(Path.of("/work/wt/engine/recipes/bench-fashion-mnist.yaml"), List.of());
        Experiment experiment = new Experiment(recipe, Path.of("/tmp/prof/out"),
                new Experiment.Options(Experiment.Options.defaultCacheDir(), false), ExperimentListener.NONE);
        experiment.checkTerms();
        ExperimentData data = ExperimentData.load(recipe);
        ExampleSet train = data.train();
        MlpSpec spec = (MlpSpec) recipe.student().model();
        TrainingConfig config = recipe.student().training().withEpochs(epochs);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                SavedModelTeacher teacher = SavedModelTeacher.load(Path.of("/tmp/speed-out/teacher-stand-in"))) {
            GateApproval approval = experiment.approveDistillation(teacher.identity());
            TeacherOutputs outputs = null;
            Path cache = Path.of("/tmp/prof/logits.bin");
            if (Files.exists(cache)) {
                java.nio.FloatBuffer fb = java.nio.ByteBuffer.wrap(Files.readAllBytes(cache)).asFloatBuffer();
                float[] l = new float[fb.remaining()]; fb.get(l);
                outputs = new TeacherOutputs(teacher.identity().cacheKey(), train.contentHash(), train.size(), train.numClasses(), l);
            } else {
                outputs = TeacherOutputCache.compute(teacher, train, manager, 512, d -> {});
                java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(outputs.logits().length * 4);
                bb.asFloatBuffer().put(outputs.logits());
                Files.write(cache, bb.array());
            }
            KdParameters kd = recipe.distillation().parameters();
            String[] modes = a.length > 2 ? a[2].split(",") : new String[] {"alone", "cached"};
            for (int round = 0; round < (a.length > 3 ? Integer.parseInt(a[3]) : 1); round++) {
            for (String m : modes) {
                try (SavedModel student = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                    final java.lang.management.ThreadMXBean tmx = java.lang.management.ManagementFactory.getThreadMXBean();
                    final List<Double> cpu = new ArrayList<>();
                    final long[] t0 = new long[1];
                    final com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
                    final List<Double> pcpu = new ArrayList<>();
                    final long[] p0 = new long[1];
                    ClassifierTrainer.Builder b = ClassifierTrainer.builder(config).optListener(new TrainingListener() {
                        public void onEpochStart(int e, int es, int rows) { t0[0] = tmx.getCurrentThreadCpuTime(); p0[0] = os.getProcessCpuTime(); }
                        public void onEpochEnd(EpochRecord r) { cpu.add((tmx.getCurrentThreadCpuTime() - t0[0]) / 1e9); pcpu.add((os.getProcessCpuTime() - p0[0]) / 1e9); }
                    });
                    if (m.equals("cached")) b.optDistillation(kd, SoftTargets.cached(outputs), approval);
                    if (m.equals("online")) b.optDistillation(kd, SoftTargets.online(teacher), approval);
                    ClassifierTrainer.Result r = b.build().fit(student, train, null);
                    StringBuilder sb = new StringBuilder(m + " wall");
                    for (EpochRecord e : r.history()) sb.append(String.format(" %.3f", e.seconds()));
                    sb.append(" | main-thread cpu"); for (double c : cpu) sb.append(String.format(" %.3f", c)); sb.append(" | process cpu"); for (double c : pcpu) sb.append(String.format(" %.3f", c));
                    sb.append(String.format("  loss %.6f", r.history().get(r.history().size() - 1).trainLoss()));
                    System.out.println(sb + "  load " + Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
                }
            }
            }
        }
    }
}
