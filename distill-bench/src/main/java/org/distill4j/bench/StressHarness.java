package org.distill4j.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.io.Hashing;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateApproval;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.EpochRecord;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;
import org.distill4j.train.TrainingListener;

/**
 * A reproducibility stress harness: repeats short trainings many times in child JVMs, per setting
 * (PyTorch intra-op threads, garbage collector and heap, distillation mode, GC pressure), and
 * checks that every run at one thread count ends bit for bit the same: the same per-epoch losses
 * and accuracies (their raw float bits) and the same trained parameters (the SHA-256 of the saved
 * parameter file).
 *
 * <p>Why child JVMs: PyTorch's thread count is fixed per process, and the collector and heap size
 * are JVM flags. Each child runs {@code runs} trainings in a row in one process, so buffers of
 * earlier runs are being collected while later ones train. One run trains a teacher (MLP [64],
 * dropout 0.1, 3 epochs) on 384 synthetic rows and then, by mode, a student alone, or a student
 * distilled (T = 4, alpha = 0.7) from the teacher's cached outputs or from a teacher forward per
 * batch; about a second per run on an idle core. Mode {@code cnn} instead trains a CNN ([16, 32],
 * batch norm, dropout 0.1) alone on synthetic images, for the convolution kernels.
 *
 * <p>GC pressure: {@link GcPressure#STEPS} calls {@code System.gc()} after every optimiser step;
 * {@link GcPressure#HAMMER} also runs a thread that forces a collection every 30 ms or so and
 * fills many small direct buffers with garbage, so native memory freed by a collection is reused
 * at once, which turns a use-after-free into wrong numbers instead of a silent success.
 *
 * <p>It also probes the engine hazard the harness was built to find ({@link #scalarProbe}): DJL's
 * {@code NDArray.mul(Number)} keeps the scalar in a Java direct buffer that autograd still needs
 * after DJL has released it (see {@code docs/engine.md}).
 */
public final class StressHarness {

    /** Prefix of a child's result lines on stdout. */
    static final String RUN_LINE = "distill-stress-run ";

    static final String ERROR_LINE = "distill-stress-error ";

    /** What each run trains after the teacher. */
    public enum Mode {
        /** The student alone, from hard labels. */
        SCRATCH,
        /** The student distilled from the teacher's outputs, computed once per run. */
        CACHED,
        /** The student distilled from a teacher forward pass per batch. */
        ONLINE,
        /**
         * No teacher: a CNN (channels [16, 32], the recipes' kind) trained alone on synthetic 1 x 8 x
         * 8 images, for the convolution kernels (docs/engine.md).
         */
        CNN;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The child JVM's collector and limits. */
    public enum Collector {
        /** {@code -XX:+UseSerialGC} with a 64 MB heap and 48 MB of direct memory: frequent collections. */
        SERIAL_SMALL_HEAP(List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:MaxDirectMemorySize=48m")),
        /** The JVM's default collector and limits. */
        DEFAULT(List.of());

        private final List<String> flags;

        Collector(List<String> flags) {
            this.flags = flags;
        }

        /** Returns the JVM flags. */
        public List<String> flags() {
            return flags;
        }

        String id() {
            return this == DEFAULT ? "default" : "serial-64m";
        }
    }

    /** Extra garbage collections during training. */
    public enum GcPressure {
        /** None beyond the JVM's own. */
        NONE,
        /** {@code System.gc()} after every optimiser step. */
        STEPS,
        /** {@link #STEPS} plus a thread forcing collections and reusing freed native memory. */
        HAMMER;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One child JVM's setting.
     *
     * @param threads PyTorch intra-op threads, at least 1 (inter-op threads are 1)
     * @param collector collector and limits
     * @param mode what each run trains
     * @param gc extra collections
     */
    public record Setting(int threads, Collector collector, Mode mode, GcPressure gc) {
        /** Validates. */
        public Setting {
            if (threads < 1) {
                throw new IllegalArgumentException("illegal threads value: " + threads + ", must be >= 1");
            }
            Objects.requireNonNull(collector, "collector");
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(gc, "gc");
        }

        /** A short label such as {@code 2t/serial-64m/cached/hammer}. */
        public String id() {
            return threads + "t/" + collector.id() + "/" + mode.id() + "/" + gc.id();
        }
    }

