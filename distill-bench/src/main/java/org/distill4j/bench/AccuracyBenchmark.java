package org.distill4j.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.eval.Predictions;
import org.distill4j.experiment.Experiment;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.experiment.ExperimentListener;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.teacher.EnsembleTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.terms.GateApproval;
import org.distill4j.train.Augmentation;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;
import org.distill4j.train.TrainingDivergedException;

/**
 * Does distillation pay off? A seeded benchmark in the style of Table 1 of Hinton, Vinyals &amp;
 * Dean (2015), around one recipe whose student is an MLP:
 *
 * <ol>
 *   <li>the teacher is trained once into {@code OUT/teacher} by {@link Experiment#trainTeachers()}
 *       (an ensemble's other members into {@code OUT/teacher-2} and on; reused on reruns) and its outputs on the training rows are cached ({@link TeacherOutputCache});
 *   <li>a temperature sweep (at the recipe's alpha) and then an alpha sweep (at the best T) with
 *       one seed pick (T, alpha) by <b>validation</b> accuracy; the test rows never decide anything;
 *   <li>when the student trains with augmentation, the scratch twin's choice between the recipe's
 *       shifts and flips and none, also by validation accuracy (so that distillation is compared
 *       with the best scratch student, not a handicapped one);
 *   <li>the student from scratch and distilled at the chosen (T, alpha), with several seeds
 *       (mean and standard deviation of test errors and accuracy), and the fraction of the
 *       teacher-scratch error gap that distillation closes;
 *   <li>transfer-set rows: distilled on the training images without any label ({@code alpha = 1},
 *       {@link ExampleSets#withoutLabels}) and with one class left out of the transfer set
 *       ({@link ExampleSets#withoutClass}), both scored on the full test set;
 *   <li>a student-size sweep (MLP hidden widths, and small CNNs with {@code --cnn-students}), scratch and
 *       distilled.
 * </ol>
 *
 * <p>Every trained student is recorded under {@code OUT/students/} keyed by everything that
 * determines it (teacher, data, spec, training, (T, alpha), transfer set, seed), so an interrupted
 * benchmark continues where it stopped and identical configurations are trained once. Results:
 * {@code OUT/bench-accuracy.json} (and a copy in the docs directory), charts and a section of
 * {@code benchmarks.md} in the docs directory.
 */
public final class AccuracyBenchmark {

    /** File name of the raw results. */
    public static final String JSON = "bench-accuracy.json";
    /** File name of the accuracy-versus-temperature chart. */
    public static final String CHART_T = "bench-accuracy-vs-temperature.png";
    /** File name of the accuracy-versus-student-size chart. */
    public static final String CHART_SIZE = "bench-accuracy-vs-size.png";

