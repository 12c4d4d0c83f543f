package org.distill4j.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.FeatureShards;
import org.distill4j.eval.Evaluator;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.eval.PairedComparison;
import org.distill4j.eval.Predictions;
import org.distill4j.eval.TemperatureScaling;
import org.distill4j.io.AtomicFiles;
import org.distill4j.lm.corpus.SplitOverlap;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.report.ExperimentResults;
import org.distill4j.report.ModelResult;
import org.distill4j.report.ReportWriter;
import org.distill4j.teacher.EnsembleTeacher;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.http.CollectionResult;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.terms.GateApproval;
import org.distill4j.terms.GateDecision;

/**
 * A whole distillation experiment as a recipe declares it: obtain the teacher (train it, or load
 * it from a file), cache its outputs on the training rows, train the student from scratch and
 * distilled, evaluate all three on the test rows, and write the report.
 *
 * <p>Output directory layout: {@code teacher/}, {@code student_scratch/}, {@code
 * student_distilled/} (each a saved model with {@code training.json} and {@code checkpoints/}),
 * {@code recipe.yaml} (as run), {@code metrics.json}, {@code results.md}, {@code report.html} and
 * its charts. A model whose {@code training.json} matches what the recipe would train is reused,
 * not retrained; with {@link Options#resume()}, an interrupted training continues from its last
 * checkpoint.
 *
 * <p>This class orders the steps; each step is a collaborator of its own: the terms ({@code
 * ExperimentGate}), the data ({@link ExperimentData}), the teacher ({@code TeacherProvider},
 * {@link ExperimentTeacher}), training and reuse of each role ({@code RoleTrainer}), evaluation
 * ({@link org.distill4j.eval.Evaluator}) and documentation ({@code ModelDocumentation}, through
 * {@link org.distill4j.provenance.ModelWriter}).
 */
public final class Experiment {

    /** Role names, as used in directories and metrics.json. */
    public static final String TEACHER = "teacher";
    /** The student trained on hard labels only. */
    public static final String STUDENT_SCRATCH = "student_scratch";
    /** The student trained with distillation. */
    public static final String STUDENT_DISTILLED = "student_distilled";

    /**
     * The key in {@code metrics.json}'s {@code data} of the distilled student against its scratch
     * twin on the test rows: {@link PairedComparison#toMap()} plus {@code first} and {@code second}.
     */
    public static final String TEST_COMPARISON = "test_comparison";

    /**
     * Returns the role (and directory name) of an ensemble's member m: {@code teacher} for the first
     * (the one teacher of a recipe without an ensemble), {@code teacher-m} for the others.
     *
     * @param m member number, from 1
     */
    public static String teacherRole(int m) {
        return m == 1 ? TEACHER : TEACHER + "-" + m;
    }

    private final Recipe recipe;
    private final Path out;
    private final Options options;
    private final ExperimentListener listener;
    private final ExperimentGate gate;
    private final RoleTrainer trainer;
    private final TeacherProvider teachers;

    /**
     * Options that are not part of the recipe (they do not change the results).
     *
     * @param cacheDir directory of the teacher-output cache
     * @param resume continue interrupted trainings from their last checkpoint
     * @param permission a recorded permission to distil a teacher whose terms prohibit it (a
     *     reference to the agreement), or null
     * @param acknowledgeUnknownTerms proceed with a teacher whose terms nobody declared
     */
    public record Options(Path cacheDir, boolean resume, String permission, boolean acknowledgeUnknownTerms) {
        /** Requires the cache directory. */
        public Options {
            Objects.requireNonNull(cacheDir, "cacheDir");
        }

        /** Options without permission or acknowledgement. */
        public Options(Path cacheDir, boolean resume) {
            this(cacheDir, resume, null, false);
        }

