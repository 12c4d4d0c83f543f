package org.distill4j.spark;

import java.io.IOException;
import java.io.RandomAccessFile;
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
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.distill4j.data.ExampleSet;
import org.distill4j.experiment.Experiment;
import org.distill4j.experiment.ExperimentListener;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;
import org.distill4j.recipe.Recipe;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.terms.GateDecision;

/**
 * Labels a transfer set with the recipe's teacher on Spark and writes the outputs as Parquet plus
 * a manifest. The driver does everything that decides: it loads the recipe, asks the {@link
 * org.distill4j.terms.DistillationGate} (a refusal stops the job before any task starts), resolves
 * and hashes the teacher, checks and hashes the input shards and plans the partitions. Executors
 * only score: a local teacher (distill4j, TorchScript, ONNX) with {@link PartitionScorer}, each
 * JVM loading it once per task thread ({@link TeacherPool}); an HTTP teacher with the
 * single-machine collector per bucket of rows ({@link HttpPartitions} for recipe splits, {@link
 * HttpParquetPartitions} for Parquet inputs). A language-model recipe runs {@link LmTopKJob}.
 *
 * <p>Output ({@link Config#out()}, which must not exist): {@code data/part-*.parquet} with {@link
 * #OUTPUT_SCHEMA} (one file per partition) and {@code manifest.json} (inputs with SHA-256,
 * teacher, gate decision, Spark job, rows, partitions, files with SHA-256). Everything is written
 * into a sibling temporary directory that is renamed into place last, so a directory at {@code
 * out} is always complete. Spark's commit protocol keeps only one attempt's file per partition, so
 * a retried task neither loses nor duplicates rows; the driver checks the row count against the
 * plan before the rename.
 */
public final class LabelJob {