    static final ObjectMapper MAPPER =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).findAndRegisterModules();

    private final Settings settings;
    private final ExperimentListener listener;

    /**
     * What to run.
     *
     * @param recipe the recipe: data, teacher, and the student's model (any architecture) and training
     * @param out working directory (teacher, students, raw JSON)
     * @param docs directory of {@code benchmarks.md}, its charts and a copy of the JSON
     * @param cacheDir teacher-output cache
     * @param seeds seeds of the scratch and distilled students (the first also runs the sweeps)
     * @param temperatures temperatures of the sweep
     * @param alphas alphas tried at the best temperature (the recipe's alpha is always tried)
     * @param widths hidden widths of the size sweep (one hidden layer each)
     * @param omittedClass the class left out of the transfer set of the omitted-class row
     * @param transferRows whether to run the two transfer-set rows (unlabelled, omitted class)
     * @param command the command line to print in the docs
     * @param sizeStudents further students of the size sweep beside the MLP widths, e.g. {@link
     *     #CNN_STUDENTS}; may be empty
     * @param acknowledgeUnknownTerms distil from a teacher whose recipe declares no terms, recorded as
     *     {@code distill run --acknowledge-unknown-terms} records it (a teacher trained here on data
     *     under many licences, such as the Debian descriptions)
     * @param redrawLabels under {@code data.labelled_share}, each student seed draws its own labelled
     *     rows (with seed recipe seed + student seed), so that the spread over seeds includes the
     *     draw; the sweeps keep the recipe's draw. Refused without a labelled share
     */
    public record Settings(
            Recipe recipe,
            Path out,
            Path docs,
            Path cacheDir,
            List<Long> seeds,
            List<Double> temperatures,
            List<Double> alphas,
            List<Integer> widths,
            int omittedClass,
            boolean transferRows,
            String command,
            List<ModelSpec> sizeStudents,
            boolean acknowledgeUnknownTerms,
            boolean redrawLabels) {
        /** Validates. */
        public Settings {
            Objects.requireNonNull(recipe, "recipe");
            Objects.requireNonNull(out, "out");
            Objects.requireNonNull(docs, "docs");
            Objects.requireNonNull(cacheDir, "cacheDir");
            if (seeds.isEmpty() || temperatures.isEmpty()) {
                throw new IllegalArgumentException("need at least one seed and one temperature");
            }
            seeds = List.copyOf(seeds);
            temperatures = List.copyOf(temperatures);
            alphas = List.copyOf(alphas);
            widths = List.copyOf(widths);
            sizeStudents = sizeStudents == null ? List.of() : List.copyOf(sizeStudents);
            if (redrawLabels && recipe.data().studentLabelShare() >= 1) {
                throw new IllegalArgumentException("--redraw-labels draws the labelled rows of data.labelled_share "
                        + "anew for each seed, but the recipe has no labelled share (set data.labelled_share in "
                        + "(0, 1))");
            }
        }

        /** Without further size-sweep students (MLP widths only) or an acknowledgement of unknown terms. */
        public Settings(
                Recipe recipe,
                Path out,
                Path docs,
                Path cacheDir,
                List<Long> seeds,
                List<Double> temperatures,
                List<Double> alphas,
                List<Integer> widths,
                int omittedClass,
                boolean transferRows,
                String command) {
            this(
                    recipe,
                    out,
                    docs,
                    cacheDir,
                    seeds,
                    temperatures,
                    alphas,
                    widths,
                    omittedClass,
                    transferRows,
                    command,
                    List.of(),
                    false,
                    false);
        }
    }

    /**
     * The small CNN students of the size sweep ({@code --cnn-students}), all over 20x smaller than
     * the demo's 824,458-parameter teacher on 28x28 images: CNN [8, 16] (9,098 parameters), CNN
     * [16, 32] (20,490) and a depthwise-separable CNN [16, 32, 64] (9,066).
     */
    public static final List<ModelSpec> CNN_STUDENTS = List.of(
            new CnnSpec(List.of(8, 16), 3, 2, List.of(), null, 0, false),
            new CnnSpec(List.of(16, 32), 3, 2, List.of(), null, 0, false),
            new CnnSpec(List.of(16, 32, 64), 3, 2, List.of(), null, 0, true, true));

    /**
     * Creates the benchmark.
     *
     * @param settings what to run
     * @param listener progress (teacher training and informational lines)
     */
    public AccuracyBenchmark(Settings settings, ExperimentListener listener) {
        this.settings = settings;
        this.listener = listener;
    }

    /** Runs everything (reusing what earlier runs left in OUT) and writes JSON, charts and docs. */
    public AccuracyReport run() throws IOException, DistillationRefusedException {
        Recipe recipe = settings.recipe();
        Files.createDirectories(settings.out());
        AtomicFiles.writeString(settings.out().resolve("recipe.yaml"), RecipeLoader.toYaml(recipe));
        ExperimentData data = ExperimentData.load(recipe);
        if (data.validation() == null) {
            throw new IllegalArgumentException("the accuracy benchmark chooses T and alpha on validation rows; "
                    + "set data.validation_fraction > 0");
        }
        Experiment experiment = new Experiment(
                recipe,
                settings.out(),
                new Experiment.Options(settings.cacheDir(), false, null, settings.acknowledgeUnknownTerms()),
                listener);
        // The benchmark trains students on the teacher's outputs too: the same gate applies.
        experiment.checkTerms();
        List<Path> teacherDirs = experiment.trainTeachers();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                Teacher teacher = Experiment.openTrained(teacherDirs)) {
            GateApproval approval = experiment.approveDistillation(teacher.identity());
            List<Integer> memberErrors = new ArrayList<>();
            if (teacher instanceof EnsembleTeacher e) {
                for (Teacher m : e.members()) {
                    memberErrors.add(
                            Predictions.of(m, data.test(), manager, 512).errors(data.test()));
                }
                listener.info("ensemble teacher: members' test errors " + memberErrors);
            }
            Predictions teacherTest = Predictions.of(teacher, data.test(), manager, 512);
            Predictions teacherVal = Predictions.of(teacher, data.validation(), manager, 512);
            // Under data.labelled_share the scratch students learn from the labelled rows alone, the
            // distilled ones from every row, the others with the teacher's outputs as their only target.
            ExampleSets.LabelledShare share =
                    ExampleSets.labelledShare(data.train(), recipe.data().studentLabelShare(), recipe.seed());
            Runner runner = new Runner(data, share.labelled(), teacher, teacherTest, manager, approval);
            ExampleSet transferRows = runner.masked(share);
            if (share.labelled() != data.train()) {
                listener.info(String.format(
                        Locale.ROOT,
                        "data.labelled_share %s: scratch students train on %,d labelled rows, distilled ones on all "
                                + "%,d",
                        recipe.data().studentLabelShare(),
                        share.labelled().size(),
                        transferRows.size()));
            }
            ModelSpec base = recipe.student().model();
            KdParameters recipeKd = recipe.distillation().parameters();
            long seed0 = settings.seeds().get(0);

            listener.info("temperature sweep at alpha " + recipeKd.alpha() + " (seed " + seed0 + ")");
            List<StudentRun> sweepT = new ArrayList<>();
            for (double t : settings.temperatures()) {
                sweepT.add(runner.distilled(
                        "sweep_T",
                        base,
                        new KdParameters(t, recipeKd.alpha(), recipeKd.correctTeacher()),
                        transferRows,
                        seed0));
            }
            StudentRun bestT = best(sweepT);
            List<StudentRun> sweepAlpha = new ArrayList<>();
            List<Double> alphas = new ArrayList<>(settings.alphas());
            if (!alphas.contains(recipeKd.alpha())) {
                alphas.add(recipeKd.alpha());
            }
            alphas.sort(Comparator.naturalOrder());
            listener.info("alpha sweep at T " + bestT.temperature());
            for (double a : alphas) {
                sweepAlpha.add(runner.distilled(
                        "sweep_alpha",
                        base,
                        new KdParameters(bestT.temperature(), a, recipeKd.correctTeacher()),
                        transferRows,
                        seed0));
            }
            StudentRun bestAlpha = best(sweepAlpha);
            KdParameters chosen =
                    new KdParameters(bestAlpha.temperature(), bestAlpha.alpha(), recipeKd.correctTeacher());
            listener.info("chosen on validation: T " + chosen.temperature() + ", alpha " + chosen.alpha());

            // The scratch twin gets its own choice on validation: with the recipe's shifts and flips
            // or without any augmentation, which at short schedules can be the better of the two;
            // with a labelled share, also as many optimiser steps as the distilled student takes
            // (epochs / share over its fewer rows), so that it is not compared at a shorter schedule.
            TrainingConfig augmented = runner.scratchConfig();
            List<StudentRun> sweepScratch = new ArrayList<>();
            List<TrainingConfig> candidates = new ArrayList<>(List.of(augmented));
            if (augmented.augment().enabled()) {
                candidates.add(
                        augmented.toBuilder().optAugmentation(Augmentation.NONE).build());
            }
            if (share.labelled() != data.train()) {
                int epochs = (int) Math.round(augmented.epochs()
                        * (double) transferRows.size()
                        / share.labelled().size());
                candidates.add(augmented.toBuilder().setEpochs(epochs).build());
            }
            TrainingConfig scratchConfig = augmented;
            if (candidates.size() > 1) {
                StudentRun chosenScratch = null;
                for (TrainingConfig c : candidates) {
                    StudentRun r = runner.scratch("sweep_scratch", base, seed0, c);
                    sweepScratch.add(r);
                    if (chosenScratch == null || r.valAccuracy() > chosenScratch.valAccuracy()) {
                        chosenScratch = r;
                        scratchConfig = c;
                    }
                }
                listener.info("scratch chosen on validation: "
                        + (scratchConfig.augment().enabled()
                                ? "augment " + scratchConfig.augment()
                                : "without augmentation")
                        + ", " + scratchConfig.epochs() + " epochs");
            }

            List<StudentRun> scratch = new ArrayList<>();
            List<StudentRun> distilled = new ArrayList<>();
            for (long seed : settings.seeds()) {
                ExampleSets.LabelledShare rows = settings.redrawLabels()
                        ? ExampleSets.labelledShare(
                                data.train(), recipe.data().studentLabelShare(), labelDrawSeed(recipe, seed))
                        : share;
                scratch.add(runner.scratch("scratch", base, seed, scratchConfig, rows.labelled()));
                distilled.add(runner.distilled("distilled", base, chosen, runner.masked(rows), seed));
            }

            List<StudentRun> transfer = new ArrayList<>();
            if (settings.transferRows() && share.labelled() != data.train()) {
                listener.info("transfer-set rows skipped: they are defined on the fully labelled training rows");
            } else if (settings.transferRows()) {
                transfer.add(runner.distilled(
                        "transfer_unlabeled",
                        base,
                        new KdParameters(chosen.temperature(), 1.0, chosen.correctTeacher()),
                        ExampleSets.withoutLabels(data.train()),
                        seed0));
                transfer.add(runner.distilled(
                        "transfer_without_class",
                        base,
                        chosen,
                        ExampleSets.withoutClass(data.train(), settings.omittedClass()),
                        seed0));
            }

            List<StudentRun> sizes = new ArrayList<>();
            for (int w : settings.widths()) {
                MlpSpec spec = base instanceof MlpSpec m
                        ? new MlpSpec(List.of(w), m.activation(), m.dropout())
                        : new MlpSpec(List.of(w), null, 0);
                sizes.add(runner.scratch("size_scratch", spec, seed0, scratchConfig));
                sizes.add(runner.distilled("size_distilled", spec, chosen, transferRows, seed0));
            }
            for (ModelSpec spec : settings.sizeStudents()) {
                sizes.add(runner.scratch("size_scratch", spec, seed0, scratchConfig));
                sizes.add(runner.distilled("size_distilled", spec, chosen, transferRows, seed0));
            }

            AccuracyReport report = AccuracyReport.of(
                    recipe,
                    teacher,
                    memberErrors,
                    teacherTest,
                    teacherVal,
                    data,
                    chosen,
                    sweepT,
                    sweepAlpha,
                    sweepScratch,
                    scratch,
                    distilled,
                    transfer,
                    sizes,
                    settings,
                    Machine.describe());
            report.write(settings.out(), settings.docs());
            return report;
        }
    }

    /** The size sweep's label of a student: an MLP's hidden widths, e.g. "[100]", else its description. */
    private static String sizeLabel(ModelSpec spec) {
        return spec instanceof MlpSpec m ? m.hidden().toString() : spec.describe();
    }

    private static StudentRun best(List<StudentRun> runs) {
        // Highest validation accuracy; ties go to the earlier (lower T / lower alpha) entry.
        StudentRun best = runs.get(0);
        for (StudentRun r : runs) {
            if (r.valAccuracy() > best.valAccuracy()) {
                best = r;
            }
        }
        return best;
    }

    /** Trains and scores students, reusing any recorded under OUT/students. */
    private final class Runner {
        private final ExperimentData data;
        private final ExampleSet labelled;
        private final Teacher teacher;
        private final Predictions teacherTest;
        private final NDManager manager;
        private final GateApproval approval;
        private final TeacherOutputCache cache;
        private final Path dir;
        private final Map<String, SoftTargets.Views> views = new HashMap<>();
        /** Transfer sets that are the training rows with some labels hidden (same inputs, same order). */
        private final Set<ExampleSet> maskedTrain = Collections.newSetFromMap(new IdentityHashMap<>());

        Runner(
                ExperimentData data,
                ExampleSet labelled,
                Teacher teacher,
                Predictions teacherTest,
                NDManager manager,
                GateApproval approval) {
            this.approval = approval;
            this.data = data;
            this.labelled = labelled;
            this.teacher = teacher;
            this.teacherTest = teacherTest;
            this.manager = manager;
            this.cache = new TeacherOutputCache(settings.cacheDir());
            this.dir = settings.out().resolve("students");
        }

        /** The recipe's student training as a scratch twin runs it: mixing needs a teacher's target, so without it. */
        TrainingConfig scratchConfig() {
            TrainingConfig config = settings.recipe().student().training();
            return config.augment().mixes()
                    ? config.toBuilder()
                            .optAugmentation(config.augment().perRow())
                            .build()
                    : config;
        }

        /**
         * Registers the distilled side of a labelled share: its teacher outputs are those of the
         * training rows, whose inputs and order it keeps, so every draw of labels shares one scoring.
         */
        ExampleSet masked(ExampleSets.LabelledShare share) {
            maskedTrain.add(share.transfer());
            return share.transfer();
        }

        /** The set the teacher scores for {@code transfer}: its inputs are all that matter. */
        private ExampleSet teacherInputs(ExampleSet transfer) {
            return maskedTrain.contains(transfer) ? data.train() : transfer;
        }

        StudentRun scratch(String group, ModelSpec spec, long seed, TrainingConfig config) throws IOException {
            return scratch(group, spec, seed, config, labelled);
        }

        /** A scratch student on given labelled rows (a draw of its own under {@code --redraw-labels}). */
        StudentRun scratch(String group, ModelSpec spec, long seed, TrainingConfig config, ExampleSet rows)
                throws IOException {
            return train(group, spec, null, rows, seed, config);
        }

        StudentRun distilled(String group, ModelSpec spec, KdParameters kd, ExampleSet transfer, long seed)
                throws IOException {
            return train(
                    group, spec, kd, transfer, seed, settings.recipe().student().training());
        }

        private StudentRun train(
                String group, ModelSpec spec, KdParameters kd, ExampleSet transfer, long seed, TrainingConfig config)
                throws IOException {
            String transferName = transferName(transfer);
            String key = String.join(
                    " | ", spec.describe(), kd == null ? "scratch" : kd.toString(), transferName, "seed " + seed);
            if (kd == null
                    && !config.augment().enabled()
                    && settings.recipe().student().training().augment().enabled()) {
                key += " | without augmentation";
            }
            if (config.epochs() != settings.recipe().student().training().epochs()) {
                key += " | " + config.epochs() + " epochs";
            }
            String mode = settings.recipe().distillation().mode();
            if (kd != null && !mode.equals("cached")) {
                key += " | " + mode
                        + (mode.equals("views")
                                ? " " + settings.recipe().distillation().views() + " (seed "
                                        + settings.recipe().seed() + ")"
                                : "");
            }
            String id = Hashing.sha256(String.join(
                    "\n",
                    key,
                    spec.toString(),
                    config.toString(),
                    teacher.identity().cacheKey(),
                    transfer.contentHash(),
                    data.validation().contentHash(),
                    data.test().contentHash()));
            Path file = dir.resolve(id.substring(0, 16) + ".json");
            if (Files.isRegularFile(file)) {
                StudentRun saved = MAPPER.readValue(file.toFile(), StudentRun.class);
                StudentRun regrouped = saved.withGroup(group);
                listener.info(String.format(
                        Locale.ROOT,
                        "%-22s %s: reused (val %.2f%%, test %.2f%%)",
                        group,
                        key,
                        100 * saved.valAccuracy(),
                        100 * saved.testAccuracy()));
                return regrouped;
            }
            ClassifierTrainer.Builder builder =
                    ClassifierTrainer.builder(config).optSeed(seed);
            if (kd != null) {
                // Online (a teacher forward per batch) when the recipe asks for it, as augmentation needs.
                builder.optDistillation(
                        kd,
                        switch (mode) {
                            case "online" -> SoftTargets.online(teacher);
                            case "views" ->
                                views(
                                        teacherInputs(transfer),
                                        config.augment(),
                                        settings.recipe().seed());
                            default ->
                                SoftTargets.cached(
                                        cache.getOrCompute(teacher, teacherInputs(transfer), manager, 512, done -> {}));
                        },
                        approval);
            }
            long start = System.nanoTime();
            StudentRun run;
            try (SavedModel model = SavedModel.create(spec, transfer.featureShape(), transfer.classNames())) {
                ClassifierTrainer.Result result;
                try {
                    result = builder.build().fit(model, transfer, data.validation());
                } catch (TrainingDivergedException e) {
                    // A benchmark reports a diverged run as such (NaN metrics, -1 errors) and goes on.
                    run = new StudentRun(
                            key + " | diverged at epoch " + e.epoch(),
                            group,
                            sizeLabel(spec),
                            model.parameterCount(),
                            kd == null ? Double.NaN : kd.temperature(),
                            kd == null ? Double.NaN : kd.alpha(),
                            transferName,
                            seed,
                            Double.NaN,
                            Double.NaN,
                            Double.NaN,
                            -1,
                            Double.NaN,
                            Double.NaN,
                            (System.nanoTime() - start) / 1e9,
                            Double.NaN);
                    AtomicFiles.write(file, MAPPER.writeValueAsBytes(run));
                    listener.info(group + " " + key + ": DIVERGED (" + e.getMessage() + ")");
                    return run;
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                var last = result.history().get(result.history().size() - 1);
                Predictions test = Predictions.of(model, data.test(), manager, 512);
                run = new StudentRun(
                        key,
                        group,
                        sizeLabel(spec),
                        model.parameterCount(),
                        kd == null ? Double.NaN : kd.temperature(),
                        kd == null ? Double.NaN : kd.alpha(),
                        transferName,
                        seed,
                        last.trainAccuracy(),
                        last.valAccuracy(),
                        test.accuracy(data.test()),
                        test.errors(data.test()),
                        transferName.contains("without-")
                                ? test.classAccuracy(data.test(), settings.omittedClass())
                                : Double.NaN,
                        test.agreement(teacherTest),
                        seconds,
                        test.macroF1(data.test()));
            }
            AtomicFiles.write(file, MAPPER.writeValueAsBytes(run));
            listener.info(String.format(
                    Locale.ROOT,
                    "%-22s %s: train %.2f%%, val %.2f%%, test %.2f%% (%d errors), " + "%.0f s",
                    group,
                    key,
                    100 * run.trainAccuracy(),
                    100 * run.valAccuracy(),
                    100 * run.testAccuracy(),
                    run.testErrors(),
                    run.seconds()));
            return run;
        }

        /**
         * The teacher's logits on K views of {@code transfer}, computed once per benchmark and shared by
         * every student: the views are drawn with the recipe's seed, as {@code distill run} draws them,
         * so the students' seeds vary their initialisation and order, not the teacher's views (each
         * student would otherwise pay K teacher passes, K x members for an ensemble). Stored in the
         * teacher-output cache, so a later benchmark with the same teacher and views reads them, and
         * kept for the whole run: rows x K x classes floats, 35 MB for 54,000 rows, K = 16, 10 classes.
         */
        private SoftTargets.Views views(ExampleSet transfer, Augmentation augmentation, long seed) throws IOException {
            int k = settings.recipe().distillation().views();
            String viewsKey =
                    String.join(" | ", transfer.contentHash(), augmentation.toString(), k + " views", "seed " + seed);
            SoftTargets.Views memo = views.get(viewsKey);
            if (memo != null) {
                return memo;
            }
            long start = System.nanoTime();
            SoftTargets.Views v =
                    SoftTargets.views(teacher, transfer, augmentation, k, seed, cache, manager, 512, done -> {});
            listener.info(String.format(
                    Locale.ROOT,
                    "views: %s %d views of %,d rows for seed %d in %.0f s",
                    cache.lastWasHit() ? "read the teacher's outputs on" : "the teacher scored",
                    k,
                    transfer.size(),
                    seed,
                    (System.nanoTime() - start) / 1e9));
            views.put(viewsKey, v);
            return v;
        }

        private String transferName(ExampleSet transfer) {
            String name = transfer.name();
            String base = data.train().name();
            return name.startsWith(base) ? "train" + name.substring(base.length()) : name;
        }
    }

    /**
     * The seed of the labelled rows a student of seed {@code studentSeed} uses under {@code
     * --redraw-labels}: the recipe's seed plus the student's, so that seed 1 of a recipe seeded 42
     * draws with 43 (its transfer set is named {@code labelled-S(seed 43)}).
     */
    static long labelDrawSeed(Recipe recipe, long studentSeed) {
        return recipe.seed() + studentSeed;
    }

    /** For reports: a map view of the settings that matter. */
    static Map<String, Object> describe(Settings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seeds", s.seeds());
        if (s.redrawLabels()) {
            m.put("redraw_labels", true);
        }
        m.put("temperatures", s.temperatures());
        m.put("alphas", s.alphas());
        m.put("widths", s.widths());
        m.put("omitted_class", s.omittedClass());
        m.put("command", s.command());
        return m;
    }
}
