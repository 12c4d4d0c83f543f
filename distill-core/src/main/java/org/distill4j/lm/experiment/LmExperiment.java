package org.distill4j.lm.experiment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.data.CorruptDataException;
import org.distill4j.eval.PairedLossComparison;
import org.distill4j.experiment.DataCheck;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.SplitOverlap;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.corpus.WindowShare;
import org.distill4j.lm.loss.FullKl;
import org.distill4j.lm.loss.SampledKd;
import org.distill4j.lm.loss.SequenceLoss;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.loss.TopKKl;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.lm.teacher.MappedLmTeacher;
import org.distill4j.lm.teacher.TorchScriptLmTeacher;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.train.BestValidation;
import org.distill4j.lm.train.DocumentLosses;
import org.distill4j.lm.train.Evaluation;
import org.distill4j.lm.train.LmCheckpoint;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.LmTrainingConfig;
import org.distill4j.lm.train.TeacherSignal;
import org.distill4j.lm.train.TeacherText;
import org.distill4j.lm.train.UnigramBaseline;
import org.distill4j.provenance.Provenance;
import org.distill4j.provenance.ProvenanceManifest;
import org.distill4j.recipe.RecipeException;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.distill4j.teacher.http.lm.CompletionsTextClient;
import org.distill4j.teacher.http.lm.CompletionsTopKClient;
import org.distill4j.teacher.http.lm.HttpLmEvaluation;
import org.distill4j.teacher.http.lm.HttpTextCollector;
import org.distill4j.teacher.http.lm.HttpTopKCollector;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.terms.GateApproval;
import org.distill4j.terms.GateDecision;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.Permission;
import org.distill4j.terms.TermsRegistry;

/**
 * Runs an {@link LmRecipe} end to end: asks the {@link DistillationGate} first, reads and splits the
 * corpus, trains (or loads, or reaches over HTTP) the teacher, builds or reuses its cached outputs,
 * trains a scratch and a distilled student for the same number of training tokens, evaluates
 * everything on validation and test, and writes {@code metrics.json}, {@code results.md}, {@code
 * report.html} and the models (each with {@code provenance.json} and {@code MODEL_CARD.md}) into the
 * run directory. Not thread-safe; one instance per run.
 */
public final class LmExperiment {

    /**
     * @param cacheDir where teacher outputs are cached (null: {@code <out>/cache})
     * @param permission a recorded permission for a teacher whose terms prohibit distillation, or null
     * @param acknowledgeUnknownTerms proceed with a teacher whose terms nobody declared
     * @param resume continue interrupted trainings from their checkpoints in {@code
     *     <out>/checkpoints/<model>} (written every tenth of a training, deleted once the model is saved)
     */
    public record Options(Path cacheDir, String permission, boolean acknowledgeUnknownTerms, boolean resume) {

