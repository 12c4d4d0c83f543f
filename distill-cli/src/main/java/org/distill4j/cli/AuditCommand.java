package org.distill4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.distill4j.audit.AuditException;
import org.distill4j.audit.AuditReport;
import org.distill4j.audit.AuditResult;
import org.distill4j.audit.AuditedModel;
import org.distill4j.audit.AuditedModels;
import org.distill4j.audit.DistillationAudit;
import org.distill4j.audit.ReferenceTraining;
import org.distill4j.audit.WatermarkAudit;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.TextExampleSet;
import org.distill4j.guard.WatermarkDetector;
import org.distill4j.guard.WatermarkKey;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.teacher.http.ApiKey;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distill audit --suspect S --teacher T --reference R... --data DIR}: was the suspect
 * distilled from the teacher? A thin shell over {@link DistillationAudit}.
 */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = {
            "Test whether a suspect model was distilled from a teacher: query suspect, teacher and "
                    + "independent reference models on probes chosen to expose the teacher's idiosyncrasies, and report "
                    + "a p-value, an effect size and a verdict (see docs/audit.md for the test and its assumptions).",
            "Each model is a distill4j model directory, a TorchScript file or an Open Inference Protocol v2 URL "
                    + "http://host:port/v2/models/NAME. Writes OUT/audit.json and OUT/audit.html."
        })
