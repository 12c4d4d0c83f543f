package org.distill4j.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.distill4j.io.AtomicFiles;
import org.distill4j.lm.corpus.CorpusSplit.Part;
import org.distill4j.lm.corpus.PackedCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.experiment.LmExperiment;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.terms.GateApproval;

/**
 * Collects a language-model teacher's top-k next-token log-probabilities over a language-model
 * recipe's training corpus on Spark: the transfer set is the recipe's packed training windows
 * ({@link LmTrainingCorpus}, as {@code distill run} reads them), the teacher a saved distill4j
 * language model or a TorchScript one ({@link TeacherSpec#lm}), loaded once per executor task
 * thread ({@link TeacherPool}), or an OpenAI-compatible server collected range by range with
 * journals ({@link LmHttpPartitions}, the same values as {@code distill run}'s HTTP collection). The driver asks the
 * {@link org.distill4j.terms.DistillationGate} (a refusal starts no task), resolves and hashes the
 * teacher, reads the corpus to plan whole batches of windows per partition and writes the
 * manifest; executors only score ({@link LmTopKScorer}).
 *
 * <p>Output ({@link Config#out()}, which must not exist, renamed into place complete): {@code
 * data/part-*.parquet} with {@link #OUTPUT_SCHEMA}, one row per window, and {@code manifest.json}
 * (the cache key {@code distill run} uses, k, window length, windows, positions, corpus, teacher,
 * gate approval, Spark job, files with SHA-256). The values equal {@link
 * org.distill4j.lm.cache.TopKCache#build}'s bit for bit (same batches of windows), and {@link
 * LmTopKOutputs#toCache} turns them into the very cache file {@code distill run} would have built,
 * where its trainer finds and reuses it.
 */
public final class LmTopKJob {

    /**
     * Output columns: {@code window} (the row key: window index i, positions i*T .. i*T + P - 1 of
     * the packed stream), {@code tokens} (the window's P + 1 real stream tokens: its inputs are the
     * first P, its targets the last P; P = T except in the last window), {@code topk_ids} and {@code
     * topk_logprobs} (P x k, position-major, most likely first; natural-log float32 as computed,
     * before the cache's float16 rounding), {@code rest_mass} (P: the probability outside the top k,
     * {@code max(0, 1 - sum exp(logprob))}), {@code teacher} (kind:content-hash) and {@code
     * model_version} (the content hash).
     */
    public static final StructType OUTPUT_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("window", DataTypes.LongType, false),
        DataTypes.createStructField("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
        DataTypes.createStructField("topk_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
        DataTypes.createStructField("topk_logprobs", DataTypes.createArrayType(DataTypes.FloatType, false), false),
        DataTypes.createStructField("rest_mass", DataTypes.createArrayType(DataTypes.FloatType, false), false),
        DataTypes.createStructField("teacher", DataTypes.StringType, false),
        DataTypes.createStructField("model_version", DataTypes.StringType, false)
    });

    /** The teacher kind of an HTTP language model (its location is {@code url#model}). */
    public static final String HTTP_LM = "http-lm";

    /** The manifest's {@code format}. */
    public static final String FORMAT = "distill4j-lm-topk/1";

