package org.distill4j.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.eval.ServingCost;
import org.distill4j.experiment.Experiment;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.experiment.ExperimentListener;
import org.distill4j.io.AtomicFiles;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.terms.GateApproval;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.EpochRecord;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;
import org.distill4j.train.TrainingListener;

/**
 * What distillation costs, every figure from one run on one machine: epoch time of the student
 * trained alone, distilled from cached teacher outputs and distilled online (a teacher forward
 * per batch); the cost of cached distillation per step, alone and cached trained side by side in
 * alternating blocks ({@link InterleavedSteps}); training throughput and achieved GFLOP/s of the MLP (counted analytically) next to
 * the GFLOP/s of a large float32 matrix product; serving latency (p50/p99 of one row) and
 * throughput of teacher and student ({@link ServingCost}); resident memory per epoch ({@code
 * VmRSS}, {@code VmHWM}); and the same MLP training step in PyTorch (a Python subprocess), as a
 * ratio.
 *
 * <p>It first waits (up to a limit) for the machine to be quiet, by the 1-minute load average,
 * and records the load it ran under, and trains the student alone and distilled from cached outputs
 * for one untimed epoch on a slice, so that no timed mode pays for the JIT's warm-up. The teacher
 * is a saved model (normally the accuracy
 * benchmark's); without one, a stand-in of the recipe's teacher architecture is trained for one
 * epoch on a small slice, as only its cost, not its accuracy, matters here.
 */
public final class SpeedBenchmark {

    /** File name of the raw results. */
    public static final String JSON = "bench-speed.json";

    /** Rows of the untimed warm-up training before the first round. */
    static final int WARM_UP_ROWS = 4096;

    /** Batches per block of the interleaved per-step comparison. */
    static final int INTERLEAVED_BLOCK_BATCHES = 20;

    /** Leading (alone, cached) block pairs of each interleaved round left out (JIT, caches). */
    static final int INTERLEAVED_WARM_UP_BLOCKS = 2;

    /** K of the cached-views mode (FKD): the teacher's passes over the data, once. */
    static final int VIEWS = 4;

    /** The views' augmentation: 2-pixel shifts and horizontal flips. */
    static final org.distill4j.train.Augmentation VIEW_AUGMENTATION = new org.distill4j.train.Augmentation(2, true);

    private final Settings settings;
    private final ExperimentListener listener;

    /**
     * What to run.
     *
     * @param recipe data, teacher architecture, student model (an MLP) and its training configuration
     * @param out working directory (raw JSON, stand-in teacher)
     * @param docs directory of {@code benchmarks.md} and a copy of the JSON
     * @param teacherDir a saved teacher, or null (or missing) for a stand-in
     * @param epochs epochs timed for the student alone and distilled from cached outputs
     * @param onlineEpochs epochs timed for online distillation
     * @param matmulSize side of the square float32 matrices of the reference product
     * @param python the Python with PyTorch, or null to skip the reference
     * @param torchScript the reference script ({@code bench/torch_mlp_step.py})
     * @param maxLoad wait while the 1-minute load average is above this
     * @param maxWaitSeconds give up waiting after this many seconds (and run anyway, saying so)
     * @param command the command line to print in the docs
     * @param rounds rounds of (alone, cached, online), interleaved so that a change of machine load
     *     hits every mode alike; figures are medians over rounds with their range; at least 1
     * @param rssEpochs epochs of the student alone whose resident memory is recorded after each, 0 to skip
     */
    public record Settings(
            Recipe recipe,
            Path out,
            Path docs,
            Path teacherDir,
            int epochs,
            int onlineEpochs,
            int matmulSize,
            Path python,
            Path torchScript,
            double maxLoad,
            int maxWaitSeconds,
            String command,
            int rounds,
            int rssEpochs) {
        /** Validates. */
        public Settings {
            Objects.requireNonNull(recipe, "recipe");
            Objects.requireNonNull(out, "out");
            Objects.requireNonNull(docs, "docs");
            if (!(recipe.student().model() instanceof MlpSpec)) {
                throw new IllegalArgumentException("the speed benchmark counts the FLOPs of an MLP student; the "
                        + "recipe's student is " + recipe.student().model().describe());
            }
            if (epochs < 1 || onlineEpochs < 1 || matmulSize < 1 || rounds < 1 || rssEpochs < 0) {
                throw new IllegalArgumentException(
                        "epochs, onlineEpochs, matmulSize and rounds must be >= 1, " + "rssEpochs >= 0");
            }
        }
    }