    /** Output columns: row key, the teacher's raw logits, teacher identity, model version. */
    public static final StructType OUTPUT_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("key", DataTypes.LongType, false),
        DataTypes.createStructField("logits", DataTypes.createArrayType(DataTypes.FloatType, false), false),
        DataTypes.createStructField("teacher", DataTypes.StringType, false),
        DataTypes.createStructField("model_version", DataTypes.StringType, false)
    });

    /** The manifest's file name inside the output directory. */
    public static final String MANIFEST = "manifest.json";
    /** The Parquet data directory inside the output directory. */
    public static final String DATA = "data";

    /** What to do with an input shard that is not readable Parquet. */
    public enum OnCorrupt {
        /** Fail the job before any task starts, naming the shard (the default). */
        FAIL,
        /** Leave the shard out and name it in the manifest's {@code skipped}. */
        SKIP
    }

    /**
     * What to label and where to write it.
     *
     * @param recipe the recipe file (its teacher, terms, and for recipe inputs its data)
     * @param overrides recipe overrides ({@code key=value}), as the CLI's {@code --set}
     * @param split the recipe split to label when {@code parquet} is null: train, validation, test
     * @param parquet a Parquet file or directory of shards to label instead of the recipe's data, or null
     * @param column the Parquet column holding the inputs: array of numbers, or text (featurised with
     *     the recipe's {@code data.features})
     * @param keyColumn the Parquet column holding each row's key (long), or null for the row's
     *     position in the input (files in name order)
     * @param out the output directory; must not exist
     * @param experimentOut where a {@code teacher.source: train} recipe's trained teacher is ({@code
     *     experimentOut/teacher}); may be null otherwise
     * @param batchSize rows per teacher call, &ge; 1 (512 as the single-JVM path)
     * @param rowsPerPartition rows per Spark partition for recipe inputs, rounded up to whole batches
     * @param onCorrupt the policy for corrupt input shards
     * @param permission a recorded permission reference for the gate, or null
     * @param acknowledgeUnknownTerms proceed with a teacher whose terms nobody declared
     * @param loader how executors load the teacher ({@link TeacherLoader#DEFAULT})
     */
    public record Config(
            Path recipe,
            List<String> overrides,
            String split,
            Path parquet,
            String column,
            String keyColumn,
            Path out,
            Path experimentOut,
            int batchSize,
            int rowsPerPartition,
            OnCorrupt onCorrupt,
            String permission,
            boolean acknowledgeUnknownTerms,
            TeacherLoader loader) {

        /** Checks the required fields and sizes. */
        public Config {
            Objects.requireNonNull(recipe, "recipe");
            Objects.requireNonNull(out, "out");
            overrides = overrides == null ? List.of() : List.copyOf(overrides);
            split = split == null ? "train" : split;
            column = column == null ? "features" : column;
            onCorrupt = onCorrupt == null ? OnCorrupt.FAIL : onCorrupt;
            loader = loader == null ? TeacherLoader.DEFAULT : loader;
            if (batchSize < 1) {
                throw new IllegalArgumentException("illegal batchSize value: " + batchSize + ", must be >= 1");
            }
            if (rowsPerPartition < 1) {
                throw new IllegalArgumentException(
                        "illegal rowsPerPartition value: " + rowsPerPartition + ", must be >= 1");
            }
        }

        /** A config for a recipe split with the defaults: batches of 512, 65,536 rows a partition. */
        public static Config of(Path recipe, String split, Path out) {
            return new Config(
                    recipe,
                    List.of(),
                    split,
                    null,
                    null,
                    null,
                    out,
                    null,
                    512,
                    65_536,
                    OnCorrupt.FAIL,
                    null,
                    false,
                    null);
        }

        /** Returns a copy reading Parquet shards instead of the recipe's data. */
        public Config withParquet(Path parquet, String column, String keyColumn) {
            Copy c = new Copy(this);
            c.parquet = parquet;
            c.column = column;
            c.keyColumn = keyColumn;
            return c.build();
        }

        /** Returns a copy with other batch and partition sizes. */
        public Config withSizes(int batch, int rowsPerPart) {
            Copy c = new Copy(this);
            c.batchSize = batch;
            c.rowsPerPartition = rowsPerPart;
            return c.build();
        }

        /** Returns a copy with another corrupt-shard policy. */
        public Config withOnCorrupt(OnCorrupt policy) {
            Copy c = new Copy(this);
            c.onCorrupt = policy;
            return c.build();
        }

        /** Returns a copy whose executors load the teacher with {@code teacherLoader}. */
        public Config withLoader(TeacherLoader teacherLoader) {
            Copy c = new Copy(this);
            c.loader = teacherLoader;
            return c.build();
        }

        /** Returns a copy with gate options: a permission reference and/or acknowledged unknown terms. */
        public Config withTerms(String permissionRef, boolean acknowledgeUnknown) {
            Copy c = new Copy(this);
            c.permission = permissionRef;
            c.acknowledgeUnknownTerms = acknowledgeUnknown;
            return c.build();
        }

        /** A config's fields, to change some and build a new config (checked by the constructor). */
        private static final class Copy {
            private final Path recipe;
            private final List<String> overrides;
            private final String split;
            private final Path out;
            private final Path experimentOut;
            private Path parquet;
            private String column;
            private String keyColumn;
            private int batchSize;
            private int rowsPerPartition;
            private OnCorrupt onCorrupt;
            private String permission;
            private boolean acknowledgeUnknownTerms;
            private TeacherLoader loader;

            Copy(Config c) {
                recipe = c.recipe;
                overrides = c.overrides;
                split = c.split;
                out = c.out;
                experimentOut = c.experimentOut;
                parquet = c.parquet;
                column = c.column;
                keyColumn = c.keyColumn;
                batchSize = c.batchSize;
                rowsPerPartition = c.rowsPerPartition;
                onCorrupt = c.onCorrupt;
                permission = c.permission;
                acknowledgeUnknownTerms = c.acknowledgeUnknownTerms;
                loader = c.loader;
            }

            Config build() {
                return new Config(
                        recipe,
                        overrides,
                        split,
                        parquet,
                        column,
                        keyColumn,
                        out,
                        experimentOut,
                        batchSize,
                        rowsPerPartition,
                        onCorrupt,
                        permission,
                        acknowledgeUnknownTerms,
                        loader);
            }
        }
    }

    /**
     * What a job wrote.
     *
     * @param out the output directory
     * @param rows rows written
     * @param partitions Spark partitions (= Parquet files)
     * @param skipped input shards left out by the {@link OnCorrupt#SKIP} policy
     * @param failedRows rows an HTTP teacher did not answer for good (left out; rerun to retry them)
     * @param seconds wall time of the Spark part (scoring and writing), in seconds
     */
    public record Result(Path out, long rows, int partitions, List<String> skipped, long failedRows, double seconds) {}

    private LabelJob() {}

    /** How to call {@link #main}; also printed by {@code distill label --spark}. */
    public static final String USAGE = "spark-submit --class org.distill4j.spark.LabelJob --master MASTER "
            + "--jars <distill-core and its dependencies> distill-spark.jar RECIPE OUT "
            + "[--split train|validation|test] [--parquet PATH --column features|text [--key COLUMN]] "
            + "[--batch-size 512] [--rows-per-partition 65536] [--on-corrupt fail|skip] [--set key=value]... "
            + "[--experiment-out DIR] [--permission REF] [--acknowledge-unknown-terms]\n"
            + "  or, for a language-model recipe (data.format: text): ... distill-spark.jar LM_RECIPE OUT "
            + "[--batch-size 16] [--windows-per-partition 4096] [--cache-dir DIR] [--set key=value]... "
            + "[--experiment-out DIR] [--permission REF] [--acknowledge-unknown-terms]";

    /**
     * The {@code spark-submit} entry: {@code RECIPE OUT [options]} (see {@link #USAGE}); the
     * master comes from {@code spark-submit --master}. A language-model recipe ({@code data.format:
     * text}) runs {@link LmTopKJob} instead. Exit code 0 on success, 2 for bad
     * arguments, 5 when the terms gate refuses (as the CLI), 1 for any other failure.
     */
    public static void main(String[] args) {
        int code;
        try {
            if (LmTopKJob.isLmInvocation(args)) {
                LmTopKJob.Config lm = LmTopKJob.parse(args);
                SparkSession spark = SparkSession.builder()
                        .appName("distill4j lm top-k " + lm.recipe().getFileName())
                        .getOrCreate();
                try {
                    LmTopKJob.Result r = LmTopKJob.run(spark, lm);
                    System.out.printf(
                            java.util.Locale.ROOT,
                            "collected top-%d of %d windows (%d positions) in %d partitions in %.1f s -> %s%s%n",
                            r.k(),
                            r.windows(),
                            r.positions(),
                            r.partitions(),
                            r.seconds(),
                            r.out(),
                            r.cacheFile() == null ? "" : "\n  distill run cache: " + r.cacheFile());
                } finally {
                    spark.stop();
                }
                System.exit(0);
                return;
            }
            Config c = parse(args);
            SparkSession spark = SparkSession.builder()
                    .appName("distill4j label " + c.recipe().getFileName())
                    .getOrCreate();
            try {
                Result r = run(spark, c);
                System.out.printf(
                        java.util.Locale.ROOT,
                        "labelled %d rows in %d partitions in %.1f s -> %s%n",
                        r.rows(),
                        r.partitions(),
                        r.seconds(),
                        r.out());
                r.skipped().forEach(x -> System.out.println("  skipped corrupt shard " + x));
                if (r.failedRows() > 0) {
                    System.err.println(
                            "distill-spark: " + r.failedRows() + " rows failed for good and were left out; "
                                    + "remove OUT and rerun the same command to retry them (OUT.journals keeps what was answered)");
                }
                code = r.failedRows() > 0 ? 7 : 0; // 7 as the CLI's ExitCodes.TEACHER_API
            } finally {
                spark.stop();
            }
        } catch (IllegalArgumentException e) {
            System.err.println("distill-spark: " + e.getMessage() + "\nusage: " + USAGE);
            code = 2;
        } catch (DistillationRefusedException e) {
            System.err.println("distill-spark: " + e.getMessage());
            code = 5; // as the CLI's ExitCodes.REFUSED
        } catch (IOException | RuntimeException e) {
            System.err.println("distill-spark: " + e.getMessage());
            code = 1;
        }
        System.exit(code);
    }

    static Config parse(String[] args) {
        JobArguments words = JobArguments.scan(args);
        List<String> positional = words.positional();
        List<String> overrides = new ArrayList<>();
        String split = "train";
        String column = null;
        String key = null;
        String permission = null;
        Path parquet = null;
        Path experimentOut = null;
        int batch = 512;
        int perPartition = 65_536;
        OnCorrupt onCorrupt = OnCorrupt.FAIL;
        boolean acknowledge = words.acknowledgeUnknownTerms();
        for (var option : words.options()) {
            String a = option.getKey();
            String v = option.getValue();
            switch (a) {
                case "--split" -> split = v;
                case "--parquet" -> parquet = Path.of(v);
                case "--column" -> column = v;
                case "--key" -> key = v;
                case "--batch-size" -> batch = Integer.parseInt(v);
                case "--rows-per-partition" -> perPartition = Integer.parseInt(v);
                case "--on-corrupt" -> onCorrupt = OnCorrupt.valueOf(v.toUpperCase(java.util.Locale.ROOT));
                case "--set" -> overrides.add(v);
                case "--experiment-out" -> experimentOut = Path.of(v);
                case "--permission" -> permission = v;
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (positional.size() != 2) {
            throw new IllegalArgumentException("expected RECIPE and OUT, got " + positional);
        }
        Config c = new Config(
                Path.of(positional.get(0)),
                overrides,
                split,
                null,
                null,
                null,
                Path.of(positional.get(1)),
                experimentOut,
                batch,
                perPartition,
                onCorrupt,
                permission,
                acknowledge,
                null);
        return parquet == null ? c : c.withParquet(parquet, column, key);
    }

    /**
     * Runs the job on {@code spark}.
     *
     * @throws DistillationRefusedException if the teacher's terms forbid distillation (no task ran)
     * @throws LabelJobException if an input, the teacher or a task failed; the message names it
     */
    public static Result run(SparkSession spark, Config c) throws IOException, DistillationRefusedException {
        Instant started = Instant.now();
        Path out = c.out().toAbsolutePath().normalize();
        if (Files.exists(out)) {
            throw new IOException("output directory " + out + " already exists; choose another or remove it");
        }
        Recipe recipe = RecipeRows.load(c.recipe(), c.overrides());
        Path experimentOut =
                c.experimentOut() == null ? out.resolveSibling(out.getFileName() + "-experiment") : c.experimentOut();
        // The gate's verdict on the recipe's terms, before any task starts; the approval proper binds a
        // teacher identity and is asked for when a student trains on these outputs.
        GateDecision gate = new Experiment(
                        recipe,
                        experimentOut,
                        new Experiment.Options(
                                Experiment.Options.defaultCacheDir(),
                                false,
                                c.permission(),
                                c.acknowledgeUnknownTerms()),
                        new ExperimentListener() {})
                .checkTerms();
        boolean http = recipe.teacher().source().equals("http");
        TeacherSpec teacher = http ? null : TeacherSpec.of(recipe, experimentOut);
        Map<String, Object> teacherInfo = new LinkedHashMap<>();
        Map<String, Object> collection = null;
        List<HttpPartitions.Bucket> buckets = null;
        Path journals = out.resolveSibling(out.getFileName() + ".journals");

        Map<String, Object> inputs = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        Dataset<Row> labelled;
        long expectedRows;
        long plannedRows = -1;
        int partitions;
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int httpBuckets = 0;
        if (http && c.parquet() == null) {
            ExampleSet rows = RecipeRows.of(c.recipe(), c.overrides(), c.split());
            // The driver reads the key too (to fail early when it is missing) but never ships it:
            // executors read it again from the recipe's api_key_env / api_key_file.
            org.distill4j.teacher.http.HttpTeacherConfig config = HttpPartitions.share(recipe, 1);
            int bucketCount = Math.max(1, (int) Math.min(
                    Integer.MAX_VALUE, ((long) rows.size() + c.rowsPerPartition() - 1) / c.rowsPerPartition()));
            buckets = HttpPartitions.plan(config, rows, bucketCount);
            int concurrent =
                    Math.max(1, Math.min(bucketCount, spark.sparkContext().defaultParallelism()));
            inputs.put("recipe_split", c.split());
            inputs.put("rows_name", rows.name());
            inputs.put("rows_content_hash", rows.contentHash());
            inputs.put("files", hashFiles(recipeDataFiles(recipe)));
            collection = httpCollection(config, rows.classNames(), concurrent, journals, teacherInfo);
            expectedRows = -1; // rows that failed for good are left out and counted in the usage
            plannedRows = rows.size();
            partitions = bucketCount;
            JavaRDD<Row> scored = jsc.parallelize(buckets, bucketCount)
                    .mapPartitions(new HttpPartitions(c.recipe(), c.overrides(), c.split(), journals, concurrent));
            labelled = spark.createDataFrame(scored, OUTPUT_SCHEMA);
        } else if (c.parquet() == null) {
            ExampleSet rows = RecipeRows.of(c.recipe(), c.overrides(), c.split());
            List<long[]> plan = plan(rows.size(), c.batchSize(), c.rowsPerPartition());
            inputs.put("recipe_split", c.split());
            inputs.put("rows_name", rows.name());
            inputs.put("rows_content_hash", rows.contentHash());
            inputs.put("files", hashFiles(recipeDataFiles(recipe)));
            expectedRows = rows.size();
            partitions = plan.size();
            JavaRDD<Row> scored = jsc.parallelize(plan, Math.max(1, plan.size()))
                    .mapPartitions(new PartitionScorer.Ranges(
                            c.recipe(), c.overrides(), c.split(), teacher, c.loader(), c.batchSize()));
            labelled = spark.createDataFrame(scored, OUTPUT_SCHEMA);
        } else {
            List<Path> shards = ParquetShards.list(c.parquet());
            List<Path> readable = new ArrayList<>();
            for (Path shard : shards) {
                String problem = ParquetShards.check(shard);
                if (problem == null) {
                    readable.add(shard);
                } else if (c.onCorrupt() == OnCorrupt.SKIP) {
                    skipped.add(shard + ": " + problem);
                } else {
                    throw new LabelJobException(
                            "input shard " + shard + " is corrupt: " + problem
                                    + " (rerun with on-corrupt SKIP to leave it out)",
                            null);
                }
            }
            if (readable.isEmpty()) {
                throw new LabelJobException("no readable Parquet shard in " + c.parquet(), null);
            }
            inputs.put("parquet", c.parquet().toAbsolutePath().toString());
            inputs.put("column", c.column());
            inputs.put("files", hashFiles(readable));
            Dataset<Row> in =
                    spark.read().parquet(readable.stream().map(Path::toString).toArray(String[]::new));
            StructField field = fieldOrFail(in.schema(), c.column(), c.parquet());
            boolean text = field.dataType().equals(DataTypes.StringType);
            int keyIndex = c.keyColumn() == null
                    ? -1
                    : in.schema()
                            .fieldIndex(fieldOrFail(in.schema(), c.keyColumn(), c.parquet())
                                    .name());
            if (http) {
                // Rows are bucketed by payload on the executors; the driver only counts them (and loads
                // the recipe's split for its label set and feature shape, as the teacher identity needs).
                ExampleSet reference = RecipeRows.of(c.recipe(), c.overrides(), c.split());
                org.distill4j.teacher.http.HttpTeacherConfig config = HttpPartitions.share(recipe, 1);
                boolean sendsText = HttpParquetPartitions.sendsText(config);
                if (sendsText && !text) {
                    throw new LabelJobException(
                            "teacher " + config.endpoint() + " is sent text but Parquet column '" + c.column()
                                    + "' of " + c.parquet() + " holds "
                                    + field.dataType().simpleString()
                                    + "; give a string column",
                            null);
                }
                long count = in.count();
                httpBuckets = Math.max(1, (int)
                        Math.min(Integer.MAX_VALUE, (count + c.rowsPerPartition() - 1) / c.rowsPerPartition()));
                int concurrent =
                        Math.max(1, Math.min(httpBuckets, spark.sparkContext().defaultParallelism()));
                collection = httpCollection(config, reference.classNames(), concurrent, journals, teacherInfo);
                collection.put("buckets", httpBuckets);
                plannedRows = count;
                expectedRows = -1;
                partitions = httpBuckets;
                JavaRDD<Row> scored = in.javaRDD()
                        .zipWithIndex()
                        .mapToPair(new HttpParquetPartitions.Bucketing(
                                c.column(), text, keyIndex, sendsText, c.recipe(), c.overrides(), httpBuckets))
                        .partitionBy(new org.apache.spark.HashPartitioner(httpBuckets))
                        .mapPartitionsWithIndex(
                                new HttpParquetPartitions.Collect(
                                        c.recipe(),
                                        c.overrides(),
                                        journals,
                                        httpBuckets,
                                        concurrent,
                                        reference.classNames(),
                                        reference.featureShape()),
                                false);
                labelled = spark.createDataFrame(scored, OUTPUT_SCHEMA);
            } else {
                JavaRDD<Row> scored = in.javaRDD()
                        .zipWithIndex()
                        .mapPartitions(new PartitionScorer.Features(
                                c.column(),
                                text,
                                keyIndex,
                                c.recipe(),
                                c.overrides(),
                                teacher,
                                c.loader(),
                                c.batchSize()));
                labelled = spark.createDataFrame(scored, OUTPUT_SCHEMA);
                partitions = scored.getNumPartitions();
                expectedRows = -1;
            }
        }

        Path tmp = out.resolveSibling("." + out.getFileName() + ".tmp-" + UUID.randomUUID());
        long t0 = System.nanoTime();
        try {
            labelled.write().parquet(tmp.resolve(DATA).toUri().toString());
        } catch (Exception e) { // Spark throws SparkException (checked) from Scala without declaring it
            deleteQuietly(tmp);
            throw explain(e, teacher == null ? "http " + teacherInfo.get("location") : teacher.path());
        }
        long rowsWritten =
                spark.read().parquet(tmp.resolve(DATA).toUri().toString()).count();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (expectedRows >= 0 && rowsWritten != expectedRows) {
            deleteQuietly(tmp);
            throw new LabelJobException(
                    "wrote " + rowsWritten + " rows but planned " + expectedRows + "; the output was discarded", null);
        }

        List<Path> parts;
        try (Stream<Path> s = Files.list(tmp.resolve(DATA))) {
            parts = s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .sorted()
                    .toList();
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", "distill4j-teacher-outputs/1");
        manifest.put(
                "schema",
                "key: long, logits: array<float> (raw, un-normalised), teacher: string, " + "model_version: string");
        manifest.put("inputs", inputs);
        if (!skipped.isEmpty()) {
            manifest.put("skipped", skipped);
        }
        if (teacher != null) {
            teacherInfo.put("kind", teacher.kind());
            teacherInfo.put("location", teacher.path());
            teacherInfo.put("content_hash", teacher.contentHash());
        }
        manifest.put("teacher", teacherInfo);
        long failedRows = 0;
        if (collection != null) {
            Map<String, Object> usage = buckets != null
                    ? HttpPartitions.sumUsage(journals, buckets)
                    : HttpPartitions.sumUsage(journals, httpBuckets);
            collection.put("usage", usage);
            manifest.put("collection", collection);
            failedRows = plannedRows - rowsWritten;
        }
        manifest.put("failed_rows", failedRows);
        manifest.put("rows", rowsWritten);
        manifest.put("partitions", partitions);
        manifest.put("batch_size", c.batchSize());
        manifest.put("files", hashFiles(parts, tmp));
        manifest.put("provenance", jobProvenance(c.recipe(), c.overrides(), gate.reason(), spark, started, seconds));
        AtomicFiles.writeString(
                tmp.resolve(MANIFEST),
                new com.fasterxml.jackson.databind.ObjectMapper()
                                .writerWithDefaultPrettyPrinter()
                                .writeValueAsString(manifest)
                        + "\n");
        AtomicFiles.moveAtomically(tmp, out);
        return new Result(out, rowsWritten, partitions, List.copyOf(skipped), failedRows, seconds);
    }

    /** The manifest's HTTP teacher identity (into {@code teacherInfo}) and its {@code collection} section. */
    private static Map<String, Object> httpCollection(
            org.distill4j.teacher.http.HttpTeacherConfig config,
            List<String> classNames,
            int concurrent,
            Path journals,
            Map<String, Object> teacherInfo) {
        var identity = config.identity(classNames);
        teacherInfo.put("kind", identity.kind());
        teacherInfo.put("location", identity.location());
        teacherInfo.put("content_hash", identity.contentHash());
        teacherInfo.put("model_version", config.modelVersion());
        Map<String, Object> collection = new LinkedHashMap<>();
        collection.put("journals", journals.toString());
        collection.put("concurrent_tasks", concurrent);
        collection.put("requests_per_minute_global", config.requestsPerMinute());
        collection.put("tokens_per_minute_global", config.tokensPerMinute());
        collection.put("requests_per_minute_per_task", config.requestsPerMinute() / concurrent);
        collection.put("concurrency_per_task", Math.max(1, config.concurrency() / concurrent));
        return collection;
    }

    /**
     * Plans row ranges [from, to) over {@code n} rows: each holds a whole number of batches (the
     * last one the rest), so batches are cut exactly where the single-JVM run cuts them.
     */
    static List<long[]> plan(int n, int batchSize, int rowsPerPartition) {
        long per = Math.max(1, (rowsPerPartition + (long) batchSize - 1) / batchSize) * batchSize;
        List<long[]> ranges = new ArrayList<>();
        for (long from = 0; from < n; from += per) {
            ranges.add(new long[] {from, Math.min(n, from + per)});
        }
        return ranges;
    }

    /** Turns a Spark failure into an error that names what failed, found in the task's cause chain. */
    static RuntimeException explain(Exception e, String teacher) {
        for (Throwable x = e; x != null; x = x.getCause()) {
            if (x instanceof TeacherLoadException) {
                return new LabelJobException("teacher could not be loaded on an executor: " + x.getMessage(), e);
            }
            String m = String.valueOf(x.getMessage());
            int at = m.indexOf(TeacherLoadException.class.getName() + ": ");
            if (at >= 0) {
                String line = m.substring(
                                at + TeacherLoadException.class.getName().length() + 2)
                        .lines()
                        .findFirst()
                        .orElse("");
                return new LabelJobException("teacher could not be loaded on an executor: " + line, e);
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String kind = e instanceof SparkException ? "a Spark task failed" : "the job failed";
        return new LabelJobException(kind + " while scoring with teacher " + teacher + ": " + root, e);
    }

    private static StructField fieldOrFail(StructType schema, String name, Path input) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new LabelJobException(
                "Parquet input " + input + " has no column '" + name + "'; its columns are "
                        + List.of(schema.fieldNames()),
                null);
    }

    private static List<Path> recipeDataFiles(Recipe recipe) throws IOException {
        Recipe.DataSection d = recipe.data();
        List<Path> files = new ArrayList<>();
        if (d.dir() != null) {
            try (Stream<Path> s = Files.list(d.dir())) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
        }
        for (Path p : new Path[] {d.train(), d.validation(), d.test()}) {
            if (p != null) {
                files.add(p);
            }
        }
        return files;
    }

    private static List<Map<String, Object>> hashFiles(List<Path> files) throws IOException {
        return hashFiles(files, null);
    }

    /**
     * The job's record in a manifest: the recipe (path, SHA-256, overrides), the licence gate's
     * verdict, the Spark application and its timing.
     */
    static Map<String, Object> jobProvenance(
            Path recipe, List<String> overrides, Object gate, SparkSession spark, Instant started, double seconds)
            throws IOException {
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("recipe", recipe.toAbsolutePath().toString());
        provenance.put("recipe_sha256", Hashing.sha256(recipe));
        provenance.put("overrides", overrides);
        provenance.put("gate", gate);
        provenance.put("spark_version", spark.version());
        provenance.put("spark_master", spark.sparkContext().master());
        provenance.put("spark_application_id", spark.sparkContext().applicationId());
        provenance.put("started", started.toString());
        provenance.put("finished", Instant.now().toString());
        provenance.put("spark_seconds", seconds);
        return provenance;
    }

    static List<Map<String, Object>> hashFiles(List<Path> files, Path relativeTo) throws IOException {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Path f : files) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(
                    "path",
                    relativeTo == null
                            ? f.toAbsolutePath().toString()
                            : relativeTo.relativize(f).toString());
            m.put("bytes", Files.size(f));
            m.put("sha256", Hashing.sha256(f));
            list.add(m);
        }
        return list;
    }

    static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A leftover temporary directory is harmless: it never has the output's name.
        }
    }

    /** Reads the 4-byte magic at both ends of a file: shared by the shard check. */
    static boolean hasMagic(RandomAccessFile f, long at) throws IOException {
        byte[] b = new byte[4];
        f.seek(at);
        f.readFully(b);
        return b[0] == 'P' && b[1] == 'A' && b[2] == 'R' && b[3] == '1';
    }
}