    /**
     * What to collect and where to write it.
     *
     * @param recipe the language-model recipe ({@code data.format: text})
     * @param overrides recipe overrides ({@code key=value})
     * @param out the output directory; must not exist
     * @param experimentOut where a recipe that trains its teacher keeps it ({@code
     *     experimentOut/teacher}, from a {@code distill run} of the recipe); may be null when {@code
     *     teacher.path} is set
     * @param batchSize windows per teacher forward pass, &ge; 1 (16, as {@code distill run})
     * @param windowsPerPartition windows per Spark partition, rounded up to whole batches
     * @param cacheDir if not null, also write the top-k cache file {@code distill run} reads there
     *     ({@link LmTopKOutputs#toCache})
     * @param permission a recorded permission reference for the gate, or null
     * @param acknowledgeUnknownTerms proceed with a teacher whose terms nobody declared
     * @param loader how executors load the teacher ({@link LmTeacherLoader#DEFAULT})
     */
    public record Config(
            Path recipe,
            List<String> overrides,
            Path out,
            Path experimentOut,
            int batchSize,
            int windowsPerPartition,
            Path cacheDir,
            String permission,
            boolean acknowledgeUnknownTerms,
            LmTeacherLoader loader) {

        /** Checks the required fields and sizes. */
        public Config {
            Objects.requireNonNull(recipe, "recipe");
            Objects.requireNonNull(out, "out");
            overrides = overrides == null ? List.of() : List.copyOf(overrides);
            loader = loader == null ? LmTeacherLoader.DEFAULT : loader;
            if (batchSize < 1) {
                throw new IllegalArgumentException("illegal batchSize value: " + batchSize + ", must be >= 1");
            }
            if (windowsPerPartition < 1) {
                throw new IllegalArgumentException(
                        "illegal windowsPerPartition value: " + windowsPerPartition + ", must be >= 1");
            }
        }

        /** A config with the defaults: batches of 16 windows, 4,096 windows a partition, no cache file. */
        public static Config of(Path recipe, Path out) {
            return new Config(recipe, List.of(), out, null, 16, 4096, null, null, false, null);
        }

        /** Returns a copy with other batch and partition sizes. */
        public Config withSizes(int batch, int windowsPerPart) {
            return new Config(
                    recipe,
                    overrides,
                    out,
                    experimentOut,
                    batch,
                    windowsPerPart,
                    cacheDir,
                    permission,
                    acknowledgeUnknownTerms,
                    loader);
        }

        /** Returns a copy that also writes the top-k cache file into {@code dir}. */
        public Config withCacheDir(Path dir) {
            return new Config(
                    recipe,
                    overrides,
                    out,
                    experimentOut,
                    batchSize,
                    windowsPerPartition,
                    dir,
                    permission,
                    acknowledgeUnknownTerms,
                    loader);
        }

        /** Returns a copy with gate options, overrides and where a trained teacher is. */
        public Config withRun(
                List<String> recipeOverrides, Path trainedIn, String permissionRef, boolean acknowledgeUnknown) {
            return new Config(
                    recipe,
                    recipeOverrides,
                    out,
                    trainedIn,
                    batchSize,
                    windowsPerPartition,
                    cacheDir,
                    permissionRef,
                    acknowledgeUnknown,
                    loader);
        }

        /** Returns a copy whose executors load the teacher with {@code teacherLoader}. */
        public Config withLoader(LmTeacherLoader teacherLoader) {
            return new Config(
                    recipe,
                    overrides,
                    out,
                    experimentOut,
                    batchSize,
                    windowsPerPartition,
                    cacheDir,
                    permission,
                    acknowledgeUnknownTerms,
                    teacherLoader);
        }
    }

    /**
     * What a job wrote.
     *
     * @param out the output directory
     * @param windows rows written (one per window)
     * @param positions real positions covered (the corpus's training targets)
     * @param partitions Spark partitions (= Parquet files)
     * @param k log-probabilities per position
     * @param cacheKey the key {@code distill run}'s top-k cache is built for
     * @param cacheFile the cache file written, or null
     * @param seconds wall time of the Spark part (scoring and writing), in seconds
     */
    public record Result(
            Path out,
            long windows,
            long positions,
            int partitions,
            int k,
            String cacheKey,
            Path cacheFile,
            double seconds) {}

    private LmTopKJob() {}

