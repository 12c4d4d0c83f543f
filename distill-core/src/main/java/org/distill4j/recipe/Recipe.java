package org.distill4j.recipe;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.Objects;
import org.distill4j.data.JsonlTextDataset;
import org.distill4j.data.TextFeatures;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainingConfig;

/**
 * One experiment, declared: data, teacher, student, distillation and evaluation. Built once from
 * YAML plus {@code --set} overrides by {@link RecipeLoader}, validated up front, immutable.
 *
 * @param name experiment name, 1-64 letters, digits, '.', '_', '-', starting with a letter or digit
 *     (it names the default output directory {@code runs/<name>})
 * @param seed seed of all randomness
 * @param data where the examples come from
 * @param teacher the teacher: trained here or loaded from a file
 * @param student the student architecture and its training
 * @param distillation temperature, alpha and how soft targets are produced
 * @param evaluation how serving cost is measured
 */
public record Recipe(
        String name,
        long seed,
        DataSection data,
        TeacherSection teacher,
        StudentSection student,
        DistillationSection distillation,
        EvaluationSection evaluation) {

    /** Validates presence of every section and fills defaults. */
    public Recipe {
        name = name == null ? "experiment" : name;
        // The name is the default output directory, runs/<name>: starting with a letter or digit
        // rules out '.', '..' and hidden or option-like names, so it stays inside runs/.
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("illegal name value: '" + org.distill4j.io.Snippets.clip(name)
                    + "', must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(teacher, "teacher");
        Objects.requireNonNull(student, "student");
        if (student.name() == null) {
            student =
                    new StudentSection(name + "-student", student.model(), student.training(), student.scratchEpochs());
        }
        distillation = distillation == null
                ? new DistillationSection(4.0, 0.9, null, null, null, null, null, null)
                : distillation;
        if (teacher.source().equals("http") && !distillation.mode().equals("cached")) {
            throw new IllegalArgumentException("illegal mode value: '" + distillation.mode()
                    + "' with teacher.source http: an API "
                    + "teacher's outputs are collected once, so use mode: cached");
        }
        if (distillation.crossFit() != null && !teacher.source().equals("train")) {
            throw new IllegalArgumentException("distillation.cross_fit trains k teachers of the recipe's architecture, "
                    + "so it needs teacher.source: train, not " + teacher.source());
        }
        if (data.splitsTeacherRows() && !teacher.source().equals("train")) {
            throw new IllegalArgumentException(
                    "data.teacher_split chooses the rows a teacher trained here learns from, "
                            + "but teacher.source is " + teacher.source() + " (remove teacher_split)");
        }
        if (data.studentLabelShare() < 1 && distillation.crossFit() != null) {
            // The fold teachers are trained on the distilled student's rows, whose labels the share hides.
            throw new IllegalArgumentException("data.labelled_share hides labels the cross-fitted fold teachers would "
                    + "learn from; distillation.cross_fit does not combine with it (use one or the other)");
        }
        if (data.splitsTeacherRows() && distillation.crossFit() != null) {
            throw new IllegalArgumentException("data.teacher_split already keeps the students' rows from the teacher; "
                    + "distillation.cross_fit does not combine with it (use one or the other)");
        }
        if (distillation.crossFit() != null && teacher.ensemble() > 1) {
            throw new IllegalArgumentException("distillation.cross_fit trains one teacher per fold; it does not "
                    + "combine with teacher.ensemble " + teacher.ensemble() + " (use one or the other)");
        }
        org.distill4j.train.Augmentation augment = student.training().augment();
        if (augment.mixes() && distillation.correctTeacher()) {
            throw new IllegalArgumentException("student.training.augment mixes rows (images or texts), and a mixed row "
                    + "has no label to correct the teacher with: set distillation.correct_teacher: false");
        }
        if (data.format().equals("jsonl") && (augment.shift() > 0 || augment.flip() || augment.cutmix() > 0)) {
            throw new IllegalArgumentException("student.training.augment " + augment + " has image augmentation, but "
                    + "data.format is jsonl (rows of n-gram ids): text takes drop and mixup (which mixes ids), not "
                    + "shift, flip or cutmix");
        }
        if (data.format().equals("idx") && augment.drop() > 0) {
            throw new IllegalArgumentException("student.training.augment drop " + augment.drop() + " drops n-gram ids "
                    + "of text rows, but data.format is idx (images): images take shift, flip, mixup and cutmix");
        }
        boolean scoresMixed =
                distillation.mode().equals("online") || distillation.mode().equals("views");
        if (augment.mixes() && (!scoresMixed || distillation.alpha() != 1.0)) {
            // Checked here, before a teacher is trained, as well as by the trainer.
            throw new IllegalArgumentException("student.training.augment mixes rows (mixup " + augment.mixup()
                    + ", cutmix " + augment.cutmix() + "): a mixed image or text has no label of its own, so it needs "
                    + "distillation.mode: online or views (the teacher scores the mixed rows; is "
                    + distillation.mode() + ") and alpha: 1 (no hard-label term; is " + distillation.alpha() + ")");
        }
        evaluation = evaluation == null ? new EvaluationSection(null, null) : evaluation;
    }

    /**
     * Where the data comes from.
     *
     * <p>{@code idx} (MNIST family): {@code dir} holds the four IDX files. {@code jsonl} (labelled
     * texts, see {@link JsonlTextDataset}): either {@code dir} holding {@code train.jsonl[.gz]},
     * {@code test.jsonl[.gz]} and optionally {@code validation.jsonl[.gz]}, or the files named by
     * {@code train}, {@code test} and optionally {@code validation}; rows are featurised as {@code
     * features} says. With a validation file, that file is the validation split and {@code
     * validation_fraction} must be absent; without one, {@code validation_fraction} of the training
     * rows (default 0.1) is held out. The text keys are errors for {@code idx}.
     *
     * @param format {@code idx} (default) or {@code jsonl}
     * @param dir data directory; required for idx, for jsonl unless {@code train} and {@code test}
     *     are given
     * @param train jsonl only: the training file (with {@code test}, instead of {@code dir})
     * @param validation jsonl only: the validation file, optional
     * @param test jsonl only: the test file
     * @param textField jsonl only: JSON field holding the text; default {@code text}
     * @param labelField jsonl only: JSON field holding the label; default {@code label}
     * @param idField jsonl only: JSON field holding the row id (optional in the data); default {@code id}
     * @param features jsonl only: how a text becomes features; default {@link TextFeatures#defaults()}
     * @param validationFraction fraction of the training rows held out for validation, in [0, 0.5];
     *     default 0.1; null for jsonl when absent (the validation file, or else 0.1, is used)
     * @param trainLimit use only the first N training rows (0 = all)
     * @param testLimit use only the first N test rows (0 = all)
     * @param labelledShare the share of the training rows whose labels the students may use, in (0,
     *     1]; absent = all. A seeded, class-stratified share ({@link
     *     org.distill4j.data.ExampleSets#labelledShare}, the recipe's seed): the scratch student
     *     trains on those rows alone, the distilled student on every training row with the other
     *     labels hidden (the teacher's outputs are all it learns there). A teacher trained here
     *     uses every label: it stands for a model trained on more labelled data than its student's
     *     owner has (a provider's, or another team's)
     * @param teacherSplit the share of the training rows a teacher trained here learns from, in (0,
     *     1); absent = all of them. A seeded share ({@link org.distill4j.data.ExampleSets#split}
     *     with a seed derived from the recipe's): the teacher trains on it, the students on the
     *     other rows, which the teacher never saw (so its outputs there are not remembered labels);
     *     {@code labelled_share} then applies to the students' rows
     * @param unlabelled jsonl only: a file of texts without labels (a {@code label} field, if
     *     present, is ignored) that the distilled student also learns from, through the teacher's
     *     outputs alone: a transfer set of the kind a team has in production traffic. The scratch
     *     student and a teacher trained here never see it; the data check counts held-out rows
     *     that repeat it
     */
    public record DataSection(
            String format,
            Path dir,
            Path train,
            Path validation,
            Path test,
            @JsonProperty("text_field") String textField,
            @JsonProperty("label_field") String labelField,
            @JsonProperty("id_field") String idField,
            TextFeatures features,
            @JsonProperty("validation_fraction") Double validationFraction,
            @JsonProperty("train_limit") Integer trainLimit,
            @JsonProperty("test_limit") Integer testLimit,
            @JsonProperty("labelled_share") Double labelledShare,
            @JsonProperty("teacher_split") Double teacherSplit,
            Path unlabelled) {

        /** The default share of the training rows held out when there is no validation file. */
        public static final double DEFAULT_VALIDATION_FRACTION = 0.1;

        /** Validates and fills defaults (validation fraction 0.1 for idx, no limits). */
        public DataSection {
            format = format == null ? "idx" : format;
            switch (format) {
                case "idx" -> {
                    Objects.requireNonNull(dir, "dir");
                    String[][] textKeys = {
                        {"train", str(train)},
                        {"validation", str(validation)},
                        {"test", str(test)},
                        {"text_field", textField},
                        {"label_field", labelField},
                        {"id_field", idField},
                        {"features", features == null ? null : features.toString()},
                        {"unlabelled", str(unlabelled)}
                    };
                    for (String[] k : textKeys) {
                        if (k[1] != null) {
                            throw new IllegalArgumentException("key '" + k[0] + "' is only for format jsonl, but "
                                    + "format is idx (the IDX files are found in dir)");
                        }
                    }
                    validationFraction = validationFraction == null ? DEFAULT_VALIDATION_FRACTION : validationFraction;
                }
                case "jsonl" -> {
                    boolean files = train != null || test != null || validation != null;
                    if (dir != null && files) {
                        throw new IllegalArgumentException("give either dir (holding train.jsonl[.gz], test.jsonl[.gz] "
                                + "and optionally validation.jsonl[.gz]) or the files train, test and optionally "
                                + "validation, not both");
                    }
                    if (dir == null && (train == null || test == null)) {
                        throw new IllegalArgumentException("format jsonl needs dir, or both train and test files "
                                + "(got train=" + train + ", test=" + test + ")");
                    }
                    if (validation != null && validationFraction != null) {
                        throw new IllegalArgumentException("validation_fraction is " + validationFraction
                                + " but a validation file is given (" + validation + "), which is the validation "
                                + "split; remove one of them");
                    }
                    textField = textField == null ? "text" : textField;
                    labelField = labelField == null ? "label" : labelField;
                    idField = idField == null ? "id" : idField;
                    new JsonlTextDataset.Fields(textField, labelField, idField);
                    features = features == null ? TextFeatures.defaults() : features;
                }
                default ->
                    throw new IllegalArgumentException("illegal format value: '" + format + "', allowed: [idx, jsonl]");
            }
            if (validationFraction != null && !(validationFraction >= 0 && validationFraction <= 0.5)) {
                throw new IllegalArgumentException(
                        "illegal validation_fraction value: " + validationFraction + ", must be in [0, 0.5]");
            }
            trainLimit = nonNegative("train_limit", trainLimit);
            testLimit = nonNegative("test_limit", testLimit);
            if (labelledShare != null && !(labelledShare > 0 && labelledShare <= 1)) {
                throw new IllegalArgumentException(
                        "illegal labelled_share value: " + labelledShare + ", must be in (0, 1] (the share of the "
                                + "training rows whose labels the students may use)");
            }
            if (teacherSplit != null && !(teacherSplit > 0 && teacherSplit < 1)) {
                throw new IllegalArgumentException(
                        "illegal teacher_split value: " + teacherSplit + ", must be in (0, 1) "
                                + "(the share of the training rows a teacher trained here learns from; the students get the rest)");
            }
        }

        /** Returns whether a teacher trained here learns from only part of the training rows. */
        public boolean splitsTeacherRows() {
            return teacherSplit != null;
        }

        /** Returns the share of the training rows whose labels the students may use: 1 when absent. */
        public double studentLabelShare() {
            return labelledShare == null ? 1.0 : labelledShare;
        }

        /** Returns the JSON field names of a jsonl source (null for idx). */
        public JsonlTextDataset.Fields fields() {
            return format.equals("jsonl") ? new JsonlTextDataset.Fields(textField, labelField, idField) : null;
        }

        /** Returns where the data is, in words: the directory, or the training file. */
        public String location() {
            return dir != null ? dir.toString() : String.valueOf(train);
        }

        private static String str(Path p) {
            return p == null ? null : p.toString();
        }
    }

    /**
     * The teacher.
     *
     * @param source {@code train} (train it here from {@code model} and {@code training}), {@code
     *     distill4j} (a saved distill4j model directory at {@code path}), {@code torchscript} (a
     *     {@code .pt} file at {@code path}), {@code onnx} (a {@code .onnx} file at {@code path}) or {@code http} (a model behind an HTTP API, see {@code
     *     http})
     * @param path model directory or file, for the loading sources
     * @param model architecture, for {@code train}
     * @param training how to train it, for {@code train}
     * @param terms id of the teacher's terms in the terms registry (e.g. {@code llama-3.1}, {@code
     *     mit}); without it the terms are unknown and distillation needs an acknowledgement
     * @param termsFile a user terms file (same schema as the built-in registry) loaded on top of it
     * @param http the endpoint and collection settings, for {@code http}
     * @param ensemble for {@code train}: how many teachers of {@code model} and {@code training} to
     *     train (member m with seed {@code seed + m - 1}, all on the same split) and distil as one, the
     *     mean of their probabilities ({@link org.distill4j.teacher.EnsembleTeacher}); default 1, at
     *     most {@value org.distill4j.teacher.EnsembleTeacher#MAX_MEMBERS}
     */
    public record TeacherSection(
            String source,
            Path path,
            ModelSpec model,
            TrainingConfig training,
            String terms,
            @JsonProperty("terms_file") Path termsFile,
            HttpSection http,
            Integer ensemble) {

        /** Validates that each source has what it needs. */
        public TeacherSection {
            source = source == null ? "train" : source;
            if (ensemble != null && ensemble > 1 && !source.equals("train")) {
                throw new IllegalArgumentException("teacher.ensemble trains several teachers, so it needs "
                        + "teacher.source: train, not " + source);
            }
            ensemble = ensemble == null ? 1 : ensemble;
            if (ensemble < 1 || ensemble > org.distill4j.teacher.EnsembleTeacher.MAX_MEMBERS) {
                throw new IllegalArgumentException("illegal ensemble value: " + ensemble + ", must be in [1, "
                        + org.distill4j.teacher.EnsembleTeacher.MAX_MEMBERS + "]");
            }
            switch (source) {
                case "train" -> {
                    Objects.requireNonNull(model, "model");
                    Objects.requireNonNull(training, "training");
                }
                case "distill4j", "torchscript", "onnx" -> Objects.requireNonNull(path, "path");
                case "http" -> Objects.requireNonNull(http, "http");
                default ->
                    throw new IllegalArgumentException("illegal source value: '" + source
                            + "', allowed: [train, distill4j, torchscript, http, onnx]");
            }
            if (http != null && !source.equals("http")) {
                throw new IllegalArgumentException("teacher.http is set but teacher.source is '" + source
                        + "': set source: http to use it, or remove the http section");
            }
        }
    }

    /**
     * A teacher behind an HTTP API, whose outputs are collected once (journalled, resumable) before
     * the student trains; see docs/http-teachers.md.
     *
     * @param protocol {@code v2} (Open Inference Protocol v2: KServe, Triton, DJL Serving, {@code
     *     distill serve}), {@code openai} (chat completions) or {@code anthropic} (Messages API, hard
     *     labels)
     * @param url the server's base URL, e.g. {@code http://127.0.0.1:8080}
     * @param model the model name
     * @param version v2 only: the model version to pin, or absent for the server's default
     * @param apiKeyEnv name of the environment variable holding the API key (never the key itself)
     * @param apiKeyFile a file holding the API key (at most one of the two)
     * @param input v2 only: {@code text} (BYTES, the row's text) or {@code features} (FP32);
     *     default text for text data, features otherwise
     * @param inputName v2 only: the input tensor's name; default {@code text} or {@code input}
     * @param output v2 only: {@code logits} (default) or {@code probabilities}
     * @param outputName v2 only: the output tensor to read; default the first
     * @param promptTemplate openai only: the user message, with {@code {text}} and {@code
     *     {labels}}; default asks for the label only
     * @param topLogprobs openai only: alternatives per token, in [1, 20]
     * @param maxTokens openai only: generation limit
     * @param batchSize v2: rows per request; openai: 1
     * @param concurrency requests in flight, in [1, 256]
     * @param requestsPerMinute request rate limit, 0 = unlimited
     * @param tokensPerMinute token rate limit, 0 = unlimited
     * @param timeoutSeconds per-request timeout, &gt; 0
     * @param maxAttempts attempts per request before an item is reported failed
     *     (numbers left out take the collector's defaults, docs/http-teachers.md)
     * @param evaluateTest also collect the teacher's outputs on the test rows, for its accuracy and
     *     the students' agreement with it (costs one more pass); default true
     * @param labels openai only: {@code logprobs} (soft labels from top_logprobs; default), {@code
     *     text} (hard labels from the answer) or {@code samples} (soft labels from {@code samples}
     *     completions at temperature 1)
     * @param samples openai with {@code labels: samples}: completions per item, in [2, 128]; default 8
     * @param onMissingLogprobs openai with {@code labels: logprobs}: {@code fail} (default) or {@code
     *     text} (switch to hard labels) when the server answers without log-probabilities
     */
    public record HttpSection(
            String protocol,
            String url,
            String model,
            String version,
            @JsonProperty("api_key_env") String apiKeyEnv,
            @JsonProperty("api_key_file") Path apiKeyFile,
            String input,
            @JsonProperty("input_name") String inputName,
            String output,
            @JsonProperty("output_name") String outputName,
            @JsonProperty("prompt_template") String promptTemplate,
            @JsonProperty("top_logprobs") Integer topLogprobs,
            @JsonProperty("max_tokens") Integer maxTokens,
            @JsonProperty("batch_size") Integer batchSize,
            Integer concurrency,
            @JsonProperty("requests_per_minute") Double requestsPerMinute,
            @JsonProperty("tokens_per_minute") Double tokensPerMinute,
            @JsonProperty("timeout_seconds") Double timeoutSeconds,
            @JsonProperty("max_attempts") Integer maxAttempts,
            @JsonProperty("evaluate_test") Boolean evaluateTest,
            String labels,
            Integer samples,
            @JsonProperty("on_missing_logprobs") String onMissingLogprobs) {

        /**
         * Refuses credentials and query strings in the URL before the recipe goes anywhere (it is
         * copied to {@code recipe.yaml}, provenance and logs); the message never echoes the URL.
         */
        private static void checkNoSecretsIn(String url) {
            int start = url.indexOf("//");
            String authority = start < 0 ? url : url.substring(start + 2);
            int slash = authority.indexOf('/');
            authority = slash < 0 ? authority : authority.substring(0, slash);
            if (authority.contains("@")) {
                throw new IllegalArgumentException("illegal url value: it holds credentials (user:password@); remove "
                        + "them and give the key with api_key_env or api_key_file");
            }
            if (url.contains("?") || url.contains("#")) {
                throw new IllegalArgumentException("illegal url value: it has a query string or fragment; give the "
                        + "server's base URL only (keys in query strings would end up in logs and the journal)");
            }
        }

        /** Checks the choices and fills defaults; the collector validates the rest. */
        public HttpSection {
            Objects.requireNonNull(protocol, "protocol");
            if (!protocol.equals("v2") && !protocol.equals("openai") && !protocol.equals("anthropic")) {
                throw new IllegalArgumentException(
                        "illegal protocol value: '" + protocol + "', allowed: [v2, openai, anthropic]");
            }
            Objects.requireNonNull(url, "url");
            checkNoSecretsIn(url);
            Objects.requireNonNull(model, "model");
            if (apiKeyEnv != null && apiKeyFile != null) {
                throw new IllegalArgumentException("api_key_env and api_key_file are both set: give one of them");
            }
            if (input != null && !input.equals("text") && !input.equals("features")) {
                throw new IllegalArgumentException("illegal input value: '" + input + "', allowed: [text, features]");
            }
            output = output == null ? "logits" : output;
            if (!output.equals("logits") && !output.equals("probabilities")) {
                throw new IllegalArgumentException(
                        "illegal output value: '" + output + "', allowed: [logits, probabilities]");
            }
            // Absent numbers stay null: the collector's defaults apply (one set of defaults,
            // documented in docs/http-teachers.md), and its validation names the recipe key.
            if (timeoutSeconds != null && !(timeoutSeconds > 0)) {
                throw new IllegalArgumentException(
                        "illegal timeout_seconds value: " + timeoutSeconds + ", must be > 0");
            }
            evaluateTest = evaluateTest == null || evaluateTest;
            if (labels != null) {
                org.distill4j.teacher.http.HttpTeacherConfig.LabelSource.parse(labels);
            }
            if (onMissingLogprobs != null) {
                org.distill4j.teacher.http.HttpTeacherConfig.MissingLogprobs.parse(onMissingLogprobs);
            }
        }
    }

    /**
     * The student; the same architecture and training are used for the scratch and the distilled
     * student, so the comparison is fair, except for the number of epochs where {@code
     * scratch_epochs} gives the scratch twin its own: a student that learns from labels alone
     * overfits sooner than one matching a teacher's outputs on changing views, so each should
     * train as long as its validation score says.
     *
     * @param name the distilled student's name, as published (model card, provenance); some
     *     teachers' terms prescribe it (e.g. a "Llama" prefix); default {@code <recipe name>-student}
     * @param model architecture
     * @param training how to train it
     * @param scratchEpochs the scratch student's epochs, in [1, 10000], its schedule stretched over
     *     them; null (absent) = {@code training.epochs}
     */
    public record StudentSection(
            String name,
            ModelSpec model,
            TrainingConfig training,
            @JsonProperty("scratch_epochs") Integer scratchEpochs) {

        /** Requires model and training. */
        public StudentSection {
            if (name != null && !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,95}")) {
                throw new IllegalArgumentException("illegal name value: '" + org.distill4j.io.Snippets.clip(name)
                        + "', must be 1-96 letters, digits, '.', '_' or '-', starting with a letter or digit");
            }
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(training, "training");
            if (scratchEpochs != null && (scratchEpochs < 1 || scratchEpochs > 10_000)) {
                throw new IllegalArgumentException(
                        "illegal scratch_epochs value: " + scratchEpochs + ", must be in [1, 10000]");
            }
        }

        /** A student section that trains both students alike. */
        public StudentSection(String name, ModelSpec model, TrainingConfig training) {
            this(name, model, training, null);
        }

        /**
         * How the scratch student trains: {@link #training()}, with {@code scratch_epochs} when set
         * and without mixup or cutmix, which need a teacher's target for the mixed row (a mixed
         * row has no label of its own): the twin keeps the per-row shifts, flips and drops.
         */
        public TrainingConfig scratchTraining() {
            if (scratchEpochs == null && !training.augment().mixes()) {
                return training;
            }
            TrainingConfig.Builder b =
                    training.toBuilder().optAugmentation(training.augment().perRow());
            if (scratchEpochs != null) {
                b.setEpochs(scratchEpochs);
            }
            return b.build();
        }
    }

    /**
     * Distillation settings.
     *
     * @param temperature T, finite and &gt; 0; default 4
     * @param alpha weight of the soft term in [0, 1]; default 0.9
     * @param mode {@code cached} (teacher outputs computed once and reused; default) or {@code
     *     online} (teacher forward on every batch on the student's augmented view, needed with
     *     mixup or cutmix) or {@code views} (the teacher's outputs on {@code views} fixed shifted or
     *     flipped views of every row, computed once and replayed in turn, one view per epoch)
     * @param views K for mode {@code views}, in [1, 1000]; default 4; only with that mode
     * @param crossFit k of cross-fitted teacher outputs ({@code cross_fit}, in [2, 20]; absent =
     *     off): each training row's soft targets come from a teacher of the recipe's architecture
     *     trained on the other k - 1 folds ({@link org.distill4j.train.CrossFit}); mode {@code
     *     cached} with {@code teacher.source: train} only
     * @param useLabels whether the distilled student also sees the true labels (default true);
     *     false trains it on the teacher's outputs alone (every training row unlabeled, so alpha
     *     must be 1), as when the only labels are the teacher's. The scratch student always keeps
     *     the labels.
     * @param correctTeacher whether the teacher's top class is swapped with the label where they
     *     differ ({@link KdParameters#correctTeacher()}); default false; needs the labels
     * @param calibrateTeacher whether the teacher's logits are divided by the temperature that
     *     minimises its cross-entropy on the validation split before T ({@code calibrate_teacher};
     *     {@link org.distill4j.eval.TemperatureScaling}, {@link KdParameters#teacherCalibration()}):
     *     a teacher that fits its training rows almost perfectly gives them the confidence it has
     *     on rows it did not see; default false; needs a validation split, not with {@code
     *     cross_fit}
     */
    public record DistillationSection(
            Double temperature,
            Double alpha,
            String mode,
            @JsonProperty("use_labels") Boolean useLabels,
            Integer views,
            @JsonProperty("cross_fit") Integer crossFit,
            @JsonProperty("correct_teacher") Boolean correctTeacher,
            @JsonProperty("calibrate_teacher") Boolean calibrateTeacher) {

        /** Validates through {@link KdParameters} and the allowed modes. */
        public DistillationSection {
            temperature = temperature == null ? 4.0 : temperature;
            alpha = alpha == null ? 0.9 : alpha;
            new KdParameters(temperature, alpha);
            mode = mode == null ? "cached" : mode;
            useLabels = useLabels == null || useLabels;
            if (!useLabels && alpha != 1.0) {
                throw new IllegalArgumentException("use_labels is false, so there is no hard-label term to weigh; "
                        + "alpha is " + alpha + ", must be 1.0");
            }
            if (!mode.equals("cached") && !mode.equals("online") && !mode.equals("views")) {
                throw new IllegalArgumentException(
                        "illegal mode value: '" + mode + "', allowed: [cached, online, views]");
            }
            if (views != null && !mode.equals("views")) {
                throw new IllegalArgumentException("views is only used with mode: views, not mode: " + mode);
            }
            if (crossFit != null && (crossFit < 2 || crossFit > 20)) {
                throw new IllegalArgumentException("illegal cross_fit value: " + crossFit + ", must be in [2, 20]");
            }
            if (crossFit != null && !mode.equals("cached")) {
                throw new IllegalArgumentException("cross_fit computes the teacher's outputs once per row, so it needs "
                        + "mode: cached, not mode: " + mode);
            }
            if (mode.equals("views") && views == null) {
                views = 4;
            }
            if (views != null && (views < 1 || views > 1000)) {
                throw new IllegalArgumentException("illegal views value: " + views + ", must be in [1, 1000]");
            }
            correctTeacher = correctTeacher != null && correctTeacher;
            if (correctTeacher && !useLabels) {
                throw new IllegalArgumentException(
                        "correct_teacher swaps the teacher's top class with the label, so it "
                                + "needs the labels: use_labels is false");
            }
            calibrateTeacher = calibrateTeacher != null && calibrateTeacher;
            if (calibrateTeacher && crossFit != null) {
                throw new IllegalArgumentException("calibrate_teacher fits a temperature to the teacher on the "
                        + "validation split, but cross_fit's soft targets come from other teachers (one per fold): "
                        + "use one or the other");
            }
        }

        /**
         * The record's form, with {@code correctTeacher} and {@code calibrateTeacher} only when set:
         * this string is part of the distilled student's training fingerprint, so students trained
         * before those keys existed are still recognised and reused.
         */
        @Override
        public String toString() {
            return "DistillationSection[temperature=" + temperature + ", alpha=" + alpha + ", mode=" + mode
                    + ", useLabels=" + useLabels + ", views=" + views + ", crossFit=" + crossFit
                    + (correctTeacher ? ", correctTeacher=true" : "")
                    + (calibrateTeacher ? ", calibrateTeacher=true" : "") + "]";
        }

        /** Returns (T, alpha) and whether the teacher is corrected. */
        public KdParameters parameters() {
            return new KdParameters(temperature, alpha, correctTeacher);
        }
    }

    /**
     * How serving cost is measured.
     *
     * @param latencyRuns single-row inferences timed for the latency percentiles, in [10, 100000];
     *     default 300
     * @param throughputBatch batch size for throughput, in [1, 65536]; default 256
     */
    public record EvaluationSection(
            @JsonProperty("latency_runs") Integer latencyRuns,
            @JsonProperty("throughput_batch") Integer throughputBatch) {

        /** Validates and fills defaults. */
        public EvaluationSection {
            latencyRuns = latencyRuns == null ? 300 : latencyRuns;
            if (latencyRuns < 10 || latencyRuns > 100_000) {
                throw new IllegalArgumentException(
                        "illegal latency_runs value: " + latencyRuns + ", must be in [10, 100000]");
            }
            throughputBatch = throughputBatch == null ? 256 : throughputBatch;
            if (throughputBatch < 1 || throughputBatch > 65_536) {
                throw new IllegalArgumentException(
                        "illegal throughput_batch value: " + throughputBatch + ", must be in [1, 65536]");
            }
        }
    }

    private static int nonNegative(String field, Integer value) {
        if (value == null) {
            return 0;
        }
        if (value < 0) {
            throw new IllegalArgumentException("illegal " + field + " value: " + value + ", must be >= 0 (0 = all)");
        }
        return value;
    }
}