final class AuditCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--suspect",
            paramLabel = "MODEL",
            description = "The suspect model (required): a model directory, a TorchScript file or an Open Inference "
                    + "Protocol v2 URL http[s]://host:port/v2/models/NAME; with a language-model watermark key, a "
                    + "language-model directory or an OpenAI-compatible URL http[s]://host:port/v1/models/NAME (read "
                    + "through /v1/completions: echo, logprobs 20).")
    String suspect;

    @Option(
            names = "--teacher",
            paramLabel = "MODEL",
            description = "The teacher model (required, except with --watermark-key-file, where it is the optional "
                    + "clean baseline; for a language-model key, the model that served the watermarked outputs, "
                    + "before the watermark: the suspect's log-probabilities are tested against it, the far stronger "
                    + "test, and it is required for a suspect behind an API).")
    String teacher;

    @Option(
            names = "--watermark-key-file",
            paramLabel = "FILE",
            description = "Instead of the reference test: test the suspect for the watermark of this key (as served "
                    + "by distill serve --watermark-key-file). Writes OUT/watermark.json; the key is never shown.")
    Path watermarkKeyFile;

    @Option(
            names = "--generate-watermark-key",
            paramLabel = "FILE",
            description = "Write a new random watermark key to FILE (owner-readable only) and exit: one component "
                    + "per class, its direction drawn from (up to 10,000) training rows of --data: images, or "
                    + "texts (featurised as the --teacher model directory or the recipe says).")
    Path newWatermarkKey;

    @Option(
            names = "--lm",
            description = "With --generate-watermark-key: a key for a language model (distill serve LM_DIR "
                    + "--watermark-key-file): green lists over the vocabulary, keyed by the previous token; no --data.")
    boolean lmKey;

    @Option(
            names = "--watermark-gamma",
            paramLabel = "G",
            defaultValue = "0.25",
            description =
                    "With --generate-watermark-key --lm: green share of the vocabulary (default: ${DEFAULT-VALUE}).")
    double watermarkGamma;

    @Option(
            names = "--watermark-delta",
            paramLabel = "D",
            defaultValue = "1.0",
            description = "With --generate-watermark-key --lm: logit raise of green tokens in nats (default: "
                    + "${DEFAULT-VALUE}; the KL to the clean distribution is at most D per position).")
    double watermarkDelta;

    @Option(
            names = "--watermark-context",
            paramLabel = "N",
            defaultValue = "2",
            description = "With --generate-watermark-key --lm: tokens of context each green list is keyed by, 1 or 2 "
                    + "(default: ${DEFAULT-VALUE}; more distinct contexts make a stronger test).")
    int watermarkContext;

    @Option(
            names = "--watermark-keep-top",
            description = "With --generate-watermark-key --lm: never let a green token overtake the clean model's most "
                    + "likely token (top-1 and greedy text unchanged; a little less signal).")
    boolean watermarkKeepTop;

    @Option(
            names = "--watermark-amplitude",
            paramLabel = "EPS",
            defaultValue = "0.01",
            description = "Probability mass of a new key's signal (default: ${DEFAULT-VALUE}; KL to the clean output "
                    + "is at most ln(1 + 2 EPS) on every input and a little under EPS on average).")
    double watermarkAmplitude;

    @Option(
            names = "--reference",
            paramLabel = "MODEL",
            description = "An independent reference model trained for the same task (repeatable; at least 2, "
                    + "5 or more recommended, covering the teacher's and the suspect's architectures).")
    List<String> references = new ArrayList<>();

    @Option(
            names = "--null-model",
            paramLabel = "MODEL",
            description = "An independent model like the suspect (its architecture and recipe, as far as known), not a "
                    + "reference (repeatable; none, or at least 2). With null models the references (best: of the "
                    + "teacher's architecture and recipe) only make the consensus, and the suspect's score is compared "
                    + "with the null models', scored the same way (docs/audit.md).")
    List<String> nullModels = new ArrayList<>();

    @Option(
            names = "--train-references",
            paramLabel = "RECIPE",
            description = "Train references and null models from this recipe into OUT/references/ (from scratch on "
                    + "its data and true labels, seeds of their own): references of its teacher's architecture and "
                    + "null models of its student's; for a recipe that trains no teacher, references of its "
                    + "student's architecture and no null models.")
    Path referenceRecipe;

    @Option(
            names = "--reference-count",
            paramLabel = "K",
            defaultValue = "5",
            description = "How many references --train-references trains (default: ${DEFAULT-VALUE}).")
    int referenceCount;

    private static final int RECOMMENDED_NULL_MODELS = org.distill4j.audit.DistillationAudit.RECOMMENDED_NULL_MODELS;

    @Option(
            names = "--null-count",
            paramLabel = "N",
            defaultValue = "" + RECOMMENDED_NULL_MODELS,
            description = "How many null models --train-references trains (default: ${DEFAULT-VALUE}; they are the "
                    + "test's sample, and with fewer one unlucky draw of them flags honest models more often: "
                    + "docs/audit.md).")
    int nullCount;

    @Option(
            names = "--reference-epochs",
            paramLabel = "E",
            defaultValue = "0",
            description = "Epochs per trained reference and null model (default: the recipe's; other epochs than "
                    + "the teacher's make the references differ from it systematically, which the evaluation found "
                    + "invalidates the test: for quick trials only).")
    int referenceEpochs;

    @Option(
            names = "--data",
            paramLabel = "PATH",
            description = "Where the probes are drawn from: an IDX directory (its test split), a JSON Lines "
                    + "directory (test.jsonl[.gz]) or file of texts (featurised as the teacher's model.json says) "
                    + "or of feature rows (a distill serve --record-queries log), "
                    + "or a recipe (.yaml: the test split of its data section). Default with --train-references: "
                    + "that recipe's test split.")
    Path dataDir;

    @Option(
            names = "--queries",
            paramLabel = "N",
            defaultValue = "1000",
            description = "Probes the suspect is asked about (default: ${DEFAULT-VALUE}).")
    int queries;

    @Option(
            names = "--alpha",
            paramLabel = "A",
            defaultValue = "0.01",
            description = "Significance level of the verdict (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Seed of probe selection.")
    long seed;

    @Option(
            names = "--watermark-regressors",
            paramLabel = "DESIGN",
            description = "With --watermark-key-file (a classifier key): the statistic's design, compact (the "
                    + "default with --teacher: four key-independent regressors per component, components "
                    + "weighted by their rows) or full (the default without --teacher, and the statistic of "
                    + "distill4j before 2026-12-05: every class's log-probability as a regressor). Both p-values "
                    + "are exact.")
    String watermarkRegressors;

    @Option(
            names = "--api-key-file",
            paramLabel = "FILE",
            description = "File holding the API key for HTTP models (sent only in the Authorization header).")
    Path apiKeyFile;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = "audit-out",
            description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (newWatermarkKey != null) {
            return generateKey();
        }
        if (suspect == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--suspect MODEL is required");
        }
        if (watermarkKeyFile != null) {
            return watermark();
        }
        if (teacher == null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--teacher MODEL is required (unless --watermark-key-file is given)");
        }
        if (isLanguageModel(teacher) || isLanguageModel(suspect)) {
            return languageModelAudit();
        }
        if (dataDir == null && referenceRecipe == null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--data DIR is required (or --train-references RECIPE, whose test split is then used)");
        }
        ApiKey key = apiKeyFile == null ? ApiKey.none() : ApiKey.fromFile(apiKeyFile);
        Path work = out.resolve("work");
        List<String> refSpecs = new ArrayList<>(references);
        List<String> nullSpecs = new ArrayList<>(nullModels);
        Recipe recipe = referenceRecipe == null ? null : RecipeLoader.load(referenceRecipe, List.of());
        ReferenceTraining.Models trained = null;
        if (recipe != null) {
            System.out.printf(
                    Locale.ROOT,
                    "Training %d reference models (%s) from %s, from scratch on its data and true labels, into %s ...%n",
                    referenceCount,
                    ReferenceTraining.trainsNullModels(recipe)
                            ? "its teacher's architecture, and " + nullCount + " null models of its student's"
                            : "its student's architecture: the recipe trains no teacher",
                    referenceRecipe,
                    out.resolve("references"));
            if (referenceEpochs > 0) {
                System.err.println("warning: --reference-epochs " + referenceEpochs + " trains the references "
                        + "otherwise than the recipe trains its teacher; references that differ from the teacher "
                        + "systematically make the test invalid (in the evaluation, 14 of 20 honest models below "
                        + "0.01: docs/audit.md, \"Why the null failed in run 1\")");
            }
            trained = ReferenceTraining.train(
                    recipe, referenceCount, nullCount, referenceEpochs, out.resolve("references"));
            trained.references().forEach(p -> refSpecs.add(p.toString()));
            trained.nullModels().forEach(p -> nullSpecs.add(p.toString()));
        }
        List<String> all = new ArrayList<>();
        all.add(teacher);
        all.add(suspect);
        all.addAll(refSpecs);
        all.addAll(nullSpecs);
        ExampleSet data = dataDir != null ? AuditData.load(dataDir, all) : AuditData.fromRecipe(recipe);
        List<AuditedModel> opened = new ArrayList<>();
        try {
            AuditedModel t = open(teacher, key, work, opened);
            AuditedModel s = open(suspect, key, work, opened);
            List<AuditedModel> refs = new ArrayList<>();
            for (String r : refSpecs) {
                refs.add(open(r, key, work, opened));
            }
            List<AuditedModel> nulls = new ArrayList<>();
            for (String m : nullSpecs) {
                nulls.add(open(m, key, work, opened));
            }
            AuditResult r = DistillationAudit.builder()
                    .setTeacher(t)
                    .setSuspect(s)
                    .addReferences(refs)
                    .addNullModels(nulls)
                    .setData(data)
                    .optQueries(queries)
                    .optAlpha(alpha)
                    .optSeed(seed)
                    .optReferencesTrained(recipe != null)
                    .build()
                    .run();
            AuditReport.write(r, out);
            printResult(r);
            if (trained != null) {
                System.out.println("references: " + refSpecs.size() + " (" + referenceCount + " of "
                        + trained.referenceArchitecture() + " trained by this audit from " + referenceRecipe + ")");
                if (trained.nullArchitecture() != null) {
                    System.out.println("null models: " + nullSpecs.size() + " (" + nullCount + " of "
                            + trained.nullArchitecture() + " trained by this audit: the recipe's student)");
                } else {
                    System.out.println("null models: none trained (the recipe trains no teacher, so the references "
                            + "are of its student's architecture; for the stronger test give --reference models of "
                            + "the teacher's architecture and --null-model ones of the suspect's, docs/audit.md)");
                }
            }
            r.queries().forEach((k, v) -> System.out.printf(Locale.ROOT, "queries: %d to %s%n", v, k));
            System.out.println("report: " + out.resolve(AuditReport.HTML).toAbsolutePath());
            return ExitCodes.OK;
        } catch (AuditException e) {
            System.err.println("distill: audit error: " + e.getMessage());
            return ExitCodes.DATA;
        } finally {
            opened.forEach(AuditedModel::close);
        }
    }

    private static void printResult(AuditResult r) {
        System.out.println(r.verdict());
        System.out.printf(
                Locale.ROOT,
                "p-value %.3g (t = %.2f, %d df; rank p-value %.3g), effect size %.2f "
                        + "%s SDs; idiosyncrasy correlation %.3f (references %s%s)%n",
                r.pValue(),
                r.statistic(),
                r.degreesOfFreedom(),
                r.rankPValue(),
                r.effectSize(),
                r.nullModels().isEmpty() ? "reference" : "null-model",
                r.suspectScore(),
                r.referenceScores().stream()
                        .map(v -> String.format(Locale.ROOT, "%.3f", v))
                        .toList(),
                r.nullModels().isEmpty()
                        ? ""
                        : "; null models "
                                + r.nullScores().stream()
                                        .map(v -> String.format(Locale.ROOT, "%.3f", v))
                                        .toList());
        if (!r.nullModels().isEmpty() && r.nullModels().size() < RECOMMENDED_NULL_MODELS) {
            System.out.printf(
                    Locale.ROOT,
                    "note: %d null models; with fewer than %d, one unlucky draw of them flags honest models more "
                            + "often (docs/audit.md, \"Twenty null models\")%n",
                    r.nullModels().size(),
                    RECOMMENDED_NULL_MODELS);
        }
    }

    /**
     * The reference test for language models ({@link org.distill4j.audit.LmDistillationAudit}): the
     * teacher, suspect, references and null models are language-model directories or
     * OpenAI-compatible URLs ({@code http[s]://host:port/v1/models/NAME}); the probes are the texts of
     * {@code --data}.
     */
    private int languageModelAudit() throws Exception {
        List<String> refSpecs = new ArrayList<>(references);
        List<String> nullSpecs = new ArrayList<>(nullModels);
        List<String> texts = null;
        if (referenceRecipe != null) {
            if (!org.distill4j.lm.experiment.LmRecipe.isLmRecipe(referenceRecipe)) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--train-references " + referenceRecipe + " is not a language-model recipe (data.format: "
                                + "text); the audit of language models trains its references from one");
            }
            if (referenceEpochs != 0) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--reference-epochs is for classifier recipes; a language-model recipe's training.steps apply");
            }
            org.distill4j.lm.experiment.LmRecipe lmRecipe =
                    org.distill4j.lm.experiment.LmRecipe.load(referenceRecipe, List.of());
            System.out.printf(
                    Locale.ROOT,
                    "Training %d reference language models (the recipe's teacher architecture) and %d null models "
                            + "(its student's), from scratch on its training split, into %s ...%n",
                    referenceCount,
                    nullCount,
                    out.resolve("references"));
            org.distill4j.audit.LmReferenceTraining.Models trained = org.distill4j.audit.LmReferenceTraining.train(
                    lmRecipe, referenceCount, nullCount, out.resolve("references"));
            trained.references().forEach(p -> refSpecs.add(p.toString()));
            trained.nullModels().forEach(p -> nullSpecs.add(p.toString()));
            if (dataDir == null) {
                texts = org.distill4j.lm.experiment.LmTrainingCorpus.read(lmRecipe).split().test().stream()
                        .map(org.distill4j.lm.corpus.Document::text)
                        .toList();
            }
        }
        if (dataDir == null && texts == null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--data TEXTS.jsonl|DIR is required: the probe texts every language model reads (or "
                            + "--train-references LM_RECIPE, whose test split is then used)");
        }
        if (texts == null) {
            texts = AuditData.texts(dataDir);
        }
        List<String> specs = new ArrayList<>();
        specs.add(teacher);
        specs.add(suspect);
        specs.addAll(refSpecs);
        specs.addAll(nullSpecs);
        ApiKey apiKey = apiKeyFile == null ? ApiKey.none() : ApiKey.fromFile(apiKeyFile);
        List<org.distill4j.lm.teacher.LocalLmTeacher> loaded = new ArrayList<>();
        try {
            // The tokenizer and context an API model is read with: the first model directory's.
            org.distill4j.lm.teacher.LocalLmTeacher first = null;
            for (String m : specs) {
                if (openAiModelUrl(m) == null) {
                    if (!isLanguageModel(m)) {
                        throw new CommandLine.ParameterException(
                                spec.commandLine(),
                                "a language-model audit takes language-model directories (model.json of a decoder) "
                                        + "or OpenAI-compatible URLs http[s]://host:port/v1/models/NAME; got " + m);
                    }
                    org.distill4j.lm.teacher.LocalLmTeacher lm =
                            org.distill4j.lm.teacher.LocalLmTeacher.load(Path.of(m));
                    loaded.add(lm);
                    first = first == null ? lm : first;
                }
            }
            if (first == null) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "a language-model audit needs at least one model directory (its tokenizer reads the "
                                + "probes and the APIs' answers)");
            }
            org.distill4j.lm.token.Tokenizer tokenizer = first.model().tokenizer();
            List<org.distill4j.audit.AuditedLm> audited = new ArrayList<>();
            int next = 0;
            for (String m : specs) {
                java.net.URI api = openAiModelUrl(m);
                audited.add(
                        api == null
                                ? org.distill4j.audit.AuditedLm.of(loaded.get(next++), m)
                                : org.distill4j.audit.AuditedLm.api(
                                        java.net.URI.create(m.substring(0, m.indexOf("/models/"))),
                                        m.substring(m.indexOf("/models/") + "/models/".length()),
                                        apiKey,
                                        tokenizer,
                                        first.contextLength()));
            }
            int refEnd = 2 + refSpecs.size();
            AuditResult r = org.distill4j.audit.LmDistillationAudit.builder()
                    .setTeacher(audited.get(0))
                    .setSuspect(audited.get(1))
                    .addReferences(audited.subList(2, refEnd))
                    .addNullModels(audited.subList(refEnd, audited.size()))
                    .setTokenizer(tokenizer)
                    .setTexts(texts)
                    .optPositions(queries)
                    .optAlpha(alpha)
                    .optSeed(seed)
                    .optReferencesTrained(referenceRecipe != null)
                    .build()
                    .run();
            AuditReport.write(r, out);
            printResult(r);
            if (referenceRecipe != null) {
                System.out.println(
                        "references: " + refSpecs.size() + ", null models: " + nullSpecs.size() + " (" + referenceCount
                                + " and " + nullCount + " trained by this audit from " + referenceRecipe + ")");
            }
            System.out.printf(
                    Locale.ROOT,
                    "probes: %d next-token positions of %s, windows of %d%n",
                    r.probesPerModel(),
                    dataDir != null ? dataDir : referenceRecipe + " (its test split)",
                    r.probeComposition().get("window"));
            r.queries().forEach((k, v) -> System.out.printf(Locale.ROOT, "windows read: %d by %s%n", v, k));
            System.out.println("report: " + out.resolve(AuditReport.HTML).toAbsolutePath());
            return ExitCodes.OK;
        } catch (AuditException e) {
            System.err.println("distill: audit error: " + e.getMessage());
            return ExitCodes.DATA;
        } finally {
            loaded.forEach(org.distill4j.lm.teacher.LocalLmTeacher::close);
        }
    }

    /** Whether {@code spec} names a language-model directory or a model behind an OpenAI-compatible API. */
    private static boolean isLanguageModel(String spec) {
        return spec != null && (openAiModelUrl(spec) != null || isLanguageModel(Path.of(spec)));
    }

    /** A key is never overwritten: an existing --generate-watermark-key file is a usage error. */
    private void refuseExistingKeyFile() {
        if (java.nio.file.Files.exists(newWatermarkKey)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--generate-watermark-key " + newWatermarkKey
                            + ": the file exists; a key is never overwritten (remove it first if you mean to replace it)");
        }
    }

    private int generateKey() throws java.io.IOException, org.distill4j.recipe.RecipeException {
        if (lmKey) {
            refuseExistingKeyFile();
            org.distill4j.guard.TokenWatermark key;
            try {
                key = org.distill4j.guard.TokenWatermark.generate(
                        watermarkGamma, watermarkDelta, watermarkContext, watermarkKeepTop);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--watermark-gamma/--watermark-delta/--watermark-context: " + e.getMessage());
            }
            key.save(newWatermarkKey);
            System.out.println("wrote language-model watermark key " + key.fingerprint() + " to " + newWatermarkKey
                    + " (gamma " + key.gamma() + ", delta " + key.delta() + ", context " + key.context()
                    + (key.keepsTop() ? ", keeps the top token" : "")
                    + "; keep it secret; only its fingerprint is ever shown)");
            return ExitCodes.OK;
        }
        if (dataDir == null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--generate-watermark-key needs --data DIR (the key's scale is measured on its training split)");
        }
        refuseExistingKeyFile();
        ExampleSet train = AuditData.loadTrain(dataDir, teacher == null ? List.of() : List.of(teacher));
        int n = Math.min(train.size(), 10_000);
        int[] rows = new int[n];
        java.util.Arrays.setAll(rows, i -> i);
        float[] x = new float[n * train.featureSize()];
        train.copyFeatures(rows, x);
        WatermarkKey.Input input =
                train instanceof TextExampleSet ? WatermarkKey.Input.NGRAM_IDS : WatermarkKey.Input.DENSE;
        WatermarkKey key =
                WatermarkKey.generateGrouped(x, train.featureSize(), train.numClasses(), watermarkAmplitude, input);
        key.save(newWatermarkKey);
        System.out.println("wrote watermark key " + key.fingerprint() + " to " + newWatermarkKey
                + " (keep it secret; only its fingerprint is ever shown)");
        return ExitCodes.OK;
    }

    /** Parses --watermark-regressors; null when not given. */
    private WatermarkDetector.Regressors regressors() {
        if (watermarkRegressors == null) {
            return null;
        }
        for (WatermarkDetector.Regressors r : WatermarkDetector.Regressors.values()) {
            if (r.name().equalsIgnoreCase(watermarkRegressors)) {
                if (r == WatermarkDetector.Regressors.COMPACT && teacher == null) {
                    throw new CommandLine.ParameterException(
                            spec.commandLine(),
                            "--watermark-regressors compact needs --teacher (the clean teacher is its baseline)");
                }
                return r;
            }
        }
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "--watermark-regressors: illegal value '" + watermarkRegressors + "', allowed: compact, full");
    }

    private int watermark() throws Exception {
        if (dataDir == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--watermark-key-file needs --data DIR");
        }
        if (org.distill4j.guard.TokenWatermark.isTokenKey(watermarkKeyFile)) {
            if (watermarkRegressors != null) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--watermark-regressors applies to a classifier's key; " + watermarkKeyFile
                                + " is a language-model key (its residual test has no such choice)");
            }
            return languageModelWatermark();
        }
        WatermarkKey key = WatermarkKey.load(watermarkKeyFile);
        ApiKey apiKey = apiKeyFile == null ? ApiKey.none() : ApiKey.fromFile(apiKeyFile);
        List<String> models = new ArrayList<>();
        if (teacher != null) {
            models.add(teacher);
        }
        models.add(suspect);
        ExampleSet data = AuditData.load(dataDir, models);
        List<AuditedModel> opened = new ArrayList<>();
        try {
            AuditedModel s = open(suspect, apiKey, out.resolve("work"), opened);
            AuditedModel t = teacher == null ? null : open(teacher, apiKey, out.resolve("work"), opened);
            WatermarkAudit.Result r =
                    WatermarkAudit.run(key, s, t, data, Math.min(queries, data.size()), alpha, seed, regressors());
            r.write(out);
            System.out.println(r.verdict());
            System.out.printf(
                    Locale.ROOT,
                    "statistic S = %.2f (%.2f null standard deviations) over %d components and %d rows; "
                            + "%d queries to the suspect%s; %s statistic%n",
                    r.test().statistic(),
                    r.test().standardised(),
                    r.test().components(),
                    r.test().rows(),
                    r.queries(),
                    t == null ? "" : " (clean teacher as baseline)",
                    r.test().regressors().name().toLowerCase(Locale.ROOT));
            if (t == null) {
                System.out.println("with the clean teacher (--teacher) the test takes out what every model "
                        + "shares and uses the compact statistic, stronger with many classes (docs/audit.md)");
            }
            System.out.println("result: " + out.resolve(WatermarkAudit.JSON).toAbsolutePath());
            return ExitCodes.OK;
        } catch (AuditException e) {
            System.err.println("distill: audit error: " + e.getMessage());
            return ExitCodes.DATA;
        } finally {
            opened.forEach(AuditedModel::close);
        }
    }

    /** The test of a language model for a {@link org.distill4j.guard.TokenWatermark} key. */
    private int languageModelWatermark() throws Exception {
        org.distill4j.guard.TokenWatermark key = org.distill4j.guard.TokenWatermark.load(watermarkKeyFile);
        java.net.URI api = openAiModelUrl(suspect);
        Path dir = api == null ? Path.of(suspect) : null;
        if (dir != null && !isLanguageModel(dir)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--watermark-key-file " + watermarkKeyFile + " is a language-model key, so --suspect must be a "
                            + "language-model directory (model.json of a decoder) or an OpenAI-compatible URL "
                            + "http[s]://host:port/v1/models/NAME; got " + suspect);
        }
        Path baselineDir = teacher == null ? null : Path.of(teacher);
        if (baselineDir != null && !isLanguageModel(baselineDir)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--teacher, the clean baseline of a language-model watermark audit, must be a language-model "
                            + "directory (the model that served the watermarked outputs, before the watermark); got "
                            + teacher);
        }
        if (api != null && baselineDir == null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "a suspect behind an API (" + suspect + ") needs --teacher LM_DIR, the clean model that served "
                            + "the watermarked outputs: the API's top-20 log-probabilities are tested against it, "
                            + "in its vocabulary");
        }
        List<String> texts = AuditData.texts(dataDir);
        ApiKey apiKey = apiKeyFile == null ? ApiKey.none() : ApiKey.fromFile(apiKeyFile);
        try (org.distill4j.lm.teacher.LocalLmTeacher base =
                        baselineDir == null ? null : org.distill4j.lm.teacher.LocalLmTeacher.load(baselineDir);
                org.distill4j.lm.teacher.LocalLmTeacher local =
                        dir == null ? null : org.distill4j.lm.teacher.LocalLmTeacher.load(dir)) {
            org.distill4j.lm.token.Tokenizer tokenizer =
                    local != null ? local.model().tokenizer() : base.model().tokenizer();
            org.distill4j.audit.AuditedLm s = local != null
                    ? org.distill4j.audit.AuditedLm.of(local, suspect)
                    : org.distill4j.audit.AuditedLm.api(
                            java.net.URI.create(suspect.substring(0, suspect.indexOf("/models/"))),
                            suspect.substring(suspect.indexOf("/models/") + "/models/".length()),
                            apiKey,
                            tokenizer,
                            base.contextLength());
            org.distill4j.audit.TokenWatermarkAudit.Result r = org.distill4j.audit.TokenWatermarkAudit.run(
                    key,
                    s,
                    base == null ? null : org.distill4j.audit.AuditedLm.of(base, teacher),
                    tokenizer,
                    texts,
                    queries,
                    alpha);
            r.write(out);
            System.out.println(r.verdict());
            if (r.residual() != null) {
                System.out.printf(
                        Locale.ROOT,
                        "residual test: S = %.4g (z = %.1f under H0) over %d distinct (context, token) cells, the "
                                + "baseline's %d most likely tokens at %d positions of %s%n",
                        r.residual().score(),
                        r.residual().z(),
                        r.residual().cells(),
                        org.distill4j.audit.TokenWatermarkAudit.TOP_K,
                        r.residual().positions(),
                        dataDir);
            }
            System.out.printf(
                    Locale.ROOT,
                    "%sargmax test: %d of %d distinct (context, predicted token) pairs green (expected %.0f, z = %.1f, "
                            + "p = %.3g) over %d positions of %s; %d %s%n",
                    r.residual() == null ? "" : "also, ",
                    r.test().green(),
                    r.test().pairs(),
                    key.gamma() * r.test().pairs(),
                    r.test().z(),
                    r.test().pValue(),
                    r.positions(),
                    dataDir,
                    r.queries(),
                    api == null ? "windows read" : "requests to the suspect's API");
            System.out.println("result: "
                    + out.resolve(org.distill4j.audit.TokenWatermarkAudit.JSON).toAbsolutePath());
            return ExitCodes.OK;
        } catch (AuditException e) {
            System.err.println("distill: audit error: " + e.getMessage());
            return ExitCodes.DATA;
        }
    }

    private static boolean isLanguageModel(Path dir) {
        return java.nio.file.Files.isDirectory(dir) && org.distill4j.server.ServedLanguageModel.isLanguageModel(dir);
    }

    /** The URL if {@code spec} names a model behind an OpenAI-compatible API ({@code .../v1/models/NAME}), else null. */
    private static java.net.URI openAiModelUrl(String spec) {
        if (!(spec.startsWith("http://") || spec.startsWith("https://"))) {
            return null;
        }
        int at = spec.indexOf("/models/");
        if (at < 0 || at + "/models/".length() >= spec.length() || spec.contains("/v2/models/")) {
            return null;
        }
        return java.net.URI.create(spec);
    }

    private static AuditedModel open(String spec, ApiKey key, Path work, List<AuditedModel> opened)
            throws java.io.IOException {
        AuditedModel m = AuditedModels.open(spec, key, work);
        opened.add(m);
        return m;
    }
}