        /** Options without resume. */
        public Options(Path cacheDir, String permission, boolean acknowledgeUnknownTerms) {
            this(cacheDir, permission, acknowledgeUnknownTerms, false);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final LmRecipe recipe;
    private final Path out;
    private final Options options;
    private final PrintStream log;
    /** Each model's per-document test losses, by model name, for the paired comparison of this run. */
    private final Map<String, HeldOutLosses> heldOutLosses = new java.util.HashMap<>();

    /** An experiment writing into {@code out}, logging progress to {@code log}. */
    public LmExperiment(LmRecipe recipe, Path out, Options options, PrintStream log) {
        this.recipe = recipe;
        this.out = out;
        this.options = options;
        this.log = log;
    }

    /** The student name the gate is asked about: {@code student.name}, else {@code <name>-student}. */
    public String studentName() {
        return recipe.student().name() != null ? recipe.student().name() : recipe.name() + "-student";
    }

    /**
     * Asks the gate whether the student may learn from the recipe's teacher, before anything is
     * read or trained.
     *
     * @throws DistillationRefusedException if the teacher's terms do not allow it
     */
    public GateDecision checkTerms() throws DistillationRefusedException {
        return new DistillationGate().check(request());
    }

    /**
     * Reads and splits the recipe's corpus as {@link #run()} would (a streamed corpus is packed into
     * the cache directory, where the run finds it) and says what it holds: documents, bytes, windows,
     * and how many held-out documents have a near duplicate in training, with a warning when a split
     * by document lets more than 5% of the test documents repeat training text. Trains nothing.
     *
     * @throws IOException if the corpus cannot be read (the message names the file)
     */
    public DataCheck checkData() throws IOException {
        return checkData(DataCheck.Thresholds.DEFAULT);
    }

    /**
     * The same, warning when a split by document lets more than {@code thresholds.nearDuplicateShare()}
     * of the test documents repeat training text (the only threshold a corpus of documents has).
     */
    public DataCheck checkData(DataCheck.Thresholds thresholds) throws IOException {
        try (LmSplits data = LmSplits.open(recipe, cacheDir())) {
            Map<String, Object> info = data.info();
            info.put("train_windows", data.train().size());
            info.put("validation_bytes", data.validation().targetBytes());
            info.put("test_bytes", data.test().targetBytes());
            List<String> summary = new ArrayList<>();
            summary.add(corpusLine(info, data.train(), data.validation(), data.test()) + "; split by "
                    + (info.get("split_by") == null ? "document" : "near-duplicate group") + ", tokenizer "
                    + data.tokenizer().identity());
            List<String> warnings = new ArrayList<>();
            String overlap = SplitOverlap.describe((Map<?, ?>) info.get("split_overlap"), "documents");
            if (overlap != null) {
                summary.add(overlap);
            }
            if (info.get("split_overlap") instanceof Map<?, ?> o
                    && o.get("test_without_near_duplicate") instanceof Map<?, ?> novel) {
                summary.add(String.format(
                        Locale.ROOT,
                        "a run scores every model also on the %,d test documents without one (%,d bytes)",
                        ((Number) novel.get("documents")).longValue(),
                        ((Number) novel.get("bytes")).longValue()));
            }
            if (LmReport.splitLeaks(info, thresholds.nearDuplicateShare())) {
                warnings.add(LmReport.overlapSentence(info));
            }
            return new DataCheck(info, summary, warnings);
        }
    }

    /** The corpus in one line, as the run logs it and {@link #checkData()} prints it. */
    private String corpusLine(Map<String, Object> info, TokenWindows train, TokenWindows val, TokenWindows test) {
        return String.format(
                Locale.ROOT,
                "corpus: %,d documents, %,d bytes; train %,d windows of %d, validation %,d bytes, test %,d bytes",
                ((Number) info.get("documents")).longValue(),
                ((Number) info.get("bytes")).longValue(),
                train.size(),
                recipe.context(),
                val.targetBytes(),
                test.targetBytes());
    }

    /**
     * The gate's approval bound to {@code teacher}, the teacher once trained, loaded or named by its
     * endpoint: a student learns only from the teacher the approval names.
     *
     * @throws DistillationRefusedException if the teacher's terms do not allow it
     */
    public GateApproval approve(TeacherIdentity teacher) throws DistillationRefusedException {
        return new DistillationGate().approve(request().withTeacher(teacher));
    }

    private GateRequest request() {
        LmRecipe.Model t = recipe.teacher();
        TermsRegistry registry = TermsRegistry.load(t.termsFile() == null ? List.of() : List.of(t.termsFile()));
        GateRequest request = t.terms() == null
                ? GateRequest.unknownTeacher(studentName())
                : GateRequest.forTeacher(registry.get(t.terms()), studentName());
        if (options.permission() != null) {
            request = request.withPermission(Permission.recordedNow(
                    options.permission(), System.getProperty("user.name", "unknown"), java.time.Clock.systemUTC()));
        }
        if (options.acknowledgeUnknownTerms()) {
            request = request.acknowledgingUnknownTerms();
        }
        return request;
    }

    /**
     * Runs the experiment; returns what {@code metrics.json} holds.
     *
     * @throws DistillationRefusedException before anything trains, if the teacher's terms forbid it
     */
    public Map<String, Object> run() throws IOException, DistillationRefusedException, RecipeException {
        GateDecision decision = checkTerms();
        log.println("terms: " + decision.reason());
        Files.createDirectories(out);
        try (LmSplits data = LmSplits.open(recipe, cacheDir())) {
            if (data.streamed()) {
                log.println("corpus: streamed into token files " + data.info().get("packed")
                        + (data.reused() ? " (reused)" : ""));
            }
            return run(decision, data);
        }
    }

    private Map<String, Object> run(GateDecision decision, LmSplits data)
            throws IOException, DistillationRefusedException, RecipeException {
        heldOutLosses.clear();
        long seed = recipe.seedOrDefault();
        int ctx = recipe.context();
        Tokenizer tok = data.tokenizer();
        TokenWindows train = data.train();
        TokenWindows val = data.validation();
        TokenWindows test = data.test();
        HeldOut held = new HeldOut(val, test, data.novelTest());
        UnigramBaseline unigram = UnigramBaseline.fit(train, tok.vocabSize());
        Map<String, Object> corpusInfo = data.info();
        corpusInfo.put("train_tokens", train.targetTokens());
        corpusInfo.put("validation_bytes", val.targetBytes());
        corpusInfo.put("test_bytes", test.targetBytes());
        corpusInfo.put("test_tokens", test.targetTokens()); // bytes per token: 1 for bytes, more for a BPE
        log.println(corpusLine(corpusInfo, train, val, test));
        if (recipe.studentShare() < 1) {
            log.printf(
                    Locale.ROOT,
                    "students: %,d of the training documents (data.student_share %s), %,d windows; a teacher "
                            + "trained here uses all %,d windows%n",
                    ((Number) corpusInfo.get("student_documents")).longValue(),
                    recipe.studentShare(),
                    train.size(),
                    data.teacherTrain().size());
        }
        String overlap = LmReport.overlapSentence(corpusInfo);
        if (overlap != null) {
            log.println("corpus: " + overlap);
        }

        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("name", recipe.name());
        metrics.put("corpus", corpusInfo);
        metrics.put("tokenizer", tok.identity().toString());
        metrics.put("distillation", kdSettings());
        metrics.put("terms", decision.toMap()); // replaced by the approval once the teacher is known
        Map<String, Object> baseline = new LinkedHashMap<>();
        baseline.put("validation_bits_per_byte", unigram.evaluate(val).bitsPerByte());
        baseline.put("test_bits_per_byte", unigram.evaluate(test).bitsPerByte());
        if (held.novelTest() != null) {
            baseline.put(NOVEL_BITS, unigram.evaluate(held.novelTest()).bitsPerByte());
        }
        metrics.put("unigram", baseline);
        List<Map<String, Object>> models = new ArrayList<>();

        LanguageModel teacher = null; // a distill4j teacher, trained here or loaded
        TorchScriptLmTeacher module = null; // a TorchScript teacher: ids in, logits out, nothing else
        int[] httpTop1 = null; // an HTTP teacher's most likely next token at each test position, if evaluated
        try {
            Map<String, Object> teacherRow = new LinkedHashMap<>();
            String teacherHash;
            String teacherDescription;
            LmRecipe.Model ts = recipe.teacher();
            if (ts.http() != null) {
                teacherHash = "http:" + ts.http().url() + "#" + ts.http().model();
                teacherDescription = "OpenAI-compatible server " + ts.http().url() + ", model "
                        + ts.http().model();
                if (recipe.evaluatesHttpTeacher()) {
                    httpTop1 = evaluateHttpTeacher(teacherRow, teacherHash, corpusInfo, tok, held);
                }
            } else if (ts.path() != null && Files.isRegularFile(ts.path())) {
                // A file is a TorchScript module (a model is a directory); LmRecipe checked the tokenizer.
                module = TorchScriptLmTeacher.load(ts.path(), tok.identity(), ctx);
                teacherHash = module.identity().contentHash();
                teacherDescription =
                        "TorchScript language model " + ts.path() + " (" + tok.identity() + ", context " + ctx + ")";
                teacherRow.put("training_tokens_per_second", null);
                measureModule(teacherRow, module, tok, held);
            } else {
                if (ts.path() != null) {
                    teacher = LanguageModel.load(ts.path());
                    teacherHash = LanguageModel.contentHash(ts.path());
                    teacherDescription = "saved language model " + ts.path();
                    teacherRow.put("training_tokens_per_second", null);
                } else {
                    teacher = LanguageModel.create(recipe.decoder(ts, "teacher", tok.vocabSize()), tok, seed);
                    BestValidation best = ts.training().selectsBestValidation() ? new BestValidation(val) : null;
                    LmTrainer.Result r = LmTrainer.train(
                            teacher,
                            data.teacherTrain(),
                            new TokenCrossEntropy(),
                            TeacherSignal.none(),
                            config(ts.training(), seed),
                            checkpoint("teacher", ts.training().steps()),
                            best,
                            progress("teacher"));
                    recordSelection(teacherRow, best);
                    teacherRow.put(
                            "learning_rate_schedule",
                            ts.training().scheduleOrDefault().id());
                    teacherRow.put("training_tokens_per_second", r.tokensPerSecond());
                    teacherRow.put("training_tokens", r.tokens());
                    teacherRow.put("history", history(r.losses()));
                    Path dir = out.resolve("teacher");
                    teacher.save(dir);
                    deleteCheckpoints("teacher");
                    teacherHash = LanguageModel.contentHash(dir);
                    teacherDescription = "trained in this run: " + teacher;
                    writeModelFiles(
                            dir,
                            manifest(
                                    "teacher",
                                    recipe.name() + "-teacher",
                                    teacher,
                                    config(ts.training(), seed),
                                    "cross-entropy on the corpus",
                                    datasets(
                                            data.teacherTrain(),
                                            (String) corpusInfo.get("train_sha256"),
                                            val,
                                            test,
                                            corpusInfo,
                                            null),
                                    corpusInfo,
                                    tok,
                                    null,
                                    null));
                }
                int tc = teacher.config().contextLength();
                HeldOut teacherHeld = held;
                Tokenizer own = teacher.tokenizer();
                if (!own.identity().equals(tok.identity())) {
                    // A teacher of another vocabulary (sequence-level KD) reads the same texts in its own
                    // tokens: bits per byte compare across tokenizers, token ids do not.
                    teacherRow.put("evaluation_tokenizer", own.identity().toString());
                    teacherHeld = held.readBy(tok, own, ctx);
                }
                if (tc < ctx) {
                    // A teacher whose context is shorter than the window is evaluated on windows it can take.
                    teacherRow.put("evaluation_window", tc);
                    teacherHeld = teacherHeld.withContext(tc);
                }
                measure("teacher", teacherRow, teacher, teacherHeld, null);
            }
            teacherRow.put("model", "teacher");
            teacherRow.put("description", teacherDescription);
            models.add(0, teacherRow);
            log.println("teacher: " + teacherDescription);
            TeacherIdentity teacherId = ts.http() != null
                    ? new TeacherIdentity(
                            "http", ts.http().url() + "#" + ts.http().model(), teacherHash, teacherDescription)
                    : module != null
                            ? module.identity()
                            : new TeacherIdentity(
                                    LanguageModel.FORMAT,
                                    ts.path() != null
                                            ? ts.path().toString()
                                            : out.resolve("teacher").toString(),
                                    teacherHash,
                                    teacherDescription);
            GateApproval approval = approve(teacherId);
            metrics.put("terms", approval.toMap());

            // What the students see of an in-process teacher: its logits, and its generations.
            LmTeacher inProcess = teacher != null ? LocalLmTeacher.of(teacher, teacherHash) : module;
            if (teacher != null
                    && recipe.mapsVocabulary()
                    && !teacher.tokenizer().identity().equals(tok.identity())) {
                // A teacher of another tokenizer, seen in the student's (tokens of the same bytes).
                MappedLmTeacher mapped = MappedLmTeacher.byBytes(inProcess, teacher.tokenizer(), tok);
                teacherRow.put("vocabulary_map", "by token bytes");
                teacherRow.put("unmapped_student_tokens", mapped.unmappedTokens());
                log.printf(
                        Locale.ROOT,
                        "teacher: %s mapped into %s by token bytes (%d student tokens it lacks)%n",
                        teacher.tokenizer().identity(),
                        tok.identity(),
                        mapped.unmappedTokens());
                inProcess = mapped;
            }
            Generator teacherGenerator = teacher != null
                    ? new Generator(teacher)
                    : module != null ? Generator.recomputing(module::logits, tok, module.contextLength()) : null;
            if (inProcess != null && !"sequence".equals(recipe.variant())) {
                // Token-level KD: refuse another tokenizer or a short context before anything trains.
                inProcessSignal(inProcess, new TokenCrossEntropy(), tok, ctx);
            }
            TeacherTop1 teacherTop1 = teacherTop1(inProcess, httpTop1, tok, test);

            // The students: same architecture, seed, steps and batch, hence the same training tokens.
            LmTrainingConfig sc = config(recipe.student().training(), seed + 1);
            String studentTrainHash =
                    (String) corpusInfo.getOrDefault("student_train_sha256", corpusInfo.get("train_sha256"));
            if (recipe.trainScratch()) {
                models.add(trainStudent(
                        "student-scratch",
                        new TokenCrossEntropy(),
                        train,
                        TeacherSignal.none(),
                        sc,
                        held,
                        teacherTop1,
                        datasets(train, studentTrainHash, val, test, corpusInfo, null),
                        corpusInfo,
                        tok,
                        null,
                        null));
            }

            Map<String, Object> collection = new LinkedHashMap<>();
            String kdVariant = recipe.variant();
            // The transfer set: the students' documents, plus the teacher's continuations of
            // their prompts when asked for (the teacher then labels text the student has not got;
            // for sequence-level KD, the text is learnt as it is).
            TokenWindows transfer = train;
            String transferHash = studentTrainHash;
            if (recipe.teacherTextTokens() > 0) {
                Map<String, Object> textInfo = new LinkedHashMap<>();
                List<Document> text = teacherText(
                        teacherGenerator,
                        teacherHash,
                        data.trainDocuments(),
                        recipe.teacherTextTokens(),
                        tok,
                        textInfo);
                List<Document> all = new ArrayList<>(data.trainDocuments());
                all.addAll(text);
                transfer = TokenWindows.pack(all, tok, ctx);
                transferHash = Hashing.sha256(transferHash + "+teacher-text:" + textInfo.get("sha256"));
                textInfo.put("transfer_windows", transfer.size());
                collection.put("teacher_text", textInfo);
                log.printf(
                        Locale.ROOT,
                        "transfer set: %,d windows of the students' documents + %,d tokens of teacher "
                                + "text = %,d windows%n",
                        train.size(),
                        ((Number) textInfo.get("tokens")).longValue(),
                        transfer.size());
            }
            Map<String, Object> distilled;
            if ("sequence".equals(kdVariant)) {
                // Cross-entropy on the students' documents plus the teacher's text, or on its text alone.
                TokenWindows text = recipe.teacherTextTokens() > 0
                        ? transfer
                        : sequenceText(teacherGenerator, teacherHash, data.trainDocuments(), sc, tok, collection);
                // The text it learns is the transfer set: the teacher's, with or without the documents.
                ProvenanceManifest.DatasetInfo textSet = new ProvenanceManifest.DatasetInfo(
                        ProvenanceManifest.DatasetRole.TRANSFER,
                        recipe.teacherTextTokens() > 0 ? "the students' documents + teacher text" : "teacher text",
                        recipe.teacherTextTokens() > 0 ? transferHash : (String) collection.get("sha256"),
                        text.size());
                distilled = trainStudent(
                        "student-distilled",
                        new TokenCrossEntropy(),
                        text,
                        TeacherSignal.none(),
                        sc,
                        held,
                        teacherTop1,
                        datasets(train, studentTrainHash, val, test, corpusInfo, textSet),
                        corpusInfo,
                        tok,
                        collection,
                        approval);
            } else {
                SequenceLoss loss = switch (kdVariant) {
                    case "full" -> new FullKl(recipe.temperature(), recipe.alpha());
                    case "sampled" -> new SampledKd(recipe.samples(), recipe.temperature(), recipe.alpha());
                    // A teacher asked about a share of the windows counts in proportion to it (TopKKl).
                    default -> new TopKKl(recipe.k(), recipe.alpha(), recipe.teacherShare() < 1);
                };
                TopKCache cache = null;
                try {
                    TeacherSignal signal;
                    if ("topk".equals(kdVariant)) {
                        cache = topKCache(inProcess, teacherHash, transfer, transferHash, tok, collection);
                        signal = TeacherSignal.cached(cache, ctx);
                    } else {
                        signal = inProcessSignal(inProcess, loss, tok, ctx);
                        collection.put("source", "in-process teacher, every training step");
                    }
                    // The teacher labels the transfer set: the students' documents, plus its own text if asked.
                    ProvenanceManifest.DatasetInfo transferSet = new ProvenanceManifest.DatasetInfo(
                            ProvenanceManifest.DatasetRole.TRANSFER,
                            recipe.teacherTextTokens() > 0
                                    ? "the students' documents + teacher text"
                                    : "the students' documents",
                            transferHash,
                            transfer.size());
                    distilled = trainStudent(
                            "student-distilled",
                            loss,
                            transfer,
                            signal,
                            sc,
                            held,
                            teacherTop1,
                            datasets(train, studentTrainHash, val, test, corpusInfo, transferSet),
                            corpusInfo,
                            tok,
                            collection,
                            approval);
                } finally {
                    if (cache != null) {
                        cache.close();
                    }
                }
            }
            models.add(distilled);
        } finally {
            if (teacher != null) {
                teacher.close();
            }
            if (module != null) {
                module.close();
            }
        }
        metrics.put("models", models);
        Map<String, Object> comparison = testComparison();
        if (comparison != null) {
            metrics.put(TEST_COMPARISON, comparison);
            log.println("test: " + LmReport.comparisonSentence(metrics));
        }
        AtomicFiles.write(out.resolve("metrics.json"), JSON.writeValueAsBytes(metrics));
        AtomicFiles.writeString(out.resolve("results.md"), LmReport.markdown(recipe, metrics));
        AtomicFiles.writeString(out.resolve("report.html"), LmReport.html(recipe, metrics));
        return metrics;
    }

    /**
     * The in-process teacher signal for token-level KD, refusing a teacher with another tokenizer or
     * a context shorter than the window with a message that says what to do instead.
     */
    static TeacherSignal inProcessSignal(LmTeacher teacher, SequenceLoss loss, Tokenizer student, int window) {
        return TeacherSignal.inProcess(teacher, loss, student.identity(), window);
    }

    private TopKCache topKCache(
            LmTeacher teacher,
            String teacherHash,
            TokenWindows train,
            String trainHash,
            Tokenizer tok,
            Map<String, Object> collection)
            throws IOException {
        int k = recipe.k();
        WindowShare share = new WindowShare(recipe.teacherShare(), recipe.seedOrDefault());
        String key = LmTrainingCorpus.topKCacheKey(teacherHash, trainHash, tok.identity(), k, train.contextLength())
                + share.keySuffix();
        BitSet selected = share.isAll() ? null : share.select(train.size());
        Path dir = cacheDir();
        Files.createDirectories(dir);
        Path file = LmTrainingCorpus.topKCacheFile(dir, key);
        collection.put("cache_file", file.toString());
        collection.put("cache_key", key);
        collection.put("k", k);
        if (selected != null) {
            collection.put("teacher_share", share.share());
            collection.put("teacher_windows", selected.cardinality());
            collection.put("transfer_windows", train.size());
            log.printf(
                    Locale.ROOT,
                    "teacher outputs for %,d of the %,d transfer windows (distillation.teacher_share %s, seed %d); "
                            + "the others train on cross-entropy alone%n",
                    selected.cardinality(),
                    train.size(),
                    share.share(),
                    share.seed());
        }
        if (Files.exists(file)) {
            collection.put("source", "reused cache");
            log.println("teacher outputs: reusing " + file);
            try {
                return TopKCache.open(file, key);
            } catch (CorruptDataException e) {
                throw new CorruptDataException(
                        file, e.getMessage() + "; delete " + file + " to collect the teacher's outputs again", e);
            }
        }
        long t0 = System.nanoTime();
        if (teacher != null) {
            inProcessSignal(teacher, new TopKKl(k, recipe.alpha()), tok, train.contextLength()); // the same refusals
            TopKCache.build(file, teacher, train, selected, k, 16, key);
            collection.put("source", "in-process teacher");
        } else {
            LmRecipe.Http h = recipe.teacher().http();
            CompletionsTopKClient client = topKClient(h, k, tok);
            HttpTopKCollector.Result r = HttpTopKCollector.collect(
                    file, client, k, train, selected, h.concurrency() == null ? 2 : h.concurrency(), key);
            collection.put("source", "http " + h.url() + " model " + h.model());
            collection.put("requests", r.requests());
            collection.put("windows", r.windows());
            collection.put("windows_from_journal", r.windowsFromJournal());
            collection.put("short_positions", r.shortPositions());
            collection.put("unmapped_tokens", r.unmappedTokens());
            log.printf(
                    Locale.ROOT,
                    "collected %,d positions over HTTP: %,d with fewer than %d log-probs, %,d unmapped "
                            + "tokens (stored as absent, never invented)%n",
                    r.positions(),
                    r.shortPositions(),
                    k,
                    r.unmappedTokens());
        }
        collection.put("seconds", (System.nanoTime() - t0) / 1e9);
        collection.put("bytes", Files.size(file));
        return TopKCache.open(file, key);
    }

    /** Sequence-level KD's transfer set: the teacher's continuations of the training documents' prompts. */
    private TokenWindows sequenceText(
            Generator teacher,
            String teacherHash,
            List<Document> trainDocs,
            LmTrainingConfig sc,
            Tokenizer tok,
            Map<String, Object> collection)
            throws IOException {
        // Generate continuations until they hold as many tokens as the student trains on (each seen
        // about once), continuing the documents again when they run out.
        long needed = recipe.generatedTokens() != null
                ? recipe.generatedTokens()
                : (long) sc.steps() * sc.batchSize() * recipe.context();
        return TokenWindows.pack(
                teacherText(teacher, teacherHash, trainDocs, needed, tok, collection), tok, recipe.context());
    }

    /**
     * The teacher's continuations (temperature 1) of the documents' prompts, until they hold {@code
     * needed} tokens: in-process, or over HTTP when {@code teacher} is null. When every document has
     * been continued once, the documents are continued again with new seeds (continuation i uses
     * document i mod n and seed {@code seed + i}), so a small corpus still yields the text asked for.
     * What was generated and what it cost goes into {@code info}.
     */
    private List<Document> teacherText(
            Generator teacher,
            String teacherHash,
            List<Document> docs,
            long needed,
            Tokenizer tok,
            Map<String, Object> info)
            throws IOException {
        if (teacher == null) {
            return httpText(docs, needed, tok, info);
        }
        long seed = recipe.seedOrDefault();
        String key = "teacher=" + teacherHash + ";documents=" + hash(docs) + ";tokenizer=" + tok.identity()
                + ";prompt_bytes=" + recipe.promptBytes() + ";max_new_tokens=" + recipe.maxNewTokens() + ";seed="
                + seed + ";tokens=" + needed;
        Path file = cacheDir().resolve("lm-text-" + Hashing.sha256(key).substring(0, 16) + ".jsonl.gz");
        List<Document> generated = new ArrayList<>();
        long tokens = 0;
        long t0 = System.nanoTime();
        int n = docs.size();
        boolean reused = Files.exists(file);
        if (reused) {
            // Generated by an earlier run with the same teacher, documents and settings.
            generated = TeacherTextFile.read(file, key);
            for (Document d : generated) {
                tokens += tok.encode(d.text()).length + 2;
            }
            log.println("teacher text: reusing " + file);
        }
        for (long from = 0; !reused && n > 0 && tokens < needed; from += TEXT_CHUNK) {
            List<Document> prompts = new ArrayList<>(TEXT_CHUNK);
            for (long i = from; i < from + TEXT_CHUNK; i++) {
                prompts.add(docs.get((int) (i % n)));
            }
            List<Document> part = TeacherText.generate(
                    teacher,
                    prompts,
                    recipe.promptBytes(),
                    new SamplingConfig(recipe.maxNewTokens(), 1.0, 0, 1.0, seed + from, true));
            for (Document d : part) {
                tokens += tok.encode(d.text()).length + 2;
            }
            generated.addAll(part);
        }
        if (!reused) {
            TeacherTextFile.write(file, key, generated);
        }
        info.put(
                "source",
                "in-process teacher, sampled continuations at temperature 1"
                        + (reused ? " (reused " + file + ")" : ""));
        info.put("file", file.toString());
        info.put("documents", generated.size());
        info.put("prompt_documents", n);
        info.put("tokens", tokens);
        info.put("prompt_bytes", recipe.promptBytes());
        info.put("max_new_tokens", recipe.maxNewTokens());
        info.put("seconds", (System.nanoTime() - t0) / 1e9);
        info.put("sha256", hash(generated));
        return generated;
    }

    /**
     * Sequence-level KD from an API teacher: its continuations of the training documents' prompts,
     * collected through {@link HttpTextCollector} (journaled in the cache directory, so a rerun asks
     * nothing twice).
     */
    private List<Document> httpText(
            List<Document> trainDocs, long needed, Tokenizer tok, Map<String, Object> collection) throws IOException {
        LmRecipe.Http h = recipe.teacher().http();
        CompletionsTextClient.Route route =
                CompletionsTextClient.Route.parse(h.route() == null ? "completions" : h.route());
        CompletionsTextClient client = new CompletionsTextClient(
                URI.create(h.url()),
                route,
                h.model(),
                h.apiKey(),
                rateLimiter(h),
                RetryPolicy.DEFAULT,
                Duration.ofSeconds(120));
        Map<String, Object> fingerprint = new LinkedHashMap<>();
        fingerprint.put("endpoint", client.endpoint().toString());
        fingerprint.put("model", h.model());
        fingerprint.put("prompt_bytes", recipe.promptBytes());
        fingerprint.put("max_tokens", recipe.maxNewTokens());
        fingerprint.put("temperature", 1.0);
        fingerprint.put("seed", recipe.seedOrDefault());
        Path dir = cacheDir();
        Path journal =
                dir.resolve("lm-text-" + Hashing.sha256(fingerprint.toString()).substring(0, 16) + ".journal.jsonl");
        long t0 = System.nanoTime();
        HttpTextCollector.Result r = HttpTextCollector.collect(
                client,
                trainDocs,
                recipe.promptBytes(),
                recipe.maxNewTokens(),
                1.0,
                recipe.seedOrDefault(),
                needed,
                Integer.MAX_VALUE,
                tok,
                h.concurrency() == null ? 2 : h.concurrency(),
                journal,
                fingerprint);
        collection.put(
                "source",
                "http " + client.endpoint() + " model " + h.model() + ", sampled continuations at temperature 1");
        collection.put("journal", journal.toString());
        collection.put("documents", r.documents().size());
        collection.put("prompt_documents", trainDocs.size());
        collection.put("tokens", r.tokens());
        collection.put("prompt_bytes", recipe.promptBytes());
        collection.put("max_new_tokens", recipe.maxNewTokens());
        collection.put("requests", r.requests());
        collection.put("from_journal", r.fromJournal());
        collection.put("prompt_tokens", r.promptTokens());
        collection.put("completion_tokens", r.completionTokens());
        collection.put("seconds", (System.nanoTime() - t0) / 1e9);
        collection.put("sha256", hash(r.documents()));
        log.printf(
                Locale.ROOT,
                "teacher text over HTTP: %,d documents, %,d tokens; %,d requests (%,d from the journal), "
                        + "%,d prompt + %,d completion tokens reported%n",
                r.documents().size(),
                r.tokens(),
                r.requests(),
                r.fromJournal(),
                r.promptTokens(),
                r.completionTokens());
        if (r.documents().isEmpty()) {
            throw new IOException("the HTTP teacher produced no text: no training documents to prompt");
        }
        return r.documents();
    }

    /** A client of the HTTP teacher's completions route with echo log-probabilities, k per position. */
    private static CompletionsTopKClient topKClient(LmRecipe.Http h, int k, Tokenizer tok) throws IOException {
        return new CompletionsTopKClient(
                URI.create(h.url()),
                h.model(),
                h.apiKey(),
                k,
                h.requestsPerMinute() == null && h.tokensPerMinute() == null
                        ? new RateLimiter(6000, 0)
                        : rateLimiter(h),
                RetryPolicy.DEFAULT,
                Duration.ofSeconds(60),
                tok);
    }

    private static RateLimiter rateLimiter(LmRecipe.Http h) {
        return new RateLimiter(
                h.requestsPerMinute() == null ? 0 : h.requestsPerMinute(),
                h.tokensPerMinute() == null ? 0 : h.tokensPerMinute());
    }

    private Map<String, Object> trainStudent(
            String name,
            SequenceLoss loss,
            TokenWindows train,
            TeacherSignal signal,
            LmTrainingConfig config,
            HeldOut held,
            TeacherTop1 teacher,
            List<ProvenanceManifest.DatasetInfo> datasets,
            Map<String, Object> corpusInfo,
            Tokenizer tok,
            Map<String, Object> collection,
            GateApproval approval)
            throws IOException, RecipeException {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("model", name);
        try (LanguageModel student = LanguageModel.create(
                recipe.decoder(recipe.student(), "student", tok.vocabSize()), tok, recipe.seedOrDefault() + 1)) {
            BestValidation best =
                    recipe.student().training().selectsBestValidation() ? new BestValidation(held.validation()) : null;
            LmTrainer.Result r = LmTrainer.train(
                    student, train, loss, signal, config, checkpoint(name, config.steps()), best, progress(name));
            recordSelection(row, best);
            row.put("description", loss.toString());
            row.put("learning_rate_schedule", config.schedule().id());
            row.put("training_tokens_per_second", r.tokensPerSecond());
            row.put("training_tokens", r.tokens());
            row.put("training_windows", train.size()); // the transfer set it sampled its batches from
            row.put("history", history(r.losses()));
            measure(name, row, student, held, teacher);
            Path dir = out.resolve(name);
            student.save(dir);
            deleteCheckpoints(name);
            writeModelFiles(
                    dir,
                    manifest(
                            approval != null ? "student_distilled" : "student_scratch",
                            approval != null ? studentName() : studentName() + "-scratch",
                            student,
                            config,
                            loss.toString(),
                            datasets,
                            corpusInfo,
                            tok,
                            approval,
                            collection));
            log.printf(
                    Locale.ROOT,
                    "%-18s %s: test %.3f bits/byte%s, %,.0f training tokens/s%n",
                    name,
                    loss,
                    row.get("test_bits_per_byte"),
                    row.get(NOVEL_BITS) == null
                            ? ""
                            : String.format(
                                    Locale.ROOT, " (%.3f without near duplicates)", (Double) row.get(NOVEL_BITS)),
                    r.tokensPerSecond());
        }
        return row;
    }

    /** Where teacher outputs are kept: {@code Options.cacheDir}, else {@code <out>/cache}. */
    private Path cacheDir() {
        return options.cacheDir() != null ? options.cacheDir() : out.resolve("cache");
    }

    /** Checkpoints of one model's training: ten per training; resumed with {@code --resume}. */
    private LmCheckpoint checkpoint(String model, int steps) {
        return new LmCheckpoint(out.resolve("checkpoints").resolve(model), Math.max(1, steps / 10), options.resume());
    }

    private void deleteCheckpoints(String model) throws IOException {
        Path dir = out.resolve("checkpoints").resolve(model);
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
        Path all = out.resolve("checkpoints");
        if (Files.isDirectory(all)) {
            try (var left = Files.list(all)) {
                if (left.findAny().isEmpty()) {
                    Files.delete(all);
                }
            }
        }
    }

    /** Prompt documents given to {@link TeacherText#generate} at once (two generation batches). */
    private static final int TEXT_CHUNK = 64;

    /** Sequences generated together for {@code generation_batch_tokens_per_second}. */
    static final int GENERATION_BATCH = 32;

    private void measure(String name, Map<String, Object> row, LanguageModel lm, HeldOut held, TeacherTop1 teacher) {
        row.put("parameters", lm.parameterCount());
        row.put("size_bytes", lm.parameterCount() * 4);
        HeldOutLosses losses = new HeldOutLosses(
                DocumentLosses.of(lm, held.test(), 16),
                held.novelTest() == null ? null : DocumentLosses.of(lm, held.novelTest(), 16));
        heldOutLosses.put(name, losses);
        putEvaluation(row, Evaluation.of(lm, held.validation(), 16), losses);
        row.put("top1_agreement_with_teacher", teacher != null ? agreement(lm, teacher, held.test()) : null);
        // One sequence on each engine; the JVM one is what a single generation gets (Engine.AUTO).
        putGeneration(row, "jvm", new Generator(lm, Generator.Engine.JVM), new Generator(lm, Generator.Engine.DJL));
    }

    /**
     * A TorchScript teacher's row: what its file holds and how well it predicts, like a model's; its
     * generation runs without a key/value cache (the module offers none), recomputing the window for
     * every token, so its tokens/s are what sequence-level KD from it gets, not what the same network
     * would do with a cache.
     */
    private void measureModule(Map<String, Object> row, TorchScriptLmTeacher module, Tokenizer tok, HeldOut held)
            throws IOException {
        row.put("parameters", module.parameterCount());
        row.put("size_bytes", Files.size(Path.of(module.identity().location())));
        HeldOutLosses losses = new HeldOutLosses(
                DocumentLosses.of(module, held.test(), 16),
                held.novelTest() == null ? null : DocumentLosses.of(module, held.novelTest(), 16));
        heldOutLosses.put("teacher", losses);
        putEvaluation(row, Evaluation.of(module, held.validation(), 16), losses);
        row.put("top1_agreement_with_teacher", null);
        putGeneration(row, "recompute", Generator.recomputing(module::logits, tok, module.contextLength()), null);
    }

    /** Validation and test evaluations into a model's row, and the novel test documents' when evaluated. */
    private static void putEvaluation(Map<String, Object> row, Evaluation ev, HeldOutLosses losses) {
        putEvaluation(
                row,
                ev,
                losses.test().total(),
                losses.novelTest() == null ? null : losses.novelTest().total());
    }

    private static void putEvaluation(Map<String, Object> row, Evaluation ev, Evaluation et, Evaluation novel) {
        row.put("validation_bits_per_byte", ev.bitsPerByte());
        row.put("validation_perplexity", ev.perplexity());
        row.put("test_bits_per_byte", et.bitsPerByte());
        row.put("test_perplexity", et.perplexity());
        if (novel != null) {
            row.put(NOVEL_BITS, novel.bitsPerByte());
        }
    }

    /**
     * A model row's (and the unigram baseline's) bits per byte on the test documents without a near
     * duplicate in training ({@code corpus.split_overlap.test_without_near_duplicate}).
     */
    public static final String NOVEL_BITS = "test_without_near_duplicate_bits_per_byte";

    /** Where {@code metrics.json} keeps the paired comparison of the distilled student with its scratch twin. */
    public static final String TEST_COMPARISON = "test_comparison";

    /**
     * The distilled student against its scratch twin on the test documents (and on those without a
     * near duplicate in training), the teacher as the reference of the gap; null without both
     * students. A teacher scored over HTTP has no per-document losses here, so the gap's share then
     * has no interval; nor has one whose texts split into other documents (never, for the same texts).
     */
    private Map<String, Object> testComparison() {
        HeldOutLosses d = heldOutLosses.get("student-distilled");
        HeldOutLosses s = heldOutLosses.get("student-scratch");
        if (d == null || s == null) {
            return null;
        }
        HeldOutLosses t = heldOutLosses.get("teacher");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("first", "student-distilled");
        m.put("second", "student-scratch");
        m.put("reference", t == null ? null : "teacher");
        m.put("test", compare(d.test(), s.test(), t == null ? null : t.test()));
        if (d.novelTest() != null && s.novelTest() != null) {
            m.put(
                    "test_without_near_duplicate",
                    compare(d.novelTest(), s.novelTest(), t == null ? null : t.novelTest()));
        }
        return m;
    }

    /**
     * The comparison as {@code metrics.json} keeps it, or, where there is nothing to resample (fewer
     * than 2 documents), why not: the run's models and metrics are never lost to their report.
     */
    private static Map<String, Object> compare(DocumentLosses first, DocumentLosses second, DocumentLosses ref) {
        if (first.documents() < 2) {
            return Map.of(
                    "unavailable",
                    "a paired comparison needs at least 2 documents, the split has " + first.documents());
        }
        double[] reference = ref != null && ref.documents() == first.documents() ? ref.natsByDocument() : null;
        return PairedLossComparison.of(
                        first.natsByDocument(), second.natsByDocument(), reference, first.bytesByDocument())
                .toMap();
    }

    /** A model's per-document losses on the test documents, and on those without a near duplicate (or null). */
    record HeldOutLosses(DocumentLosses test, DocumentLosses novelTest) {}

    /**
     * The held-out windows every model is measured on: validation, test, and the test documents that
     * repeat no training document (null where the run has none to single out; {@link LmSplits#novelTest}).
     */
    record HeldOut(TokenWindows validation, TokenWindows test, TokenWindows novelTest) {

        /** The same windows cut to a shorter context (a teacher that takes fewer positions). */
        HeldOut withContext(int contextLength) {
            return new HeldOut(
                    validation.withContext(contextLength),
                    test.withContext(contextLength),
                    novelTest == null ? null : novelTest.withContext(contextLength));
        }

        /** The same texts in another tokenizer's windows ({@code from}: the tokenizer they are in now). */
        HeldOut readBy(Tokenizer from, Tokenizer to, int contextLength) {
            return new HeldOut(
                    TokenWindows.pack(validation.documents(from, "validation"), to, contextLength),
                    TokenWindows.pack(test.documents(from, "test"), to, contextLength),
                    novelTest == null ? null : TokenWindows.pack(novelTest.documents(from, "test"), to, contextLength));
        }
    }

    /**
     * Generation speed and samples: one sequence on {@code single} (named {@code engine}), one on
     * {@code djl} when given, a batch on {@code djl} (else on {@code single}), and greedy samples.
     */
    private void putGeneration(Map<String, Object> row, String engine, Generator single, Generator djl) {
        int n = recipe.generationTokens();
        int[] prompt = single.prompt("The");
        double s = secondsToGenerate(single, prompt, n);
        row.put("generation_engine", engine);
        row.put("generation_tokens_per_second", n / s);
        row.put("generation_ms_per_token", 1000 * s / n);
        row.put("generation_djl_tokens_per_second", djl == null ? null : n / secondsToGenerate(djl, prompt, n));
        // Throughput when sequences are generated together (as a server batches requests or
        // sequence-level KD its prompts): one forward pass per step for the whole batch.
        Generator batched = djl != null ? djl : single;
        List<int[]> prompts = java.util.Collections.nCopies(GENERATION_BATCH, prompt);
        List<SamplingConfig> samplings = java.util.Collections.nCopies(
                GENERATION_BATCH, SamplingConfig.greedy(n).withStopAtEos(false));
        batched.generate(prompts, samplings, true, false);
        long t1 = System.nanoTime();
        batched.generate(prompts, samplings, true, false);
        row.put("generation_batch", GENERATION_BATCH);
        row.put("generation_batch_tokens_per_second", (double) GENERATION_BATCH * n / ((System.nanoTime() - t1) / 1e9));
        Map<String, String> samples = new LinkedHashMap<>();
        for (String p : recipe.prompts()) {
            samples.put(p, p + single.complete(p, SamplingConfig.greedy(recipe.sampleTokens())));
        }
        row.put("samples", samples);
    }

    /** Seconds to generate {@code n} greedy tokens after a full warm-up run (JIT, allocator). */
    private static double secondsToGenerate(Generator g, int[] prompt, int n) {
        g.generate(prompt, SamplingConfig.greedy(n).withStopAtEos(false), true, false);
        long t0 = System.nanoTime();
        g.generate(prompt, SamplingConfig.greedy(n).withStopAtEos(false), true, false);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The teacher's most likely next token at each position of a batch of windows: (B, T) int64. */
    @FunctionalInterface
    interface TeacherTop1 {
        NDArray of(NDManager manager, NDArray inputs, int[] windows);
    }

    /**
     * Where the students' top-1 agreement comes from: an in-process teacher's logits (when it reads
     * the students' tokens and windows), an HTTP teacher's answers kept by its evaluation, or nothing.
     */
    private static TeacherTop1 teacherTop1(LmTeacher inProcess, int[] httpTop1, Tokenizer tok, TokenWindows test) {
        if (inProcess != null) {
            boolean comparable = inProcess.contextLength() >= test.contextLength()
                    && inProcess.tokenizer().equals(tok.identity());
            return comparable ? (m, inputs, idx) -> inProcess.logits(inputs).argMax(2) : null;
        }
        if (httpTop1 != null) {
            int t = test.contextLength();
            return (m, inputs, idx) -> {
                long[][] rows = new long[idx.length][];
                for (int i = 0; i < idx.length; i++) {
                    rows[i] = HttpLmEvaluation.windowTop1(httpTop1, idx[i], t);
                }
                return m.create(rows);
            };
        }
        return null;
    }

    /**
     * Evaluates an HTTP teacher on validation and test over its API ({@link HttpLmEvaluation}: one
     * echo request per window) into its row; returns its top-1 at each test position.
     */
    private int[] evaluateHttpTeacher(
            Map<String, Object> row, String teacherHash, Map<String, Object> corpusInfo, Tokenizer tok, HeldOut held)
            throws IOException {
        LmRecipe.Http h = recipe.teacher().http();
        CompletionsTopKClient client = topKClient(h, 1, tok);
        int concurrency = h.concurrency() == null ? 2 : h.concurrency();
        Path dir = cacheDir();
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        HttpLmEvaluation.Result ev = evaluateOverHttp(
                client,
                held.validation(),
                "validation",
                corpusInfo.get("validation_sha256"),
                teacherHash,
                tok,
                concurrency);
        HttpLmEvaluation.Result et = evaluateOverHttp(
                client, held.test(), "test", corpusInfo.get("test_sha256"), teacherHash, tok, concurrency);
        HttpLmEvaluation.Result en = held.novelTest() == null
                ? null
                : evaluateOverHttp(
                        client,
                        held.novelTest(),
                        "test_without_near_duplicate",
                        novelInfo(corpusInfo).get("sha256"),
                        teacherHash,
                        tok,
                        concurrency);
        putEvaluation(row, ev.evaluation(), et.evaluation(), en == null ? null : en.evaluation());
        row.put("evaluation_source", "over HTTP: echo log-probabilities of every validation and test window");
        long requests = ev.requests() + et.requests() + (en == null ? 0 : en.requests());
        row.put("evaluation_requests", requests);
        log.printf(
                Locale.ROOT,
                "teacher over HTTP: test %.3f bits/byte (%,d requests, %.0f s)%n",
                et.evaluation().bitsPerByte(),
                requests,
                (System.nanoTime() - t0) / 1e9);
        return et.top1();
    }

    /** One held-out split's evaluation over HTTP, kept in the cache so that a rerun asks the server nothing again. */
    private HttpLmEvaluation.Result evaluateOverHttp(
            CompletionsTopKClient client,
            TokenWindows windows,
            String name,
            Object documentsHash,
            String teacherHash,
            Tokenizer tok,
            int concurrency)
            throws IOException {
        String key = "teacher=" + teacherHash + ";" + name + "=" + documentsHash + ";tokenizer=" + tok.identity()
                + ";window=" + windows.contextLength();
        Path file = cacheDir().resolve("lm-http-eval-" + Hashing.sha256(key).substring(0, 16) + ".bin");
        return HttpLmEvaluation.evaluate(client, windows, concurrency, file, key);
    }

    /** {@code corpus.split_overlap.test_without_near_duplicate}, or an empty map. */
    private static Map<?, ?> novelInfo(Map<String, Object> corpusInfo) {
        return corpusInfo.get("split_overlap") instanceof Map<?, ?> o
                        && o.get("test_without_near_duplicate") instanceof Map<?, ?> n
                ? n
                : Map.of();
    }

    /** Share of real test positions where the student's most likely next token is the teacher's. */
    static double agreement(LanguageModel student, TeacherTop1 teacher, TokenWindows windows) {
        long same = 0;
        long total = 0;
        try (NDManager root = student.model().getNDManager().newSubManager()) {
            for (int from = 0; from < windows.size(); from += 16) {
                int n = Math.min(16, windows.size() - from);
                int[] idx = new int[n];
                for (int i = 0; i < n; i++) {
                    idx[i] = from + i;
                }
                try (NDManager m = root.newSubManager()) {
                    NDList b = windows.batch(m, idx);
                    NDArray mask = b.get(1).gte(0);
                    NDArray a = student.logits(b.get(0)).argMax(2);
                    NDArray t = teacher.of(m, b.get(0), idx);
                    same += a.eq(t).logicalAnd(mask).sum().getLong();
                    total += mask.sum().getLong();
                }
            }
        }
        return total == 0 ? Double.NaN : (double) same / total;
    }

    /**
     * The data sets a model's manifest names: what it trained on ({@code trainHash} of {@code train}'s
     * documents), validation and test (rows: windows), and for a distilled student the transfer set
     * the teacher labelled or wrote.
     */
    private static List<ProvenanceManifest.DatasetInfo> datasets(
            TokenWindows train,
            String trainHash,
            TokenWindows val,
            TokenWindows test,
            Map<String, Object> corpusInfo,
            ProvenanceManifest.DatasetInfo transfer) {
        String corpus = String.valueOf(corpusInfo.get("path"));
        List<ProvenanceManifest.DatasetInfo> sets = new ArrayList<>();
        sets.add(new ProvenanceManifest.DatasetInfo(
                ProvenanceManifest.DatasetRole.TRAIN, corpus + " (train split, windows)", trainHash, train.size()));
        sets.add(new ProvenanceManifest.DatasetInfo(
                ProvenanceManifest.DatasetRole.VALIDATION,
                corpus + " (validation split, windows)",
                String.valueOf(corpusInfo.get("validation_sha256")),
                val.size()));
        sets.add(new ProvenanceManifest.DatasetInfo(
                ProvenanceManifest.DatasetRole.TEST,
                corpus + " (test split, windows)",
                String.valueOf(corpusInfo.get("test_sha256")),
                test.size()));
        if (transfer != null) {
            sets.add(transfer);
        }
        return sets;
    }

    /**
     * A model's {@code provenance.json}, in the classifiers' format ({@link ProvenanceManifest}), so
     * that {@code distill provenance show|verify|sign} read it: the language-model specifics (recipe,
     * objective, tokenizer, corpus hashes, KD settings) are in {@code training}, the teacher-output
     * collection in {@code label_collection}.
     *
     * @param approval the gate's approval for a distilled student; null for the teacher and scratch
     */
    private ProvenanceManifest manifest(
            String role,
            String name,
            LanguageModel lm,
            LmTrainingConfig config,
            String objective,
            List<ProvenanceManifest.DatasetInfo> datasets,
            Map<String, Object> corpusInfo,
            Tokenizer tok,
            GateApproval approval,
            Map<String, Object> collection) {
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("recipe", recipe.name());
        training.put("objective", objective);
        training.put("steps", config.steps());
        training.put("batch_size", config.batchSize());
        training.put("learning_rate", config.learningRate());
        training.put("warmup_steps", config.warmupSteps());
        training.put("learning_rate_schedule", config.schedule().id());
        if (approval != null) {
            training.put("distillation", kdSettings());
        }
        training.put("tokenizer", tok.identity().toString());
        training.put("corpus", corpusInfo);
        ProvenanceManifest.TeacherInfo teacher = null;
        if (approval != null) {
            TeacherIdentity t = approval.teacher();
            LmRecipe.Http h = recipe.teacher().http();
            teacher = h != null
                    ? new ProvenanceManifest.TeacherInfo(
                            t.kind(), t.location(), t.contentHash(), t.description(), h.model(), h.url())
                    : ProvenanceManifest.TeacherInfo.of(t);
        }
        return ProvenanceManifest.of(
                new ProvenanceManifest.ModelInfo(role, name, lm.toString()),
                teacher,
                approval == null ? null : approval.toMap(),
                datasets,
                approval == null ? null : collection,
                training,
                config.seed(),
                ProvenanceManifest.SoftwareInfo.detect(),
                java.time.Instant.now());
    }

    /**
     * Writes a saved model's card ({@code MODEL_CARD.md}) from its manifest, then the manifest
     * itself, last, so that it records the card's hash with the model files'.
     */
    private static void writeModelFiles(Path dir, ProvenanceManifest m) throws IOException {
        Map<String, Object> training = m.training();
        StringBuilder card = new StringBuilder("# " + m.model().name() + "\n\n");
        card.append("Decoder-only language model trained by distill4j (`model.json`): ")
                .append(m.model().architecture())
                .append(".\n\n");
        card.append("- Tokenizer: `").append(training.get("tokenizer")).append("`\n");
        @SuppressWarnings("unchecked")
        Map<String, Object> corpus = (Map<String, Object>) training.get("corpus");
        card.append("- Corpus: `")
                .append(corpus.get("path"))
                .append("`, SHA-256 ")
                .append(corpus.get("sha256"))
                .append('\n');
        if (m.teacher() != null) {
            card.append("- Teacher: ")
                    .append(m.teacher().description())
                    .append(" (")
                    .append(m.teacher().kind())
                    .append(", SHA-256 ")
                    .append(m.teacher().contentHash())
                    .append(")\n");
        }
        card.append("- Objective: ").append(training.get("objective")).append('\n');
        if (m.terms() != null) {
            card.append("- Teacher terms: ").append(m.terms().get("reason")).append('\n');
            if (m.terms().get("attribution_notices") instanceof List<?> l && !l.isEmpty()) {
                card.append("\n")
                        .append(String.join(
                                "\n", l.stream().map(String::valueOf).toList()))
                        .append('\n');
            }
        }
        card.append("\nProvenance: `provenance.json`; check the files with `distill provenance verify DIR`.\n");
        AtomicFiles.writeString(dir.resolve("MODEL_CARD.md"), card.toString());
        Provenance.write(dir, m);
    }

    private Map<String, Object> kdSettings() {
        Map<String, Object> kd = new LinkedHashMap<>();
        kd.put("variant", recipe.variant());
        switch (recipe.variant()) {
            case "topk" -> {
                kd.put("k", recipe.k());
                kd.put("teacher_share", recipe.teacherShare());
            }
            case "sampled" -> {
                kd.put("samples", recipe.samples());
                kd.put("temperature", recipe.temperature());
            }
            case "full" -> kd.put("temperature", recipe.temperature());
            case "sequence" -> {
                kd.put("prompt_bytes", recipe.promptBytes());
                kd.put("max_new_tokens", recipe.maxNewTokens());
                kd.put("generated_tokens", recipe.generatedTokens());
            }
        }
        if (!"sequence".equals(recipe.variant())) {
            kd.put("alpha", recipe.alpha());
        }
        if (recipe.mapsVocabulary()) {
            kd.put("vocabulary_map", "auto");
        }
        if (recipe.teacherTextTokens() > 0) {
            kd.put("teacher_text_tokens", recipe.teacherTextTokens());
            kd.put("prompt_bytes", recipe.promptBytes());
            kd.put("max_new_tokens", recipe.maxNewTokens());
        }
        return kd;
    }

    /** A line in the log every tenth of a training, so that a long run shows where it is. */
    private LmTrainer.Progress progress(String name) {
        return (step, steps, meanLoss, validation, tokensPerSecond) -> log.printf(
                Locale.ROOT,
                "%-18s step %,d/%,d: loss %.4f%s, %,.0f training tokens/s%n",
                name,
                step,
                steps,
                meanLoss,
                Double.isNaN(validation) ? "" : String.format(Locale.ROOT, ", validation %.3f bits/byte", validation),
                tokensPerSecond);
    }

    /** Records which step early stopping kept and the validation curve it chose from. */
    private static void recordSelection(Map<String, Object> row, BestValidation best) {
        if (best != null) {
            row.put("selected_step", best.bestStep());
            row.put("validation_curve", best.curve());
        }
    }

    private static LmTrainingConfig config(LmRecipe.Training t, long seed) {
        return t.toConfig(seed);
    }

    /** The losses as at most 200 points {@code [step, mean loss of the steps since the previous point]}. */
    private static List<double[]> history(float[] losses) {
        int every = Math.max(1, (losses.length + 199) / 200);
        List<double[]> h = new ArrayList<>();
        for (int from = 0; from < losses.length; from += every) {
            int to = Math.min(losses.length, from + every);
            double s = 0;
            for (int i = from; i < to; i++) {
                s += losses[i];
            }
            h.add(new double[] {to, s / (to - from)});
        }
        return h;
    }

    private static String hash(List<Document> docs) {
        return LmTrainingCorpus.documentsHash(docs);
    }
}