    /**
     * What one child produced.
     *
     * @param setting its setting
     * @param digests one digest per completed run, in run order
     * @param errors runs (or the child itself) that failed, with the reason
     * @param seconds wall time of the child
     * @param summary the first run's final student validation accuracy and train loss, for the report
     */
    public record Outcome(Setting setting, List<String> digests, List<String> errors, double seconds, String summary) {
        /** Defensive copies. */
        public Outcome {
            digests = List.copyOf(digests);
            errors = List.copyOf(errors);
        }

        /** Returns the number of different digests among the runs. */
        public int distinct() {
            return new LinkedHashSet<>(digests).size();
        }
    }

    /**
     * The harness's result.
     *
     * @param outcomes one per setting
     * @param groups for each (threads, mode), the number of different digests over all its settings' runs
     * @param probeWrong runs of the engine probe whose gradient came out wrong
     * @param probeRuns runs of the engine probe
     */
    public record Report(List<Outcome> outcomes, Map<String, Integer> groups, int probeWrong, int probeRuns) {
        /** Defensive copies. */
        public Report {
            outcomes = List.copyOf(outcomes);
            groups = Map.copyOf(groups);
        }

        /** Whether every run completed and every (threads, mode) group agreed bit for bit. */
        public boolean reproducible() {
            return outcomes.stream()
                            .allMatch(o -> o.errors().isEmpty() && !o.digests().isEmpty())
                    && groups.values().stream().allMatch(d -> d == 1);
        }

        /** A Markdown table of the outcomes and the groups. */
        public String markdown() {
            StringBuilder sb = new StringBuilder();
            sb.append("| setting | runs | failed | distinct results | first digest | seconds "
                    + "| first run: val acc / train loss |\n");
            sb.append("| --- | ---: | ---: | ---: | --- | ---: | --- |\n");
            for (Outcome o : outcomes) {
                sb.append(String.format(
                        Locale.ROOT,
                        "| %s | %d | %d | %d | `%s` | %.0f | %s |%n",
                        o.setting().id(),
                        o.digests().size(),
                        o.errors().size(),
                        o.distinct(),
                        o.digests().isEmpty() ? "-" : o.digests().get(0),
                        o.seconds(),
                        o.summary()));
            }
            sb.append("\n| threads / mode (all collectors and GC pressures) | distinct results |\n| --- | ---: |\n");
            groups.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> sb.append("| ")
                            .append(e.getKey())
                            .append(" | ")
                            .append(e.getValue())
                            .append(" |\n"));
            if (probeRuns > 0) {
                sb.append(String.format(
                        Locale.ROOT,
                        "%nEngine probe (DJL `x.mul(3f)`, GC between forward and "
                                + "backward): %d of %d gradients wrong.%n",
                        probeWrong,
                        probeRuns));
            }
            for (Outcome o : outcomes) {
                for (String e : o.errors()) {
                    sb.append("\n- ").append(o.setting().id()).append(": ").append(e);
                }
            }
            return sb.toString();
        }
    }

    private final Path java;
    private final String classPath;
    private final Duration timeout;

    private record Duration(long seconds) {}

    /**
     * Creates a harness that starts children with the current JVM's {@code java} and class path.
     *
     * @param childTimeoutSeconds longest a child may run before it is killed and reported as failed
     */
    public StressHarness(long childTimeoutSeconds) {
        this(
                Path.of(System.getProperty("java.home"), "bin", "java"),
                System.getProperty("java.class.path"),
                childTimeoutSeconds);
    }

    StressHarness(Path java, String classPath, long childTimeoutSeconds) {
        this.java = java;
        this.classPath = classPath;
        this.timeout = new Duration(childTimeoutSeconds);
    }

