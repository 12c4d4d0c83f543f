import ai.djl.Device;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.file.*;
import java.util.*;
import org.distill4j.data.*;
import org.distill4j.loss.*;
import org.distill4j.model.*;

/**
 * What one training step of the benchmark's MLP student costs, by phase, for four variants in one
 * process: the loss path before issue 9 item 4 (commit 17cf362, reproduced below as oldTerms) and
 * the current one (DistillationStep), each trained alone (hard labels) and distilled from cached
 * teacher outputs (T = 4, alpha = 0.9), on the Fashion-MNIST rows, batch 128. The variants run in
 * rotating blocks of steps so that a change of machine load hits each alike; CPU time (of the
 * thread, or with -Dproc=true of the process) is less disturbed by other jobs than wall time.
 * It also counts the NDArrays a batch holds, and with a third argument writes PyTorch's own
 * profile (DJL's JniUtils.startProfile/stopProfile, a Chrome trace) of the last block of each
 * variant to /tmp/prof/ab-VARIANT.json (summarise with tools/profile/trace_summary.py).
 *
 * <p>Run (from the repository root, after building the CLI jar):
 * <pre>
 *   mkdir -p /tmp/prof; OPT_OUT_TRACKING=true java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
 *     -Dai.djl.pytorch.num_interop_threads=1 -cp distill-cli/target/distill.jar tools/profile/StepCost.java 61 20 prof
 * </pre>
 * arguments: blocks (the first is warm-up), steps per block, [prof].
 */
public class StepCost {
    static final int B = 128;
    interface Variant { void step(int[] rows) throws Exception; }
    static final String[] PH = {"assemble", "upload+prepare", "forward", "loss", "read", "backward", "step", "argmax+close"};
    static final java.lang.management.ThreadMXBean TMX = java.lang.management.ManagementFactory.getThreadMXBean();
    static long[][] phase = new long[4][PH.length];
    static long last;
    static boolean record;
    static boolean PROC = Boolean.getBoolean("proc");
    static final com.sun.management.OperatingSystemMXBean OS = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    static long cpuNow() { return PROC ? OS.getProcessCpuTime() : TMX.getCurrentThreadCpuTime(); }
    static void mark(int v, int p) { long t = cpuNow(); if (record) phase[v][p] += t - last; last = t; }

    // ---- the old DistillationLoss.terms (commit 17cf362), verbatim logic
    static NDArray times(NDArray x, double w) { NDManager m = x.getManager(); return x.mul(m.create((float) w)); }
    static NDArray hardWeights(NDArray labels, NDArray student, double weight) {
        long batch = student.getShape().get(0); int classes = (int) student.getShape().get(1);
        long[] ids = labels.toLongArray(); int labelled = 0;
        for (long id : ids) labelled += id >= 0 ? 1 : 0;
        double w = labelled == 0 ? 0 : -weight / labelled;
        float[] out = new float[ids.length * classes];
        for (int i = 0; i < ids.length; i++) if (ids[i] >= 0) out[i * classes + (int) ids[i]] = (float) w;
        return student.getManager().create(out, student.getShape());
    }
    static NDArray[] oldTerms(KdParameters kd, NDList labels, NDArray student) {
        double alpha = kd.alpha(), t = kd.temperature();
        NDArray studentLogP = null, soft = null, hard = null;
        if (alpha > 0) {
            NDArray teacher = labels.get(1);
            NDArray sT, tT;
            if (t == 1) { studentLogP = student.logSoftmax(1); sT = studentLogP; tT = teacher.stopGradient().logSoftmax(1); }
            else { sT = times(student, 1 / t).logSoftmax(1); tT = times(teacher.stopGradient(), 1 / t).logSoftmax(1); }
            NDArray wp = times(tT.exp(), alpha * t * t / student.getShape().get(0));
            soft = wp.mul(tT.sub(sT)).sum();
        }
        if (alpha < 1) {
            if (studentLogP == null) studentLogP = student.logSoftmax(1);
            hard = studentLogP.mul(hardWeights(labels.get(0), student, 1 - alpha)).sum();
        }
        NDArray total = soft == null ? hard : hard == null ? soft : soft.add(hard);
        return new NDArray[] {soft, hard, total};
    }