    /**
     * Creates the benchmark.
     *
     * @param settings what to run
     * @param listener progress lines
     */
    public SpeedBenchmark(Settings settings, ExperimentListener listener) {
        this.settings = settings;
        this.listener = listener;
    }

    /** Runs every measurement and writes {@code OUT/bench-speed.json} and the docs section. */
    public SpeedReport run() throws IOException, InterruptedException, DistillationRefusedException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("load", waitForQuiet());
        Recipe recipe = settings.recipe();
        // Distilled students are trained here too: the teacher's terms are checked as everywhere.
        Experiment experiment = new Experiment(
                recipe, settings.out(), new Experiment.Options(Experiment.Options.defaultCacheDir(), false), listener);
        experiment.checkTerms();
        ExperimentData data = ExperimentData.load(recipe);
        ExampleSet train = data.train();
        MlpSpec spec = (MlpSpec) recipe.student().model();
        TrainingConfig config = recipe.student().training().withEpochs(settings.epochs());
        String threads = System.getProperty("ai.djl.pytorch.num_threads", "default");
        r.put("threads", threads);
        r.put(
                "jvm_flags",
                String.join(
                        " ",
                        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                                .filter(a -> a.startsWith("-X"))
                                .toList()));
        r.put("student", spec.describe());
        r.put("batch_size", config.batchSize());
        r.put("rows", train.size());
        long flopsPerSample = 3 * forwardFlops(spec, train.featureSize(), train.numClasses());
        r.put("training_flops_per_sample", flopsPerSample);
        List<Map<String, Object>> rss = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir(data))) {
            GateApproval approval = experiment.approveDistillation(teacher.identity());
            r.put("teacher", teacher.model().spec().describe());
            r.put("teacher_params", teacher.model().parameterCount());
            r.put(
                    "teacher_is_stand_in",
                    settings.teacherDir() == null
                            || !Files.isRegularFile(settings.teacherDir().resolve(SavedModel.PARAMS)));
            long t0 = System.nanoTime();
            TeacherOutputs outputs = TeacherOutputCache.compute(teacher, train, manager, 512, done -> {});
            r.put("teacher_outputs_seconds", (System.nanoTime() - t0) / 1e9);
            KdParameters kd = recipe.distillation().parameters();
            Map<String, Object> modes = new LinkedHashMap<>();
            Map<String, List<Map<String, Object>>> byRound = new LinkedHashMap<>();
            try (SavedModel student = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                // Untrained, it serves only the latency measurement below: initialise its parameters.
                student.model()
                        .getBlock()
                        .initialize(
                                student.model().getNDManager(),
                                ai.djl.ndarray.types.DataType.FLOAT32,
                                student.inputShape(1));
                r.put("student_params", student.parameterCount());
                // Untimed warm-up: the first training in a process runs the trainer's Java code
                // before the JIT has compiled it, which would slow whichever mode comes first in
                // round 1 (the student alone) and flatter the others.
                int warmRows = Math.min(WARM_UP_ROWS, train.size());
                listener.info("warm-up: one untimed epoch alone and cached on " + warmRows + " rows");
                ExampleSet warm = ExampleSets.slice(train, 0, warmRows);
                TeacherOutputs warmOutputs = new TeacherOutputs(
                        outputs.teacherKey(),
                        warm.contentHash(),
                        warmRows,
                        outputs.classes(),
                        java.util.Arrays.copyOf(outputs.logits(), warmRows * outputs.classes()));
                for (SoftTargets warmTargets : new SoftTargets[] {null, SoftTargets.cached(warmOutputs)}) {
                    try (SavedModel m = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                        ClassifierTrainer.Builder b = ClassifierTrainer.builder(config.withEpochs(1));
                        if (warmTargets != null) {
                            b.optDistillation(kd, warmTargets, approval);
                        }
                        b.build().fit(m, warm, null);
                    }
                }
                r.put("warm_up_rows", warmRows);
                // Rounds interleave the modes, so that a change of load on a shared machine hits
                // each alike; every round trains fresh students.
                for (int round = 1; round <= settings.rounds(); round++) {
                    listener.info("round " + round + " of " + settings.rounds());
                    // Alone and cached swap places every round: the first training after the
                    // previous round's other modes (or the teacher's pass) pays transitional costs
                    // (allocator, caches), which must not fall on one mode only.
                    boolean aloneFirst = round % 2 == 1;
                    for (String mode :
                            aloneFirst ? new String[] {"alone", "cached"} : new String[] {"cached", "alone"}) {
                        boolean distil = mode.equals("cached");
                        try (SavedModel m = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                            byRound.computeIfAbsent(mode, k -> new ArrayList<>())
                                    .add(train(
                                            mode,
                                            m,
                                            config,
                                            distil ? kd : null,
                                            distil ? SoftTargets.cached(outputs) : null,
                                            distil ? approval : null,
                                            train,
                                            rss));
                        }
                    }
                    try (SavedModel online = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                        byRound.computeIfAbsent("online", k -> new ArrayList<>())
                                .add(train(
                                        "online",
                                        online,
                                        config.withEpochs(settings.onlineEpochs()),
                                        kd,
                                        SoftTargets.online(teacher),
                                        approval,
                                        train,
                                        rss));
                    }
                    // Consistent distillation at K teacher passes: the teacher's outputs on VIEWS
                    // shifted and flipped views of every row, computed once, then one view per epoch.
                    TrainingConfig viewed = config.toBuilder()
                            .optAugmentation(VIEW_AUGMENTATION)
                            .build();
                    long v0 = System.nanoTime();
                    SoftTargets.Views views =
                            SoftTargets.views(teacher, train, VIEW_AUGMENTATION, VIEWS, recipe.seed(), manager, 512);
                    double setup = (System.nanoTime() - v0) / 1e9;
                    try (SavedModel student4 = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                        Map<String, Object> m = train("views", student4, viewed, kd, views, approval, train, rss);
                        m.put("views", VIEWS);
                        m.put("views_setup_seconds", setup);
                        byRound.computeIfAbsent("views", k -> new ArrayList<>()).add(m);
                    }
                }
                byRound.forEach((mode, rounds) -> modes.put(mode, overRounds(rounds)));
                // Epoch medians cannot resolve a few percent on a shared machine: the same two
                // trainings side by side, in alternating blocks of batches (InterleavedSteps).
                List<Map<String, Object>> interleaved = new ArrayList<>();
                for (int round = 1; round <= settings.rounds(); round++) {
                    listener.info("interleaved steps, alone and cached: round " + round + " of " + settings.rounds());
                    interleaved.add(InterleavedSteps.round(
                            () -> SavedModel.create(spec, train.featureShape(), train.classNames()),
                            config,
                            kd,
                            SoftTargets.cached(outputs),
                            approval,
                            train,
                            INTERLEAVED_BLOCK_BATCHES,
                            INTERLEAVED_WARM_UP_BLOCKS,
                            true));
                }
                r.put("interleaved", InterleavedSteps.summary(interleaved));
                r.put("training", modes);
                r.put("rss_per_epoch", rss);
                if (settings.rssEpochs() > 0) {
                    List<Map<String, Object>> flat = new ArrayList<>();
                    try (SavedModel m = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                        train("rss", m, config.withEpochs(settings.rssEpochs()), null, null, null, train, flat);
                    }
                    r.put("rss_flat", flat);
                    // The same after a full collection at every epoch's end: what stays is what is
                    // retained; the growth above is garbage the young generation has not yet recycled.
                    List<Map<String, Object>> afterGc = new ArrayList<>();
                    try (SavedModel m = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                        train("rss-gc", m, config.withEpochs(settings.rssEpochs()), null, null, null, train, afterGc);
                    }
                    r.put("rss_flat_gc", afterGc);
                }
                listener.info("teacher training step (" + teacher.model().spec().describe() + ")");
                r.put("teacher_training", teacherTraining(recipe, train));
                listener.info("matmul " + settings.matmulSize() + "x" + settings.matmulSize());
                r.put("matmul", matmul(manager, settings.matmulSize()));
                // The physical anchor: the same product at 1 and 2 intra-op threads, in this run.
                Map<String, Object> byThreads = new LinkedHashMap<>();
                int before = JniUtils.getNumThreads();
                try {
                    for (int t : new int[] {1, 2}) {
                        JniUtils.setNumThreads(t);
                        byThreads.put(Integer.toString(t), matmul(manager, settings.matmulSize()));
                    }
                } finally {
                    JniUtils.setNumThreads(before);
                }
                r.put("matmul_by_threads", byThreads);
                listener.info("serving cost: teacher and student");
                ExampleSet test = data.test();
                int runs = recipe.evaluation().latencyRuns();
                int batch = recipe.evaluation().throughputBatch();
                Map<String, Object> serving = new LinkedHashMap<>();
                serving.put("teacher", ServingCost.measure(teacher::logits, test, manager, runs, batch));
                serving.put("student", ServingCost.measure(student::logits, test, manager, runs, batch));
                r.put("serving", serving);
            }
        }
        r.put("rss_kb_end", Machine.selfStatusKb("VmRSS"));
        r.put("hwm_kb_end", Machine.selfStatusKb("VmHWM"));
        r.put("pytorch_reference", pytorch(spec, train.size(), config.batchSize(), threads));
        r.put("load_at_end", Machine.loadAverageLine());
        r.put("command", settings.command());
        SpeedReport report = new SpeedReport(r, Machine.describe());
        report.write(settings.out(), settings.docs());
        return report;
    }

    /**
     * Median of the rounds' median epoch times, with their range, plus the first round's epochs.
     */
    private static Map<String, Object> overRounds(List<Map<String, Object>> rounds) {
        List<Double> medians = new ArrayList<>();
        List<Double> all = new ArrayList<>();
        for (Map<String, Object> m : rounds) {
            medians.add((Double) m.get("median_epoch_seconds"));
            @SuppressWarnings("unchecked")
            List<Double> secs = (List<Double>) m.get("epoch_seconds");
            all.addAll(secs);
        }
        Map<String, Object> out = new LinkedHashMap<>(rounds.get(0));
        double median = median(medians);
        out.put("epoch_seconds", all);
        out.put("round_medians", medians);
        out.put("median_epoch_seconds", median);
        out.put(
                "round_min",
                medians.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN));
        out.put(
                "round_max",
                medians.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
        out.put(
                "min_epoch_seconds",
                all.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN));
        out.put(
                "samples_per_s",
                ((Number) rounds.get(0).get("samples_per_s")).doubleValue()
                        * ((Double) rounds.get(0).get("median_epoch_seconds"))
                        / median);
        return out;
    }

    /**
     * Trains a fresh copy of the recipe's teacher architecture for one epoch on up to 2,048 rows
     * and returns its throughput and, for a CNN or MLP, the achieved GFLOP/s (counted analytically,
     * forward x3 for forward + backward).
     */
    private Map<String, Object> teacherTraining(Recipe recipe, ExampleSet train) throws IOException {
        ExampleSet slice = ExampleSets.slice(train, 0, Math.min(2048, train.size()));
        TrainingConfig config = recipe.teacher().training().withEpochs(1);
        Map<String, Object> m = new LinkedHashMap<>();
        try (SavedModel model = SavedModel.create(recipe.teacher().model(), slice.featureShape(), slice.classNames())) {
            EpochRecord e = ClassifierTrainer.builder(config)
                    .build()
                    .fit(model, slice, null)
                    .history()
                    .get(0);
            long fwd = recipe.teacher().model() instanceof CnnSpec cnn
                    ? cnnForwardFlops(cnn, slice.featureShape(), slice.numClasses())
                    : recipe.teacher().model() instanceof MlpSpec mlp
                            ? forwardFlops(mlp, slice.featureSize(), slice.numClasses())
                            : -1;
            m.put("model", recipe.teacher().model().describe());
            m.put("rows", slice.size());
            m.put("batch_size", config.batchSize());
            m.put("seconds", e.seconds());
            m.put("samples_per_s", e.samplesPerSecond());
            m.put("forward_flops_per_sample", fwd);
            m.put("gflops", fwd < 0 ? Double.NaN : 3.0 * fwd * e.samplesPerSecond() / 1e9);
        }
        return m;
    }

    /**
     * Returns the multiply-adds times two of one forward pass of a CNN, per sample: each
     * same-padded convolution 2 k^2 C_in C_out H W, then the dense head as in an MLP (pooling,
     * activations and batch norm are not counted).
     */
    public static long cnnForwardFlops(CnnSpec spec, long[] featureShape, long classes) {
        long c = featureShape[0];
        long h = featureShape[1];
        long w = featureShape[2];
        long k = spec.kernel();
        long flops = 0;
        for (int out : spec.channels()) {
            flops += 2 * k * k * c * out * h * w;
            c = out;
            if (spec.pool() > 1) {
                h /= spec.pool();
                w /= spec.pool();
            }
        }
        long in = c * h * w;
        for (int d : spec.dense()) {
            flops += 2 * in * d;
            in = d;
        }
        return flops + 2 * in * classes;
    }

    /** Returns the multiply-adds times two of one forward pass of an MLP, per sample. */
    public static long forwardFlops(MlpSpec spec, long inputs, long classes) {
        long flops = 0;
        long in = inputs;
        for (int h : spec.hidden()) {
            flops += 2 * in * h;
            in = h;
        }
        return flops + 2 * in * classes;
    }

    private Map<String, Object> waitForQuiet() throws InterruptedException {
        Map<String, Object> m = new LinkedHashMap<>();
        double first = Machine.loadAverage1();
        m.put("load1_at_start", first);
        long start = System.nanoTime();
        double load = first;
        while (load > settings.maxLoad() && (System.nanoTime() - start) / 1e9 + 60 <= settings.maxWaitSeconds()) {
            listener.info(String.format(
                    Locale.ROOT, "1-minute load %.2f > %.2f: waiting a minute", load, settings.maxLoad()));
            TimeUnit.SECONDS.sleep(60);
            load = Machine.loadAverage1();
        }
        m.put("waited_seconds", Math.round((System.nanoTime() - start) / 1e9));
        m.put("load1_when_started", load);
        m.put("quiet", load <= settings.maxLoad());
        m.put("max_load", settings.maxLoad());
        return m;
    }

    private Path teacherDir(ExperimentData data) throws IOException {
        Path dir = settings.teacherDir();
        if (dir != null && Files.isRegularFile(dir.resolve(SavedModel.PARAMS))) {
            return dir;
        }
        Path standIn = settings.out().resolve("teacher-stand-in");
        if (Files.isRegularFile(standIn.resolve(SavedModel.PARAMS))) {
            return standIn;
        }
        listener.info("no saved teacher" + (dir == null ? "" : " in " + dir) + ": training a stand-in of the "
                + "recipe's architecture for one epoch on 1,024 rows (its cost, not its accuracy, is measured)");
        ExampleSet slice =
                ExampleSets.slice(data.train(), 0, Math.min(1024, data.train().size()));
        TrainingConfig config = settings.recipe().teacher().training().withEpochs(1);
        try (SavedModel m =
                SavedModel.create(settings.recipe().teacher().model(), slice.featureShape(), slice.classNames())) {
            ClassifierTrainer.builder(config).build().fit(m, slice, null);
            m.save(standIn);
        }
        return standIn;
    }

    private Map<String, Object> train(
            String mode,
            SavedModel model,
            TrainingConfig config,
            KdParameters kd,
            SoftTargets targets,
            GateApproval approval,
            ExampleSet train,
            List<Map<String, Object>> rss)
            throws IOException {
        listener.info("training the student (" + mode + ") for " + config.epochs() + " epochs");
        ClassifierTrainer.Builder b = ClassifierTrainer.builder(config).optListener(new TrainingListener() {
            @Override
            public void onEpochEnd(EpochRecord record) {
                if (mode.equals("rss-gc")) {
                    System.gc();
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("mode", mode);
                m.put("epoch", record.epoch());
                m.put("vm_rss_kb", Machine.selfStatusKb("VmRSS"));
                m.put("vm_hwm_kb", Machine.selfStatusKb("VmHWM"));
                // What RSS is made of: the Java heap in use and Java's direct buffers (the native
                // copies of batches that only a collection frees, before the pinned buffers).
                Runtime rt = Runtime.getRuntime();
                m.put("heap_used_kb", (rt.totalMemory() - rt.freeMemory()) / 1024);
                m.put("heap_committed_kb", rt.totalMemory() / 1024);
                m.put(
                        "direct_buffers_kb",
                        java.lang.management.ManagementFactory.getPlatformMXBeans(
                                                java.lang.management.BufferPoolMXBean.class)
                                        .stream()
                                        .filter(b -> b.getName().equals("direct"))
                                        .mapToLong(java.lang.management.BufferPoolMXBean::getMemoryUsed)
                                        .sum()
                                / 1024);
                rss.add(m);
                listener.info(String.format(
                        Locale.ROOT,
                        "  %s epoch %d: %.2f s, %.0f samples/s, VmRSS %d kB, heap used "
                                + "%d kB, direct buffers %d kB",
                        mode,
                        record.epoch(),
                        record.seconds(),
                        record.samplesPerSecond(),
                        m.get("vm_rss_kb"),
                        m.get("heap_used_kb"),
                        m.get("direct_buffers_kb")));
            }
        });
        if (kd != null) {
            b.optDistillation(kd, targets, approval);
        }
        ClassifierTrainer.Result result = b.build().fit(model, train, null);
        List<Double> seconds =
                result.history().stream().map(EpochRecord::seconds).toList();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch_seconds", seconds);
        double median = median(seconds);
        m.put("median_epoch_seconds", median);
        m.put("samples_per_s", train.size() / median);
        // On a shared machine the fastest epoch is the least disturbed one.
        double min = seconds.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        m.put("min_epoch_seconds", min);
        return m;
    }

    private static Map<String, Object> matmul(NDManager manager, int n) {
        int reps = 5;
        double seconds;
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            for (int i = 0; i < 2; i++) {
                a.matMul(b).close();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                a.matMul(b).close();
            }
            seconds = (System.nanoTime() - t0) / 1e9;
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("n", n);
        r.put("reps", reps);
        r.put("seconds", seconds);
        r.put("gflops", 2.0 * n * n * n * reps / seconds / 1e9);
        return r;
    }

    private Map<String, Object> pytorch(MlpSpec spec, int rows, int batch, String threads) throws InterruptedException {
        Map<String, Object> m = new LinkedHashMap<>();
        if (settings.python() == null
                || !Files.isExecutable(settings.python())
                || settings.torchScript() == null
                || !Files.isRegularFile(settings.torchScript())) {
            m.put("skipped", "no " + settings.python() + " or no " + settings.torchScript());
            return m;
        }
        List<String> cmd = new ArrayList<>(List.of(
                settings.python().toString(),
                settings.torchScript().toString(),
                "--hidden",
                String.join(",", spec.hidden().stream().map(String::valueOf).toList()),
                "--rows",
                Integer.toString(rows),
                "--batch",
                Integer.toString(batch),
                "--epochs",
                Integer.toString(settings.epochs()),
                "--threads",
                threads.equals("default") ? "1" : threads,
                "--lr",
                Double.toString(settings.recipe().student().training().learningRate())));
        m.put("command", String.join(" ", cmd));
        listener.info("PyTorch reference: " + String.join(" ", cmd));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = p.waitFor();
            String last = text.strip().lines().reduce((x, y) -> y).orElse("");
            if (code != 0 || !last.startsWith("{")) {
                m.put("skipped", "exit " + code + ": " + text.strip());
                return m;
            }
            JsonNode json = AccuracyBenchmark.MAPPER.readTree(last);
            m.put("result", json);
        } catch (IOException e) {
            m.put("skipped", e.toString());
        }
        return m;
    }

    static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** Writes the atomic JSON (helper shared with {@link SpeedReport}). */
    static void writeJson(Path file, Object value) throws IOException {
        AtomicFiles.write(file, AccuracyBenchmark.MAPPER.writeValueAsBytes(value));
    }
}