    /** Every combination of the given values. */
    public static List<Setting> matrix(
            List<Integer> threads, List<Collector> collectors, List<Mode> modes, List<GcPressure> gc) {
        List<Setting> out = new ArrayList<>();
        for (int t : threads) {
            for (Mode m : modes) {
                for (Collector c : collectors) {
                    for (GcPressure g : gc) {
                        out.add(new Setting(t, c, m, g));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Runs every setting in its own child JVM, one child at a time, then the engine probe in this JVM.
     *
     * @param settings the settings
     * @param runs trainings per setting, at least 1
     * @param probeRuns runs of {@link #scalarProbe}, 0 to skip it
     * @param progress told a line per finished child
     */
    public Report run(List<Setting> settings, int runs, int probeRuns, Consumer<String> progress)
            throws IOException, InterruptedException {
        if (runs < 1) {
            throw new IllegalArgumentException("illegal runs value: " + runs + ", must be >= 1");
        }
        List<Outcome> outcomes = new ArrayList<>();
        Map<String, Set<String>> groups = new LinkedHashMap<>();
        for (Setting s : settings) {
            Outcome o = runChild(s, runs);
            outcomes.add(o);
            groups.computeIfAbsent(s.threads() + " threads / " + s.mode().id(), k -> new LinkedHashSet<>())
                    .addAll(o.digests());
            progress.accept(String.format(
                    Locale.ROOT,
                    "%s: %d runs, %d failed, %d distinct (first %s), %.0f s",
                    s.id(),
                    o.digests().size(),
                    o.errors().size(),
                    o.distinct(),
                    o.digests().isEmpty() ? "-" : o.digests().get(0),
                    o.seconds()));
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        groups.forEach((k, v) -> counts.put(k, v.size()));
        int wrong = probeRuns > 0 ? scalarProbe(probeRuns) : 0;
        return new Report(outcomes, counts, wrong, probeRuns);
    }

    private Outcome runChild(Setting s, int runs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(s.collector().flags());
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dai.djl.pytorch.num_threads=" + s.threads());
        cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(StressHarness.class.getName());
        cmd.add(s.mode().name());
        cmd.add(Integer.toString(runs));
        cmd.add(s.gc().name());
        Path log = Files.createTempFile("distill-stress-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("DJL_OFFLINE", "true");
        // Idle OpenMP workers sleep instead of spinning: on a shared machine spinning threads slow a
        // two-thread run down several-fold (docs/engine.md); results are the same either way.
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        long start = System.nanoTime();
        Process p = pb.start();
        List<String> digests = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        String summary = "-";
        Thread killer = new Thread(
                () -> {
                    try {
                        if (!p.waitFor(timeout.seconds(), TimeUnit.SECONDS)) {
                            p.destroyForcibly();
                        }
                    } catch (InterruptedException e) {
                        p.destroyForcibly();
                    }
                },
                "distill-stress-timeout");
        killer.setDaemon(true);
        killer.start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(RUN_LINE)) {
                    String[] f = line.substring(RUN_LINE.length()).split(" ", 3);
                    digests.add(f[1]);
                    if (digests.size() == 1 && f.length > 2) {
                        summary = f[2];
                    }
                } else if (line.startsWith(ERROR_LINE)) {
                    errors.add(line.substring(ERROR_LINE.length()));
                }
            }
        }
        int rc = p.waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (rc != 0) {
            List<String> tail = Files.readAllLines(log, StandardCharsets.UTF_8);
            errors.add("child exited with " + rc + (seconds >= timeout.seconds() ? " (killed after the timeout)" : "")
                    + "; last stderr line: " + (tail.isEmpty() ? "-" : tail.get(tail.size() - 1)));
        }
        Files.deleteIfExists(log);
        return new Outcome(s, digests, errors, seconds, summary);
    }

    /**
     * The child: {@code MODE RUNS GC}. Prints one {@value #RUN_LINE} line per run with its digest.
     */
    public static void main(String[] args) throws Exception {
        Mode mode = Mode.valueOf(args[0]);
        int runs = Integer.parseInt(args[1]);
        GcPressure gc = GcPressure.valueOf(args[2]);
        Hammer hammer = gc == GcPressure.HAMMER ? Hammer.start() : null;
        try {
            for (int i = 1; i <= runs; i++) {
                Path tmp = Files.createTempDirectory("distill-stress-");
                try {
                    RunResult r = runOnce(mode, gc != GcPressure.NONE, tmp);
                    System.out.println(RUN_LINE + i + " " + r.digest() + " " + r.summary());
                } catch (Exception | Error e) {
                    System.out.println(
                            ERROR_LINE + "run " + i + ": " + e.toString().replace('\n', ' '));
                } finally {
                    deleteTree(tmp);
                }
                System.out.flush();
            }
        } finally {
            if (hammer != null) {
                hammer.stop();
            }
        }
        System.exit(0);
    }

    /** A run's digest and a human summary. */
    record RunResult(String digest, String summary) {
        /** The digest of {@code bits}; the summary of the last epoch of {@code history}. */
        static RunResult of(StringBuilder bits, List<EpochRecord> history) {
            EpochRecord last = history.get(history.size() - 1);
            return new RunResult(
                    Hashing.sha256(bits.toString()).substring(0, 16),
                    String.format(Locale.ROOT, "%.4f / %.6f", last.valAccuracy(), last.trainLoss()));
        }
    }

    /**
     * One run: trains the teacher, then the student of {@code mode}; returns the digest of every
     * epoch record's raw bits and both models' saved parameters.
     */
    static RunResult runOnce(Mode mode, boolean gcAfterSteps, Path tmp) throws Exception {
        TrainingListener listener = gcAfterSteps
                ? new TrainingListener() {
                    @Override
                    public void onBatch(int rowsDone, double meanLoss) {
                        System.gc();
                    }
                }
                : TrainingListener.NONE;
        if (mode == Mode.CNN) {
            return cnnOnce(listener, tmp);
        }
        ExampleSet train = blobs("stress-train", 384, 11);
        ExampleSet validation = blobs("stress-validation", 128, 12);
        StringBuilder bits = new StringBuilder();
        Path teacherDir = tmp.resolve("teacher");
        try (SavedModel teacher =
                SavedModel.create(new MlpSpec(List.of(64), null, 0.1), train.featureShape(), train.classNames())) {
            List<EpochRecord> h = ClassifierTrainer.builder(config())
                    .optSeed(5)
                    .optListener(listener)
                    .build()
                    .fit(teacher, train, validation)
                    .history();
            append(bits, h);
            teacher.save(teacherDir);
        }
        bits.append(SavedModel.contentHash(teacherDir));
        Path studentDir = tmp.resolve("student");
        List<EpochRecord> h;
        try (SavedModel student =
                        SavedModel.create(new MlpSpec(List.of(16), null, 0), train.featureShape(), train.classNames());
                SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir);
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            ClassifierTrainer.Builder b =
                    ClassifierTrainer.builder(config()).optSeed(6).optListener(listener);
            KdParameters kd = new KdParameters(4, 0.7);
            if (mode == Mode.CACHED) {
                b.optDistillation(
                        kd,
                        SoftTargets.cached(TeacherOutputCache.compute(teacher, train, manager, 64, done -> {})),
                        approval(teacher.identity()));
            } else if (mode == Mode.ONLINE) {
                b.optDistillation(kd, SoftTargets.online(teacher), approval(teacher.identity()));
            }
            h = b.build().fit(student, train, validation).history();
            append(bits, h);
            student.save(studentDir);
        }
        bits.append(SavedModel.contentHash(studentDir));
        return RunResult.of(bits, h);
    }

    /** A {@link Mode#CNN} run: the CNN trained alone; digest of its epochs and saved parameters. */
    private static RunResult cnnOnce(TrainingListener listener, Path tmp) throws Exception {
        ExampleSet train = images("stress-images-train", 384, 21);
        ExampleSet validation = images("stress-images-validation", 128, 22);
        StringBuilder bits = new StringBuilder();
        Path dir = tmp.resolve("cnn");
        List<EpochRecord> h;
        try (SavedModel cnn = SavedModel.create(
                new CnnSpec(List.of(16, 32), 3, 2, List.of(16), null, 0.1, true),
                train.featureShape(),
                train.classNames())) {
            h = ClassifierTrainer.builder(config())
                    .optSeed(7)
                    .optListener(listener)
                    .build()
                    .fit(cnn, train, validation)
                    .history();
            append(bits, h);
            cnn.save(dir);
        }
        bits.append(SavedModel.contentHash(dir));
        return RunResult.of(bits, h);
    }

    /**
     * Synthetic 1 x 8 x 8 images of 3 classes (a bright top half, a bright bottom half, a bright
     * left half) under Gaussian noise of 0.3.
     */
    static InMemoryExampleSet images(String name, int rows, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[rows * 64];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = i % 3;
            for (int p = 0; p < 64; p++) {
                boolean bright = y[i] == 0 ? p < 32 : y[i] == 1 ? p >= 32 : p % 8 < 4;
                x[i * 64 + p] = (bright ? 0.8f : 0.2f) + 0.3f * (float) rng.nextGaussian();
            }
        }
        return new InMemoryExampleSet(name, new long[] {1, 8, 8}, x, y, List.of("top", "bottom", "left"));
    }

    private static GateApproval approval(org.distill4j.teacher.TeacherIdentity teacher) throws Exception {
        return new DistillationGate()
                .approve(GateRequest.forTeacher(TermsRegistry.builtIn().get("mit"), "stress-student")
                        .withTeacher(teacher));
    }

    private static TrainingConfig config() {
        return TrainingConfig.builder()
                .setEpochs(3)
                .optBatchSize(32)
                .optLearningRate(0.005)
                .build();
    }

    private static void append(StringBuilder sb, List<EpochRecord> history) {
        for (EpochRecord r : history) {
            for (double v : new double[] {
                r.trainLoss(), r.trainSoftLoss(), r.trainHardLoss(), r.trainAccuracy(), r.valLoss(), r.valAccuracy()
            }) {
                sb.append(Long.toHexString(Double.doubleToRawLongBits(v))).append(',');
            }
        }
    }

    /** Gaussian blobs: 24 dimensions, 5 classes that overlap a little; fixed centres, rows by seed. */
    static InMemoryExampleSet blobs(String name, int rows, long seed) {
        int dims = 24;
        int classes = 5;
        Random centres = new Random(1234);
        float[][] c = new float[classes][dims];
        for (float[] row : c) {
            for (int d = 0; d < dims; d++) {
                row[d] = (float) centres.nextGaussian();
            }
        }
        Random rng = new Random(seed);
        float[] x = new float[rows * dims];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = rng.nextInt(classes);
            for (int d = 0; d < dims; d++) {
                x[i * dims + d] = c[y[i]][d] + (float) (1.2 * rng.nextGaussian());
            }
        }
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            names.add("c" + k);
        }
        return new InMemoryExampleSet(name, new long[] {dims}, x, y, names);
    }

    /**
     * The engine hazard, isolated: {@code y = sum(x * 3)} with DJL's {@code mul(Number)}, a
     * collection and reuse of freed small native blocks (filled with 1000) between the forward and
     * the backward pass; returns how many of {@code runs} gradients were not exactly 3.
     */
    public static int scalarProbe(int runs) throws InterruptedException {
        int wrong = 0;
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (int r = 0; r < runs; r++) {
                try (NDManager b = m.newSubManager()) {
                    NDArray x = b.create(new float[] {1, 2, 3, 4});
                    x.setRequiresGradient(true);
                    try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                        NDArray y = x.mul(3f).sum();
                        List<ByteBuffer> reuse = refill(true);
                        gc.backward(y);
                        wrong += x.getGradient().toFloatArray()[0] == 3f ? 0 : 1;
                        reuse.clear();
                    }
                }
            }
        }
        return wrong;
    }

    /** Forces a collection (when asked) and fills 2,000 small direct buffers with 1000f. */
    private static List<ByteBuffer> refill(boolean collect) throws InterruptedException {
        if (collect) {
            System.gc();
            Thread.sleep(20); // the reference handler frees the collected buffers meanwhile
        }
        List<ByteBuffer> keep = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer bb = ByteBuffer.allocateDirect(4 + (i % 4) * 4).order(ByteOrder.nativeOrder());
            while (bb.remaining() >= 4) {
                bb.putFloat(1000f);
            }
            keep.add(bb);
        }
        return keep;
    }

    /** The {@link GcPressure#HAMMER} thread. */
    private static final class Hammer {
        private final Thread thread;
        private volatile boolean running = true;

        private Hammer() {
            thread = new Thread(this::loop, "distill-stress-gc-hammer");
            thread.setDaemon(true);
        }

        static Hammer start() {
            Hammer h = new Hammer();
            h.thread.start();
            return h;
        }

        private void loop() {
            try {
                while (running) {
                    List<ByteBuffer> keep = refill(true);
                    Thread.sleep(10);
                    keep.clear();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(5_000);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