        /** Returns the default cache directory: {@code $DISTILL4J_CACHE}, else {@code ~/.cache/distill4j}. */
        public static Path defaultCacheDir() {
            String env = System.getenv("DISTILL4J_CACHE");
            return env != null && !env.isBlank()
                    ? Path.of(env)
                    : Path.of(System.getProperty("user.home"), ".cache", "distill4j");
        }
    }

    /**
     * Creates an experiment.
     *
     * @param recipe the validated recipe
     * @param out output directory (created)
     * @param options cache and resume options
     * @param listener progress
     */
    public Experiment(Recipe recipe, Path out, Options options, ExperimentListener listener) {
        this.recipe = recipe;
        this.out = out;
        this.options = options;
        this.listener = listener;
        this.gate = new ExperimentGate(recipe, options);
        this.trainer = new RoleTrainer(recipe, out, options, listener, gate);
        this.teachers = new TeacherProvider(recipe, out, options, listener, trainer);
    }

    /**
     * Asks the {@link DistillationGate} whether the recipe's student may learn from its teacher,
     * under the teacher's declared terms ({@code teacher.terms}), the student's name and the
     * options' permission or acknowledgement.
     *
     * @return the decision, refusals included (never throws for a refusal)
     */
    public GateDecision evaluateTerms() {
        return gate.evaluate();
    }

    /**
     * Checks the recipe's teacher terms with the gate before any costly work, as {@link #run()}
     * does first; the approval itself comes once the teacher is known ({@link
     * #approveDistillation(TeacherIdentity)}).
     *
     * @throws DistillationRefusedException if the teacher's terms do not allow it
     */
    public GateDecision checkTerms() throws DistillationRefusedException {
        GateDecision decision = gate.check();
        listener.info("terms: " + decision.reason());
        return decision;
    }

    /**
     * Asks the gate for its approval to distil {@code teacher} (the recipe's teacher, once trained
     * or loaded) into the recipe's student; tools that train students themselves (benchmarks) use
     * it the same way. The approval is bound to this teacher.
     *
     * @throws DistillationRefusedException if the teacher's terms do not allow it
     */
    public GateApproval approveDistillation(TeacherIdentity teacher) throws DistillationRefusedException {
        return gate.approve(teacher);
    }