    public static void main(String[] a) throws Exception {
        int blocks = Integer.parseInt(a[0]);
        int per = Integer.parseInt(a[1]);
        java.lang.management.ThreadMXBean tmx = java.lang.management.ManagementFactory.getThreadMXBean();
        ExampleSet train = IdxDataset.load(Path.of("/usr/share/datasets/fashion-mnist")).train();
        int n = train.size(), C = train.numClasses(), F = train.featureSize();
        float[] cached = new float[n * C];
        Random r0 = new Random(1);
        for (int i = 0; i < cached.length; i++) cached[i] = (float) (r0.nextGaussian() * 3);
        MlpSpec spec = new MlpSpec(List.of(100), Activation.RELU, 0);
        KdParameters kd = new KdParameters(4, 0.9), none = new KdParameters(1, 0);
        NDManager run = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        TeacherTable table = TeacherTable.of(cached, C, kd.temperature(), run);
        String[] names = {"old-alone", "old-cached", "new-alone", "new-cached"};
        List<Variant> vs = new ArrayList<>();
        long[] arrays = new long[4]; long[] host = new long[4], readNs = new long[4], nsteps = new long[4];
        for (int v = 0; v < 4; v++) {
            final int vi = v;
            boolean isNew = v >= 2, distil = v % 2 == 1;
            KdParameters p = distil ? kd : none;
            SavedModel model = SavedModel.create(spec, train.featureShape(), train.classNames());
            Trainer trainer = model.model().newTrainer(new DefaultTrainingConfig(new DistillationLoss(p))
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.001f)).build()));
            trainer.initialize(model.inputShape(B));
            float[] features = new float[B * F]; long[] labels = new long[B]; float[] trows = new float[B * C];
            InputBuffer fb = new InputBuffer(B * F * 4), lb = new InputBuffer(B * 8), tb = new InputBuffer(B * C * 4), wb = new InputBuffer(2 * B * C * 4);
            DistillationStep step = new DistillationStep(p, C, B, DataType.FLOAT32, run);
            vs.add(rows -> {
                mark(vi, 7);
                train.copyFeatures(rows, features);
                for (int i = 0; i < B; i++) labels[i] = train.label(rows[i]);
                mark(vi, 0);
                try (NDManager batch = run.newSubManager()) {
                    NDArray x = fb.upload(batch, features, new Shape(B, F));
                    NDArray pred;
                    if (!isNew) {
                        NDArray y = lb.upload(batch, labels, new Shape(B));
                        NDList ll = new NDList(y);
                        if (distil) { for (int i = 0; i < B; i++) System.arraycopy(cached, rows[i] * C, trows, i * C, C); ll.add(tb.upload(batch, trows, new Shape(B, C))); }
                        mark(vi, 1);
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            pred = trainer.forward(new NDList(x)).head();
                            mark(vi, 2);
                            NDArray[] t = oldTerms(p, ll, pred);
                            mark(vi, 3);
                            double v0 = t[0] != null && t[1] != null ? NDArrays.stack(new NDList(t[2], t[0], t[1])).toFloatArray()[0] : t[2].getFloat();
                            if (!Double.isFinite(v0)) throw new IllegalStateException();
                            mark(vi, 4);
                            gc.backward(t[2]);
                            mark(vi, 5);
                        }
                    } else {
                        step.prepare(B, labels, distil ? table : null, rows);
                        NDArray w = wb.upload(batch, step.floatWeights(), step.weightShape());
                        mark(vi, 1);
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            pred = trainer.forward(new NDList(x)).head();
                            mark(vi, 2);
                            DistillationStep.Forward f = step.forward(pred, w);
                            mark(vi, 3);
                            if (!Double.isFinite(step.read(f).total())) throw new IllegalStateException();
                            mark(vi, 4);
                            gc.backward(f.target());
                            mark(vi, 5);
                        }
                    }
                    trainer.step();
                    mark(vi, 6);
                    pred.argMax(1).toLongArray();
                    arrays[vi] = batch.getManagedArrays().size();
                }
            });
        }
        Random rng = new Random(7);
        List<List<Double>> cpu = new ArrayList<>(), wall = new ArrayList<>();
        for (int v = 0; v < 4; v++) { cpu.add(new ArrayList<>()); wall.add(new ArrayList<>()); }
        int[] rows = new int[B];
        for (int b = 0; b < blocks; b++) {
            for (int v = 0; v < 4; v++) {
                int vv = (v + b) % 4; // rotate the order
                record = b > 0; mark(vv, 7);
                boolean prof = a.length > 2 && b == blocks - 1;
                if (prof) ai.djl.pytorch.jni.JniUtils.startProfile(false, false, false);
                long c0 = cpuNow(), w0 = System.nanoTime();
                for (int s = 0; s < per; s++) {
                    for (int i = 0; i < B; i++) rows[i] = rng.nextInt(n);
                    vs.get(vv).step(rows);
                }
                mark(vv, 7);
                if (prof) ai.djl.pytorch.jni.JniUtils.stopProfile("/tmp/prof/ab-" + names[vv] + ".json");
                if (b > 0) { cpu.get(vv).add((cpuNow() - c0) / 1e3 / per); wall.get(vv).add((System.nanoTime() - w0) / 1e3 / per); }
            }
        }
        for (int v = 0; v < 4; v++) {
            System.out.printf("%-11s cpu us/step median %.0f (p25 %.0f, p75 %.0f)  wall median %.0f  arrays/batch %d%n", names[v],
                q(cpu.get(v), .5), q(cpu.get(v), .25), q(cpu.get(v), .75), q(wall.get(v), .5), arrays[v]);
        }
        // paired ratios per block
        for (int base : new int[] {0, 2}) {
            List<Double> rc = new ArrayList<>(), rw = new ArrayList<>();
            for (int i = 0; i < cpu.get(base).size(); i++) { rc.add(cpu.get(base + 1).get(i) / cpu.get(base).get(i)); rw.add(wall.get(base + 1).get(i) / wall.get(base).get(i)); }
            System.out.printf("%s cached/alone per block: cpu median %.3f (p25 %.3f, p75 %.3f), wall median %.3f%n", base == 0 ? "old" : "new", q(rc, .5), q(rc, .25), q(rc, .75), q(rw, .5));
        }
        int steps = (blocks - 1) * per;
        for (int v = 0; v < 4; v++) { StringBuilder sb = new StringBuilder(String.format("%-11s cpu us/step by phase:", names[v])); for (int p2 = 0; p2 < PH.length; p2++) sb.append(String.format(" %s %.0f", PH[p2], phase[v][p2] / 1e3 / steps)); System.out.println(sb); }
        System.out.println("load " + Files.readString(Path.of("/proc/loadavg")).trim());
    }
    static double q(List<Double> x, double f) { List<Double> s = new ArrayList<>(x); Collections.sort(s); return s.get((int) Math.min(s.size() - 1, Math.round(f * (s.size() - 1)))); }
}