    /** Whether {@code spark-submit} arguments name a language-model recipe (the first positional argument). */
    static boolean isLmInvocation(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--acknowledge-unknown-terms")) {
                continue;
            }
            if (args[i].startsWith("--")) {
                i++; // its value
                continue;
            }
            return LmRecipe.isLmRecipe(Path.of(args[i]));
        }
        return false;
    }

    /** Parses {@code LM_RECIPE OUT [options]} (see {@link LabelJob#USAGE}). */
    static Config parse(String[] args) {
        JobArguments words = JobArguments.scan(args);
        List<String> positional = words.positional();
        List<String> overrides = new ArrayList<>();
        Path experimentOut = null;
        Path cacheDir = null;
        String permission = null;
        int batch = 16;
        int perPartition = 4096;
        boolean acknowledge = words.acknowledgeUnknownTerms();
        for (var option : words.options()) {
            String a = option.getKey();
            String v = option.getValue();
            switch (a) {
                case "--batch-size" -> batch = Integer.parseInt(v);
                case "--windows-per-partition", "--rows-per-partition" -> perPartition = Integer.parseInt(v);
                case "--cache-dir" -> cacheDir = Path.of(v);
                case "--set" -> overrides.add(v);
                case "--experiment-out" -> experimentOut = Path.of(v);
                case "--permission" -> permission = v;
                default -> throw new IllegalArgumentException("unknown option " + a + " for a language-model recipe");
            }
        }
        if (positional.size() != 2) {
            throw new IllegalArgumentException("expected LM_RECIPE and OUT, got " + positional);
        }
        return new Config(
                Path.of(positional.get(0)),
                overrides,
                Path.of(positional.get(1)),
                experimentOut,
                batch,
                perPartition,
                cacheDir,
                permission,
                acknowledge,
                null);
    }

    /**
     * Runs the job on {@code spark}.
     *
     * @throws DistillationRefusedException if the teacher's terms forbid distillation (no task ran)
     * @throws LabelJobException if the teacher or a task failed; the message names it
     */
    public static Result run(SparkSession spark, Config c) throws IOException, DistillationRefusedException {
        Instant started = Instant.now();
        Path out = c.out().toAbsolutePath().normalize();
        if (Files.exists(out)) {
            throw new IOException("output directory " + out + " already exists; choose another or remove it");
        }
        LmRecipe recipe = LmWindows.recipe(c.recipe(), c.overrides());
        if (recipe.teacherShare() != 1) {
            throw new IllegalArgumentException("distillation.teacher_share " + recipe.teacherShare()
                    + ": the Spark job collects every window; run distill run for a share of them");
        }
        Path experimentOut =
                c.experimentOut() == null ? out.resolveSibling(out.getFileName() + "-experiment") : c.experimentOut();
        LmExperiment experiment = new LmExperiment(
                recipe,
                experimentOut,
                new LmExperiment.Options(null, c.permission(), c.acknowledgeUnknownTerms()),
                new PrintStream(OutputStream.nullOutputStream()));
        experiment.checkTerms(); // before the teacher or the corpus is touched
        LmRecipe.Http http = recipe.teacher().http();
        TeacherSpec teacher;
        TeacherIdentity identity;
        if (http != null) {
            // Fail here when it is unset or unreadable; executors read it themselves (never shipped).
            http.apiKey();
            // The identity and hash distill run gives an HTTP teacher, so the cache key is its key too.
            String location = http.url() + "#" + http.model();
            teacher = new TeacherSpec(HTTP_LM, location, "http:" + location);
            identity = new TeacherIdentity(
                    "http",
                    location,
                    teacher.contentHash(),
                    "OpenAI-compatible server " + http.url() + ", model " + http.model());
        } else {
            teacher = TeacherSpec.lm(recipe, experimentOut);
            identity = teacher.kind().equals(TeacherSpec.TORCHSCRIPT_LM)
                    ? new TeacherIdentity(
                            teacher.kind(),
                            teacher.path(),
                            teacher.contentHash(),
                            "TorchScript " + Path.of(teacher.path()).getFileName() + " in the recipe's tokenizer")
                    : new TeacherIdentity(
                            LanguageModel.FORMAT,
                            teacher.path(),
                            teacher.contentHash(),
                            "saved language model " + teacher.path());
        }
        // The approval binds the teacher identity the student will learn from, as distill run records it.
        GateApproval approval = experiment.approve(identity);
        // A streamed corpus (LmRecipe#streaming, as distill run decides) is packed here once, on the
        // shared filesystem, and executors open its token files; otherwise every JVM reads it in memory.
        Path packArea = c.cacheDir() != null
                ? c.cacheDir().toAbsolutePath()
                : out.resolveSibling(out.getFileName() + ".corpus");
        try (TrainCorpus corpus = TrainCorpus.open(recipe, c, packArea)) {
            return run(
                    spark,
                    c,
                    started,
                    out,
                    recipe,
                    teacher.forCorpus(corpus.tokenizer().identity()),
                    approval,
                    corpus);
        }
    }

    private static Result run(
            SparkSession spark,
            Config c,
            Instant started,
            Path out,
            LmRecipe recipe,
            TeacherSpec teacher,
            GateApproval approval,
            TrainCorpus corpus)
            throws IOException {
        LmRecipe.Http http = recipe.teacher().http();
        int k = recipe.k();
        int windowLength = corpus.train().contextLength();
        String key = LmTrainingCorpus.topKCacheKey(
                teacher.contentHash(), corpus.trainHash(), corpus.tokenizer().identity(), k, windowLength);
        if (teacher.kind().equals(TeacherSpec.TORCHSCRIPT_LM)) {
            // One probe pass on the driver, before any task: a module of another vocabulary (or no
            // language model at all) would fail every task the same way, attempt after attempt.
            try {
                teacher.loadLm().close(); // TorchScriptLmTeacher.load runs the probe pass
            } catch (IOException e) {
                throw new IllegalArgumentException("teacher.path: " + e.getMessage(), e);
            }
        }
        if (teacher.kind().equals(LanguageModel.FORMAT)) {
            // From its model.json alone, before any task: a task would fail the same way on every attempt.
            LanguageModel.Descriptor d = LanguageModel.descriptor(Path.of(teacher.path()));
            if (!d.tokenizer().equals(corpus.tokenizer().identity())) {
                throw new IllegalArgumentException("teacher " + teacher.path() + " uses tokenizer " + d.tokenizer()
                        + " but the corpus is tokenized with "
                        + corpus.tokenizer().identity()
                        + " (data.tokenizer); token-level top-k needs one vocabulary");
            }
            if (d.decoder().contextLength() < windowLength) {
                throw new IllegalArgumentException("teacher " + teacher.path() + " has context "
                        + d.decoder().contextLength() + ", shorter than the recipe's window " + windowLength
                        + "; set data.context to at most " + d.decoder().contextLength());
            }
        }

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<long[]> plan;
        JavaRDD<Row> scored;
        Path journals = out.resolveSibling(out.getFileName() + ".journals");
        Map<String, Object> collection = null;
        if (http != null) {
            // One request a window: partitions need not be whole batches.
            plan = LabelJob.plan(corpus.train().size(), 1, c.windowsPerPartition());
            int concurrent =
                    Math.max(1, Math.min(plan.size(), spark.sparkContext().defaultParallelism()));
            collection = new LinkedHashMap<>();
            collection.put("journals", journals.toString());
            collection.put("concurrent_tasks", concurrent);
            collection.put("requests_per_minute_global", LmHttpPartitions.requestsPerMinute(http));
            collection.put("tokens_per_minute_global", LmHttpPartitions.tokensPerMinute(http));
            collection.put("requests_per_minute_per_task", LmHttpPartitions.requestsPerMinute(http) / concurrent);
            collection.put("tokens_per_minute_per_task", LmHttpPartitions.tokensPerMinute(http) / concurrent);
            collection.put("concurrency_per_task", Math.max(1, LmHttpPartitions.concurrency(http) / concurrent));
            scored = jsc.parallelize(plan, plan.size())
                    .mapPartitions(
                            new LmHttpPartitions(corpus.source(), journals, key, teacher.cacheKey(), k, concurrent));
        } else {
            plan = LabelJob.plan(corpus.train().size(), c.batchSize(), c.windowsPerPartition());
            scored = jsc.parallelize(plan, plan.size())
                    .mapPartitions(new LmTopKScorer(corpus.source(), teacher, c.loader(), k, c.batchSize()));
        }
        Dataset<Row> labelled = spark.createDataFrame(scored, OUTPUT_SCHEMA);

        Path tmp = out.resolveSibling("." + out.getFileName() + ".tmp-" + UUID.randomUUID());
        long t0 = System.nanoTime();
        try {
            labelled.write().parquet(tmp.resolve(LabelJob.DATA).toUri().toString());
        } catch (Exception e) { // Spark throws SparkException (checked) from Scala without declaring it
            LabelJob.deleteQuietly(tmp);
            throw LabelJob.explain(e, teacher.path());
        }
        long rows = spark.read()
                .parquet(tmp.resolve(LabelJob.DATA).toUri().toString())
                .count();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (rows != corpus.train().size()) {
            LabelJob.deleteQuietly(tmp);
            throw new LabelJobException(
                    "wrote " + rows + " windows but planned " + corpus.train().size() + "; the output was discarded",
                    null);
        }
        List<Path> parts;
        try (Stream<Path> s = Files.list(tmp.resolve(LabelJob.DATA))) {
            parts = s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .sorted()
                    .toList();
        }

        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", FORMAT);
        manifest.put(
                "schema",
                "window: long, tokens: array<int>, topk_ids: array<int>, topk_logprobs: array<float>, "
                        + "rest_mass: array<float>, teacher: string, model_version: string");
        manifest.put("cache_key", key);
        manifest.put("k", k);
        manifest.put("window", windowLength);
        manifest.put("windows", corpus.train().size());
        manifest.put("positions", corpus.train().targetTokens());
        Map<String, Object> corpusInfo = new LinkedHashMap<>();
        corpusInfo.put("path", recipe.data().path().toAbsolutePath().toString());
        corpusInfo.putAll(corpus.info());
        corpusInfo.put("tokenizer", corpus.tokenizer().identity().toString());
        manifest.put("inputs", corpusInfo);
        Map<String, Object> teacherInfo = new LinkedHashMap<>();
        teacherInfo.put("kind", teacher.kind());
        teacherInfo.put("location", teacher.path());
        teacherInfo.put("content_hash", teacher.contentHash());
        manifest.put("teacher", teacherInfo);
        manifest.put("rows", rows);
        manifest.put("partitions", plan.size());
        manifest.put("batch_size", c.batchSize());
        manifest.put("files", LabelJob.hashFiles(parts, tmp));
        if (collection != null) {
            collection.put("usage", LmHttpPartitions.sumUsage(journals, plan));
            manifest.put("collection", collection);
        }
        manifest.put(
                "provenance",
                LabelJob.jobProvenance(c.recipe(), c.overrides(), approval.toMap(), spark, started, seconds));
        AtomicFiles.writeString(
                tmp.resolve(LabelJob.MANIFEST),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n");
        AtomicFiles.moveAtomically(tmp, out);
        Path cacheFile = c.cacheDir() == null ? null : LmTopKOutputs.toCache(out, c.cacheDir());
        return new Result(out, rows, corpus.train().targetTokens(), plan.size(), k, key, cacheFile, seconds);
    }

    /**
     * The recipe's training windows on the driver and where executors find them: read in memory, or
     * packed once into token files under the job's cache area when the recipe streams its corpus.
     */
    private static final class TrainCorpus implements AutoCloseable {
        private final TokenWindows train;
        private final String trainHash;
        private final Map<String, Object> info;
        private final LmWindows.Source source;
        private final PackedCorpus packed;
        private final Tokenizer tokenizer;

        private TrainCorpus(
                TokenWindows train,
                String trainHash,
                Map<String, Object> info,
                LmWindows.Source source,
                PackedCorpus packed,
                Tokenizer tokenizer) {
            this.train = train;
            this.trainHash = trainHash;
            this.info = info;
            this.source = source;
            this.packed = packed;
            this.tokenizer = tokenizer;
        }

        static TrainCorpus open(LmRecipe recipe, Config c, Path packArea) throws IOException {
            Map<String, Object> info = new LinkedHashMap<>();
            if (!recipe.streaming()) {
                LmTrainingCorpus read = LmTrainingCorpus.read(recipe);
                info.put("sha256", read.corpus().contentHash());
                info.put("documents", read.corpus().documents().size());
                info.put("bytes", read.corpus().bytes());
                info.put("split_seed", recipe.splitSeed());
                info.put("train_documents", read.split().train().size());
                info.put("train_sha256", read.trainHash());
                return new TrainCorpus(
                        read.train(),
                        read.trainHash(),
                        info,
                        LmWindows.Source.inMemory(c.recipe(), c.overrides()),
                        null,
                        read.tokenizer());
            }
            PackedCorpus p = LmTrainingCorpus.pack(recipe, packArea);
            try {
                PackedCorpus.PartInfo train = p.part(Part.TRAIN);
                info.put("sha256", p.summary().contentHash());
                info.put("documents", p.summary().documents());
                info.put("bytes", p.summary().bytes());
                info.put("split_seed", recipe.splitSeed());
                info.put("train_documents", train.documents());
                info.put("train_sha256", train.sha256());
                info.put("packed", p.dir().toString());
                Tokenizer tok = p.tokenizer();
                return new TrainCorpus(
                        p.windows(Part.TRAIN, recipe.context()),
                        train.sha256(),
                        info,
                        LmWindows.Source.packed(
                                c.recipe(), c.overrides(), recipe, p, LmTrainingCorpus.packKey(recipe, tok), packArea),
                        p,
                        tok);
            } catch (IOException | RuntimeException e) {
                p.close();
                throw e;
            }
        }

        TokenWindows train() {
            return train;
        }

        String trainHash() {
            return trainHash;
        }

        /** What the manifest's {@code inputs} records about the corpus. */
        Map<String, Object> info() {
            return info;
        }

        /** Where executors find the windows. */
        /** The tokenizer of the windows (bytes or the recipe's BPE). */
        Tokenizer tokenizer() {
            return tokenizer;
        }

        LmWindows.Source source() {
            return source;
        }

        @Override
        public void close() throws IOException {
            if (packed != null) {
                packed.close();
            }
        }
    }
}