    /**
     * Runs everything and writes the report; returns the results shown in it.
     *
     * @throws DistillationRefusedException before any training, if the teacher's terms do not allow it
     */
    public ExperimentResults run() throws IOException, DistillationRefusedException {
        checkTerms();
        requireOutputDirectory();
        Files.createDirectories(out);
        AtomicFiles.writeString(out.resolve("recipe.yaml"), RecipeLoader.toYaml(recipe));
        ExperimentData data = ExperimentData.load(recipe);
        listener.info(String.format(
                "data: %d training, %d validation, %d test rows (%s)",
                data.train().size(),
                data.validation() == null ? 0 : data.validation().size(),
                data.test().size(),
                recipe.data().location()));
        if (recipe.data().splitsTeacherRows()) {
            listener.info(String.format(
                    Locale.ROOT,
                    "data.teacher_split %s: a teacher trained here learns from %d training rows, the students "
                            + "from the other %d",
                    recipe.data().teacherSplit(),
                    data.teacherTrain().size(),
                    data.train().size()));
        }
        double share = recipe.data().studentLabelShare();
        if (share < 1) {
            ExampleSets.LabelledShare rows = ExampleSets.labelledShare(data.train(), share, recipe.seed());
            listener.info(String.format(
                    Locale.ROOT,
                    "data.labelled_share %s: the students may use the labels of %d of the %d training rows; the "
                            + "scratch student trains on those, the distilled one on all %d (the teacher's outputs "
                            + "alone on the others)",
                    share,
                    rows.labelled().size(),
                    data.train().size(),
                    data.train().size()));
        }
        if (data.unlabelled() != null) {
            listener.info(String.format(
                    Locale.ROOT,
                    "data.unlabelled: %d rows of %s; the distilled student learns from the teacher's outputs on them"
                            + " after its %d training rows, the scratch student and the teacher never see them",
                    data.unlabelled().size(),
                    recipe.data().unlabelled(),
                    data.train().size()));
        }
        Optional<ExperimentData.HeldOutOverlap> overlap = data.heldOutOverlap();
        // Above the warning's share the warning says it, with what to make of it.
        overlap.filter(o -> o.sides().get("test").share() <= DataCheck.NEAR_DUPLICATE_WARNING_SHARE)
                .ifPresent(o -> listener.info("data: " + SplitOverlap.describe(o.report(), "rows")));
        DataCheck check = DataCheck.of(data, overlap);
        check.warnings().forEach(w -> listener.info("data: warning: " + w));
        Map<String, Object> dataFacts = new LinkedHashMap<>();
        dataFacts.put("identical_to_training", check.facts().get("identical_to_training"));
        List<ModelResult> results = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                ExperimentTeacher teacher = teachers.obtain(data)) {
            GateApproval approval = approveDistillation(teacher.identity(data.train()));
            Predictions teacherTest = teacher.testPredictions(data.test(), manager);
            // Calibrated before anything trains, so that a recipe without validation rows fails first.
            KdParameters kd = distillationParameters(teacher, data, manager, dataFacts);
            Path scratchDir = trainer.student(STUDENT_SCRATCH, data, null, null, null);
            Path distilledDir = trainer.student(STUDENT_DISTILLED, data, teacher, approval, kd);
            listener.info("evaluating on " + data.test().size() + " test rows");
            // An ensemble has no training history of its own (its first member's is not the ensemble's).
            TrainingRecord teacherRecord = trainsTeacher() && recipe.teacher().ensemble() == 1
                    ? TrainingRecord.read(out.resolve(TEACHER))
                    : null;
            TeacherIdentity teacherId = teacher.identity(data.train());
            results.add(new ModelResult(
                    TEACHER,
                    teacherId.description(),
                    teacher.metrics(teacherTest, data.test(), manager),
                    teacherRecord == null ? List.of() : teacherRecord.history()));
            for (Path dir : List.of(scratchDir, distilledDir)) {
                results.add(evaluateStudent(dir, data.test(), teacherTest, manager));
            }
            dataFacts.put(TEST_COMPARISON, testComparison(distilledDir, scratchDir, data.test(), manager));
            if (overlap.isPresent()) {
                dataFacts.put(
                        "split_overlap",
                        overlapFacts(overlap.get(), data.test(), teacherTest, scratchDir, distilledDir, manager));
            }
            // The model cards show all three results, so they are written once all are known.
            Map<String, ModelMetrics> metrics = new LinkedHashMap<>();
            results.forEach(r -> metrics.put(r.role(), r.metrics()));
            // An ensemble's members keep the cards of their training: these metrics are the ensemble's.
            if (trainsTeacher() && recipe.teacher().ensemble() == 1) {
                ModelDocumentation.forRole(recipe, TEACHER, null, null, null, null)
                        .write(out.resolve(TEACHER), data, recipe.seed(), metrics);
            }
            ModelDocumentation.forRole(recipe, STUDENT_SCRATCH, null, null, null, null)
                    .write(scratchDir, data, recipe.seed(), metrics);
            ModelDocumentation.forRole(
                            recipe,
                            STUDENT_DISTILLED,
                            teacherId,
                            approval,
                            teacher.labelCollection(),
                            gate.termsOrigin())
                    .write(distilledDir, data, recipe.seed(), metrics);
        }
        ExperimentResults experiment = new ExperimentResults(
                recipe.name(), results, RecipeLoader.toTree(recipe), Environment.describe(), dataFacts);
        ReportWriter.write(experiment, out);
        return experiment;
    }

    /**
     * Trains the teacher (recipe source {@code train}) into {@code out/teacher}, and the other
     * members of an ensemble ({@code teacher.ensemble}) into {@code out/teacher-2} and on, or reuses
     * complete ones trained from the same recipe and data.
     *
     * @return the members' model directories, in order (one for a single teacher)
     */
    public List<Path> trainTeachers() throws IOException {
        requireOutputDirectory();
        if (!recipe.teacher().source().equals("train")) {
            throw new IllegalStateException(
                    "teacher.source is '" + recipe.teacher().source() + "': the teacher is loaded from "
                            + recipe.teacher().path() + ", not trained");
        }
        return trainer.teachers(ExperimentData.load(recipe));
    }

    /**
     * Opens the teacher that {@link #trainTeachers()} trained: the saved model, or the ensemble of
     * its members.
     *
     * @param dirs the members' directories, as returned by {@link #trainTeachers()}
     */
    public static Teacher openTrained(List<Path> dirs) throws IOException {
        if (dirs.size() == 1) {
            return SavedModelTeacher.load(dirs.get(0));
        }
        List<Teacher> members = new ArrayList<>();
        try {
            for (Path d : dirs) {
                members.add(SavedModelTeacher.load(d));
            }
        } catch (IOException | RuntimeException e) {
            members.forEach(Teacher::close);
            throw e;
        }
        return EnsembleTeacher.of(members);
    }

    /**
     * The recipe's distillation parameters; with {@code distillation.calibrate_teacher}, the
     * teacher's logits on the validation rows fit a temperature ({@link TemperatureScaling}) that
     * its logits are divided by, which is logged and recorded in {@code facts} as {@code
     * teacher_calibration}.
     *
     * @throws IllegalArgumentException if calibration is asked for and there are no validation rows
     */
    private KdParameters distillationParameters(
            ExperimentTeacher teacher, ExperimentData data, NDManager manager, Map<String, Object> facts)
            throws IOException {
        KdParameters kd = recipe.distillation().parameters();
        if (!recipe.distillation().calibrateTeacher()) {
            return kd;
        }
        if (data.validation() == null || data.validation().size() == 0) {
            throw new IllegalArgumentException("distillation.calibrate_teacher fits the teacher's temperature on the "
                    + "validation split, and this recipe has none: give data a validation split (validation_fraction "
                    + "> 0, or a validation file) or set calibrate_teacher: false");
        }
        TemperatureScaling fit =
                TemperatureScaling.fit(teacher.validationPredictions(data.validation(), manager), data.validation());
        listener.info(String.format(
                Locale.ROOT,
                "teacher calibration: temperature %.4f fitted on %d validation rows (cross-entropy %.4f -> %.4f nats);"
                        + " the distilled student learns from softmax(teacher logits / (%.4f x T))",
                fit.temperature(),
                fit.rows(),
                fit.crossEntropyBefore(),
                fit.crossEntropyAfter(),
                fit.temperature()));
        facts.put("teacher_calibration", fit.toMap());
        return kd.withTeacherCalibration(fit.temperature());
    }

    /** Trains only the distilled student (the terms are checked, the teacher trained or loaded first). */
    public Path distillStudent() throws IOException, DistillationRefusedException {
        checkTerms();
        requireOutputDirectory();
        ExperimentData data = ExperimentData.load(recipe);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                ExperimentTeacher teacher = teachers.obtain(data)) {
            GateApproval approval = approveDistillation(teacher.identity(data.train()));
            KdParameters kd = distillationParameters(teacher, data, manager, new LinkedHashMap<>());
            return trainer.student(STUDENT_DISTILLED, data, teacher, approval, kd);
        }
    }

    /**
     * Writes the recipe's training rows, plus {@code copies} randomly shifted copies of them (up
     * to {@code shift} pixels; images only), as feature shards into {@code dir} for {@link
     * #distillStudentFromShards}; one shard of {@code rowsPerShard} rows is held at a time.
     *
     * @return the written set
     */
    public FeatureShards writeShards(Path dir, int copies, int shift, int rowsPerShard) throws IOException {
        ExperimentData data = ExperimentData.load(recipe);
        FeatureShards shards = TransferSetShards.write(
                data.train(),
                dir,
                copies,
                new org.distill4j.train.Augmentation(shift, false),
                recipe.seed(),
                rowsPerShard,
                done -> listener.info("shards: " + done + " rows written"));
        listener.info("shards: " + shards);
        return shards;
    }

    /**
     * Trains only the distilled student, from a transfer set stored as feature shards on disk
     * ({@link FeatureShards}), which need not fit in memory: rows stream through a seeded
     * shard-and-buffer shuffle of {@code bufferRows} rows, joined by key with the teacher's logits
     * ({@code teacherLogits}, a {@code .logits} file, or computed once into the cache by a local
     * teacher). The recipe's model, training, distillation, terms and validation rows apply; the
     * shards must have the recipe data's feature shape and classes.
     *
     * @param shardsDir the shard directory
     * @param teacherLogits the teacher's outputs on the shards, or null to compute them
     * @param bufferRows the shuffle buffer's rows
     * @return the student's directory
     */
    public Path distillStudentFromShards(Path shardsDir, Path teacherLogits, int bufferRows)
            throws IOException, DistillationRefusedException {
        if (recipe.data().studentLabelShare() < 1) {
            throw new IllegalArgumentException("data.labelled_share chooses among the rows in memory; it does not "
                    + "apply to training from shards (write the shards with the labels the student may see)");
        }
        if (recipe.data().unlabelled() != null) {
            throw new IllegalArgumentException(
                    "data.unlabelled adds rows in memory; it does not apply to training from "
                            + "shards (write those rows into the shards, unlabelled)");
        }
        checkTerms();
        requireOutputDirectory();
        FeatureShards shards = FeatureShards.open(shardsDir);
        listener.info("shards: " + shards);
        ExperimentData data = ExperimentData.load(recipe);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                ExperimentTeacher teacher = teachers.obtain(data)) {
            GateApproval approval = approveDistillation(teacher.identity(data.train()));
            KdParameters kd = distillationParameters(teacher, data, manager, new LinkedHashMap<>());
            return trainer.studentFromShards(
                    STUDENT_DISTILLED, data, shards, teacher, teacherLogits, bufferRows, approval, kd);
        }
    }

    /**
     * Collects the outputs of the recipe's HTTP teacher ({@code teacher.source: http}) on the given
     * splits into {@code OUT/teacher_outputs/<split>/}, resuming any earlier collection; the terms
     * are checked first, so no API call is made for a teacher whose terms forbid distillation.
     *
     * @param splits {@code train}, {@code validation}, {@code test}; null or empty for {@code
     *     train} plus {@code test} when {@code teacher.http.evaluate_test}
     * @return each split's result, in the order asked
     * @throws IllegalArgumentException if the teacher is not an HTTP teacher or a split is unknown
     */
    public Map<String, CollectionResult> collectTeacherOutputs(List<String> splits)
            throws IOException, DistillationRefusedException {
        Recipe.TeacherSection t = recipe.teacher();
        if (!t.source().equals("http")) {
            throw new IllegalArgumentException("teacher.source is '" + t.source()
                    + "': only an HTTP teacher (teacher.source: http) has outputs to collect");
        }
        checkTerms();
        requireOutputDirectory();
        ExperimentData data = ExperimentData.load(recipe);
        List<String> wanted = splits == null || splits.isEmpty()
                ? (t.http().evaluateTest() ? List.of("train", "test") : List.of("train"))
                : splits;
        RemoteTeacher remote = RemoteTeacher.of(t.http(), data.textFeatures() != null, out, listener);
        Map<String, CollectionResult> results = new LinkedHashMap<>();
        for (String split : wanted) {
            ExampleSet rows = switch (split) {
                case "train" -> data.train();
                case "test" -> data.test();
                case "validation" -> {
                    if (data.validation() == null) {
                        throw new IllegalArgumentException(
                                "split 'validation' is empty: data.validation_fraction is 0");
                    }
                    yield data.validation();
                }
                default ->
                    throw new IllegalArgumentException(
                            "illegal split value: '" + split + "', allowed: [train, validation, test]");
            };
            results.put(split, remote.collect(split, rows, listener.collection(split)));
        }
        return results;
    }

    /** Fails early, naming the path, when the output directory is something else. */
    private void requireOutputDirectory() throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IOException("output directory " + out + " is a regular file (or not a directory), expected a "
                    + "directory (created if missing); choose another --out");
        }
    }

    /** Returns where the journal of an HTTP teacher's outputs on {@code split} lives. */
    public Path teacherOutputsDir(String split) {
        return out.resolve(RemoteTeacher.OUTPUTS_DIR).resolve(split);
    }

    private boolean trainsTeacher() {
        return recipe.teacher().source().equals("train");
    }

    /**
     * The split's overlap report plus, when some test rows repeat no training row, every model's
     * accuracy and macro-F1 on the others ({@code test_without_near_duplicate}): the score that
     * owes nothing to remembering training rows.
     */
    private static Map<String, Object> overlapFacts(
            ExperimentData.HeldOutOverlap overlap,
            ExampleSet test,
            Predictions teacherTest,
            Path scratchDir,
            Path distilledDir,
            NDManager manager)
            throws IOException {
        Map<String, Object> report = overlap.report();
        int[] novel = overlap.novelTestRows();
        if (novel.length == 0 || novel.length == test.size()) {
            return report;
        }
        ExampleSet novelSet = ExampleSets.subset(test, novel, test.name() + "/without-near-duplicate");
        Map<String, Object> scores = new LinkedHashMap<>();
        scores.put("rows", novel.length);
        scores.put(TEACHER, scores(teacherTest.rows(novel), novelSet));
        Map<String, Path> students = new LinkedHashMap<>();
        students.put(STUDENT_SCRATCH, scratchDir);
        students.put(STUDENT_DISTILLED, distilledDir);
        for (Map.Entry<String, Path> student : students.entrySet()) {
            try (SavedModel model = SavedModel.load(student.getValue())) {
                scores.put(student.getKey(), scores(Predictions.of(model, novelSet, manager, 512), novelSet));
            }
        }
        report.put("test_without_near_duplicate", scores);
        return report;
    }

    /**
     * The distilled student against its scratch twin on the same test rows ({@link
     * PairedComparison}): whether the test set alone could explain their difference.
     */
    private static Map<String, Object> testComparison(
            Path distilledDir, Path scratchDir, ExampleSet test, NDManager manager) throws IOException {
        Predictions distilled;
        Predictions scratch;
        try (SavedModel model = SavedModel.load(distilledDir)) {
            distilled = Predictions.of(model, test, manager, 512);
        }
        try (SavedModel model = SavedModel.load(scratchDir)) {
            scratch = Predictions.of(model, test, manager, 512);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("first", STUDENT_DISTILLED);
        m.put("second", STUDENT_SCRATCH);
        m.putAll(PairedComparison.of(distilled, scratch, test).toMap());
        return m;
    }

    private static Map<String, Object> scores(Predictions p, ExampleSet rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", p.accuracy(rows));
        m.put("macro_f1", p.macroF1(rows));
        return m;
    }

    private ModelResult evaluateStudent(Path dir, ExampleSet test, Predictions teacherTest, NDManager manager)
            throws IOException {
        TrainingRecord record = TrainingRecord.read(dir);
        try (SavedModel model = SavedModel.load(dir)) {
            ModelMetrics m = Evaluator.builder()
                    .optTeacherPredictions(teacherTest)
                    .optLatencyRuns(recipe.evaluation().latencyRuns())
                    .optThroughputBatch(recipe.evaluation().throughputBatch())
                    .build()
                    .evaluate(model, test);
            return new ModelResult(
                    record == null ? dir.getFileName().toString() : record.role(),
                    model.describe(),
                    m,
                    record == null ? List.of() : record.history());
        }
    }
}
