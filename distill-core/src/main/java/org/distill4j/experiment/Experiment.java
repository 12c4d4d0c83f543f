package org.distill4j.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.eval.Evaluator;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.eval.Predictions;
import org.distill4j.eval.ServingCost;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.report.ExperimentResults;
import org.distill4j.report.ModelResult;
import org.distill4j.report.ReportWriter;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TorchScriptTeacher;
import org.distill4j.teacher.http.CollectionResult;
import org.distill4j.train.Checkpoints;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.terms.GateApproval;
import org.distill4j.terms.GateDecision;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.Permission;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.train.TrainingConfig;

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
 */
public final class Experiment {

    /** Role names, as used in directories and metrics.json. */
    public static final String TEACHER = "teacher";
    /** The student trained on hard labels only. */
    public static final String STUDENT_SCRATCH = "student_scratch";
    /** The student trained with distillation. */
    public static final String STUDENT_DISTILLED = "student_distilled";

    private static final com.fasterxml.jackson.databind.ObjectMapper TREE =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private final Recipe recipe;
    private final Path out;
    private final Options options;
    private final ExperimentListener listener;

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
    }

    /**
     * Asks the {@link DistillationGate} whether the recipe's student may learn from its teacher,
     * under the teacher's declared terms ({@code teacher.terms}), the student's name and the
     * options' permission or acknowledgement.
     *
     * @return the decision, refusals included (never throws for a refusal)
     */
    public GateDecision evaluateTerms() {
        return new DistillationGate().evaluate(gateRequest());
    }

    /**
     * Checks the recipe's teacher terms with the gate before any costly work, as {@link #run()}
     * does first; the approval itself comes once the teacher is known ({@link
     * #approveDistillation(TeacherIdentity)}).
     *
     * @throws DistillationRefusedException if the teacher's terms do not allow it
     */
    public GateDecision checkTerms() throws DistillationRefusedException {
        GateDecision decision = new DistillationGate().check(gateRequest());
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
        return new DistillationGate().approve(gateRequest().withTeacher(teacher));
    }

    private GateRequest gateRequest() {
        Recipe.TeacherSection t = recipe.teacher();
        TermsRegistry registry = TermsRegistry.load(t.termsFile() == null ? List.of() : List.of(t.termsFile()));
        String student = recipe.student().name();
        // A teacher trained by this recipe, on its data, is the user's own model unless terms are declared.
        GateRequest request = t.terms() != null ? GateRequest.forTeacher(registry.get(t.terms()), student)
                : trainsTeacher() ? GateRequest.ownModel(null, student)
                : GateRequest.unknownTeacher(student);
        if (options.permission() != null) {
            request = request.withPermission(Permission.recordedNow(options.permission(),
                    System.getProperty("user.name", "unknown"), java.time.Clock.systemUTC()));
        }
        return options.acknowledgeUnknownTerms() ? request.acknowledgingUnknownTerms() : request;
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
        listener.info(String.format("data: %d training, %d validation, %d test rows (%s)", data.train().size(),
                data.validation() == null ? 0 : data.validation().size(), data.test().size(), recipe.data().location()));
        List<ModelResult> results = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                ExperimentTeacher teacher = obtainTeacher(data)) {
            GateApproval approval = approveDistillation(teacher.identity(data.train()));
            Predictions teacherTest = teacher.testPredictions(data.test(), manager);
            Path scratchDir = trainStudent(STUDENT_SCRATCH, data, null, null);
            Path distilledDir = trainStudent(STUDENT_DISTILLED, data, teacher, approval);
            listener.info("evaluating on " + data.test().size() + " test rows");
            TrainingRecord teacherRecord = trainsTeacher() ? TrainingRecord.read(out.resolve(TEACHER)) : null;
            TeacherIdentity teacherId = teacher.identity(data.train());
            results.add(new ModelResult(TEACHER, teacherId.description(),
                    teacher.metrics(teacherTest, data.test(), manager),
                    teacherRecord == null ? List.of() : teacherRecord.history()));
            for (Path dir : List.of(scratchDir, distilledDir)) {
                results.add(evaluateStudent(dir, data.test(), teacherTest, manager));
            }
            // The model cards show all three results, so they are written once all are known.
            Map<String, ModelMetrics> metrics = new LinkedHashMap<>();
            results.forEach(r -> metrics.put(r.role(), r.metrics()));
            if (trainsTeacher()) {
                documentation(TEACHER, null, null, null).write(out.resolve(TEACHER), data, recipe.seed(), metrics);
            }
            documentation(STUDENT_SCRATCH, null, null, null).write(scratchDir, data, recipe.seed(), metrics);
            documentation(STUDENT_DISTILLED, teacherId, approval, teacher.labelCollection())
                    .write(distilledDir, data, recipe.seed(), metrics);
        }
        ExperimentResults experiment = new ExperimentResults(recipe.name(), results, RecipeLoader.toTree(recipe),
                Environment.describe());
        ReportWriter.write(experiment, out);
        return experiment;
    }

    /**
     * Trains the teacher (recipe source {@code train}) into {@code out/teacher}, or reuses a
     * complete one trained from the same recipe and data.
     *
     * @return the teacher's model directory
     */
    public Path trainTeacher() throws IOException {
        requireOutputDirectory();
        if (!recipe.teacher().source().equals("train")) {
            throw new IllegalStateException("teacher.source is '" + recipe.teacher().source()
                    + "': the teacher is loaded from " + recipe.teacher().path() + ", not trained");
        }
        return trainTeacher(ExperimentData.load(recipe));
    }

    /** Trains only the distilled student (the terms are checked, the teacher trained or loaded first). */
    public Path distillStudent() throws IOException, DistillationRefusedException {
        checkTerms();
        requireOutputDirectory();
        ExperimentData data = ExperimentData.load(recipe);
        try (ExperimentTeacher teacher = obtainTeacher(data)) {
            GateApproval approval = approveDistillation(teacher.identity(data.train()));
            return trainStudent(STUDENT_DISTILLED, data, teacher, approval);
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
                ? (t.http().evaluateTest() ? List.of("train", "test") : List.of("train")) : splits;
        RemoteTeacher remote = RemoteTeacher.of(t.http(), data.textFeatures() != null, out, listener);
        Map<String, CollectionResult> results = new LinkedHashMap<>();
        for (String split : wanted) {
            ExampleSet rows = switch (split) {
                case "train" -> data.train();
                case "test" -> data.test();
                case "validation" -> {
                    if (data.validation() == null) {
                        throw new IllegalArgumentException("split 'validation' is empty: data.validation_fraction is 0");
                    }
                    yield data.validation();
                }
                default -> throw new IllegalArgumentException(
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

    private ExperimentTeacher obtainTeacher(ExperimentData data) throws IOException {
        Recipe.TeacherSection t = recipe.teacher();
        if (t.source().equals("http")) {
            return RemoteTeacher.of(t.http(), data.textFeatures() != null, out, listener);
        }
        Teacher local = switch (t.source()) {
            case "train" -> SavedModelTeacher.load(trainTeacher(data));
            case "distill4j" -> checkTextFeatures(SavedModelTeacher.load(t.path()), data);
            case "torchscript" -> TorchScriptTeacher.load(t.path());
            default -> throw new IllegalStateException("unvalidated teacher source " + t.source());
        };
        return new LocalTeacher(local, recipe, options.cacheDir(), listener);
    }

    /**
     * A saved text teacher reads ids of its own featurisation: fed another one's, it would answer
     * confidently and wrongly, so a mismatch is an error rather than a silent loss.
     */
    private static Teacher checkTextFeatures(SavedModelTeacher teacher, ExperimentData data) throws IOException {
        var own = teacher.model().descriptor().textFeatures();
        if (own != null && !own.equals(data.textFeatures())) {
            Path dir = Path.of(teacher.identity().location());
            teacher.close();
            throw new IOException("teacher " + dir + " was trained on text features " + own + " but the recipe's "
                    + "data.features are " + data.textFeatures() + "; set data.features to the teacher's ("
                    + "see text_features in its " + SavedModel.DESCRIPTOR + ")");
        }
        return teacher;
    }

    private Path trainTeacher(ExperimentData data) throws IOException {
        return train(TEACHER, recipe.teacher().model(), recipe.teacher().training(), data, null, null);
    }

    private Path trainStudent(String role, ExperimentData data, ExperimentTeacher teacher, GateApproval approval)
            throws IOException {
        return train(role, recipe.student().model(), recipe.student().training(), data, teacher, approval);
    }

    private Path train(String role, ModelSpec spec, TrainingConfig config, ExperimentData data,
            ExperimentTeacher teacher, GateApproval approval) throws IOException {
        Path dir = out.resolve(role);
        // A remote teacher may not have answered every row: the student learns from those it did,
        // and a rerun that collects more of them trains again (the rows' hash is fingerprinted).
        ExampleSet rows = teacher == null ? data.train() : teacher.distillationRows(data.train());
        String fingerprint = Hashing.sha256(String.join("\n", role, spec.toString(), config.toString(),
                Long.toString(recipe.seed()), rows.contentHash(),
                data.validation() == null ? "-" : data.validation().contentHash(),
                teacher == null ? "-" : teacher.identity(data.train()).cacheKey() + recipe.distillation()));
        TrainingRecord existing = TrainingRecord.read(dir);
        if (existing != null && existing.fingerprint().equals(fingerprint)
                && Files.isRegularFile(dir.resolve(SavedModel.PARAMS))) {
            listener.info(role + ": reusing the model trained from this recipe in " + dir);
            return dir;
        }
        ClassifierTrainer.Builder builder = ClassifierTrainer.builder(config)
                .optSeed(recipe.seed())
                .optCheckpointDir(dir.resolve("checkpoints"))
                .optResume(options.resume())
                .optListener(listener.training(role));
        // Deletes only checkpoints distill4j wrote; on resume, only those of another configuration.
        String notice = Checkpoints.prepare(dir.resolve("checkpoints"), fingerprint, options.resume());
        if (notice != null) {
            listener.info(role + ": " + notice);
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            if (teacher != null) {
                builder.optDistillation(recipe.distillation().parameters(), teacher.softTargets(rows, manager),
                        approval);
            }
            // Without labels the distilled student learns from the teacher alone; the rows (and so
            // the cached teacher outputs, indexed by row) are the same.
            ExampleSet trainRows = teacher != null && !recipe.distillation().useLabels()
                    ? ExampleSets.withoutLabels(rows) : rows;
            listener.info(role + ": training " + spec.describe() + " for " + config.epochs() + " epochs");
            try (SavedModel model = SavedModel.create(spec, data.train().featureShape(), data.train().classNames(),
                    data.textFeatures())) {
                ClassifierTrainer.Result result = builder.build().fit(model, trainRows, data.validation());
                model.save(dir);
                new TrainingRecord(role, fingerprint, result.history()).write(dir);
                documentation(role, teacher == null ? null : teacher.identity(data.train()), approval,
                        teacher == null ? null : teacher.labelCollection()).write(dir, data, recipe.seed(), Map.of());
            }
        }
        return dir;
    }

    private boolean trainsTeacher() {
        return recipe.teacher().source().equals("train");
    }

    /** What the model card and provenance of a role say about how it was made. */
    private ModelDocumentation documentation(String role, TeacherIdentity teacher, GateApproval approval,
            Map<String, Object> labelCollection) {
        boolean isTeacher = role.equals(TEACHER);
        ModelSpec spec = isTeacher ? recipe.teacher().model() : recipe.student().model();
        TrainingConfig config = isTeacher ? recipe.teacher().training() : recipe.student().training();
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("model", TREE.convertValue(spec, Map.class));
        training.put("training", TREE.convertValue(config, Map.class));
        if (approval != null) {
            training.put("distillation", TREE.convertValue(recipe.distillation(), Map.class));
        }
        String name = switch (role) {
            case STUDENT_DISTILLED -> approval == null ? recipe.student().name() : approval.studentName();
            case STUDENT_SCRATCH -> recipe.student().name() + "-scratch";
            default -> recipe.name() + "-teacher";
        };
        return new ModelDocumentation(role, name, spec.describe(), teacher, approval, training, labelCollection,
                recipe.teacher().terms());
    }

    private ModelResult evaluateStudent(Path dir, ExampleSet test, Predictions teacherTest, NDManager manager)
            throws IOException {
        TrainingRecord record = TrainingRecord.read(dir);
        try (SavedModel model = SavedModel.load(dir)) {
            ModelMetrics m = Evaluator.builder().optTeacherPredictions(teacherTest)
                    .optLatencyRuns(recipe.evaluation().latencyRuns())
                    .optThroughputBatch(recipe.evaluation().throughputBatch()).build()
                    .evaluate(model, test);
            return new ModelResult(record == null ? dir.getFileName().toString() : record.role(),
                    model.describe(), m, record == null ? List.of() : record.history());
        }
    }
}
