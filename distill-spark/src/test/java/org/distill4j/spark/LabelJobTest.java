package org.distill4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.IdxDataset;
import org.distill4j.data.IdxTestFiles;
import org.distill4j.export.ExportFormat;
import org.distill4j.export.ModelExport;
import org.distill4j.io.Hashing;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.OnnxTeacher;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.OptimizerKind;
import org.distill4j.train.Schedule;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The labelling job on Spark {@code local[2,3]} (two task threads, a task tried up to three
 * times) against the single-JVM path, on real files, a real DJL/PyTorch teacher and real Parquet.
 */
class LabelJobTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int BATCH = 16;

    @TempDir
    static Path shared;

    static SparkSession spark;
    static Path idxRecipe;
    static Path teacherDir;
    static final AtomicInteger JOBS = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        Path data = IdxTestFiles.writeDataset(
                shared.resolve("digits"),
                IdxTestFiles.Part.random(200, 6, 6, 10, 1),
                IdxTestFiles.Part.random(60, 6, 6, 10, 2),
                false);
        teacherDir = shared.resolve("teacher");
        try (SavedModel m =
                SavedModel.create(new MlpSpec(List.of(32), null, 0), new long[] {1, 6, 6}, IdxDataset.DIGIT_CLASSES)) {
            ClassifierTrainer.builder(
                            new TrainingConfig(1, 32, OptimizerKind.ADAM, 0.01, 0, 0, Schedule.CONSTANT, 0, null))
                    .optSeed(1)
                    .build()
                    .fit(m, IdxDataset.load(data).train(), null);
            m.save(teacherDir);
        }
        idxRecipe = recipe(shared, "idx", """
                data: {format: idx, dir: %s, validation_fraction: 0.1}
                teacher: {source: distill4j, path: %s, terms: mit}
                """.formatted(data, teacherDir));
        spark = SparkSession.builder()
                .master("local[2,3]")
                .appName("distill4j-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart jobStart) {
                JOBS.incrementAndGet();
            }
        });
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        TeacherPool.closeAll();
    }

    static Path recipe(Path dir, String name, String body) throws IOException {
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, """
                name: spark-%s
                seed: 3
                %s
                student:
                  model: {type: mlp, hidden: [4]}
                  training: {epochs: 1, batch_size: 32}
                """.formatted(name, body));
        return file;
    }

    /** The single-JVM answer: the recipe's split scored by the code path the teacher-output cache uses. */
    static float[][] singleJvm(Path recipe, String split, Teacher teacher, int batch) throws IOException {
        ExampleSet rows = RecipeRows.select(
                org.distill4j.experiment.ExperimentData.load(RecipeRows.load(recipe, List.of())), split);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            TeacherOutputs o = TeacherOutputCache.compute(teacher, rows, manager, batch, done -> {});
            float[][] out = new float[o.rows()][o.classes()];
            for (int i = 0; i < o.rows(); i++) {
                System.arraycopy(o.logits(), i * o.classes(), out[i], 0, o.classes());
            }
            return out;
        }
    }

    /** Reads the job's Parquet output as key to logits, failing on a duplicate key. */
    static Map<Long, float[]> read(Path out) {
        Map<Long, float[]> byKey = new TreeMap<>();
        for (Row r : spark.read().parquet(out.resolve(LabelJob.DATA).toString()).collectAsList()) {
            List<Float> l = r.getList(1);
            float[] f = new float[l.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = l.get(i);
            }
            assertThat(byKey.put(r.getLong(0), f))
                    .as("duplicate key %d", r.getLong(0))
                    .isNull();
        }
        return byKey;
    }

    static void assertBitwiseEqual(Map<Long, float[]> spark, float[][] expected) {
        assertThat(spark.keySet()).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            float[] got = spark.get((long) i);
            assertThat(got).as("row %d", i).isNotNull();
            for (int c = 0; c < expected[i].length; c++) {
                assertThat(Float.floatToRawIntBits(got[c]))
                        .as("row %d class %d", i, c)
                        .isEqualTo(Float.floatToRawIntBits(expected[i][c]));
            }
        }
    }

    @Test
    void idxSplitOnSparkEqualsTheSingleJvmOutputsBitForBitWithAManifest() throws Exception {
        Path out = shared.resolve("idx-out");
        int loadsBefore = TeacherPool.loads();
        // 40 rows a partition rounds up to 48 (3 batches of 16): 180 training rows in 4 partitions.
        LabelJob.Result r =
                LabelJob.run(spark, LabelJob.Config.of(idxRecipe, "train", out).withSizes(BATCH, 40));

        float[][] expected;
        try (Teacher t =
                TeacherSpec.of(RecipeRows.load(idxRecipe, List.of()), out).load()) {
            expected = singleJvm(idxRecipe, "train", t, BATCH);
        }
        assertThat(r.rows()).isEqualTo(180);
        assertThat(r.partitions()).isEqualTo(4);
        assertBitwiseEqual(read(out), expected);
        // Loaded once per concurrently running task (2 threads), not once per partition (4).
        assertThat(TeacherPool.loads() - loadsBefore).isBetween(1, 2);

        JsonNode m = JSON.readTree(out.resolve(LabelJob.MANIFEST).toFile());
        assertThat(m.get("rows").asLong()).isEqualTo(180);
        assertThat(m.get("partitions").asInt()).isEqualTo(4);
        assertThat(m.at("/teacher/content_hash").asText()).isEqualTo(SavedModel.contentHash(teacherDir));
        assertThat(m.at("/inputs/files")).hasSize(4);
        assertThat(m.at("/provenance/gate").asText()).isNotBlank();
        assertThat(m.at("/provenance/spark_master").asText()).isEqualTo("local[2,3]");
        assertThat(m.get("files")).hasSize(4);
        for (JsonNode f : m.get("files")) {
            assertThat(Hashing.sha256(out.resolve(f.get("path").asText())))
                    .isEqualTo(f.get("sha256").asText());
        }
        // Nothing temporary is left beside the output.
        try (var s = Files.list(shared)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }
    }

    @Test
    void jsonlTextWithATorchScriptTeacherEqualsTheSingleJvmOutputs() throws Exception {
        Path dir = Files.createDirectories(shared.resolve("texts"));
        String[] words = {"apple", "pear", "kernel", "driver", "rust", "java", "tree", "leaf", "disk", "net"};
        for (String split : List.of("train", "test")) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < (split.equals("train") ? 70 : 20); i++) {
                b.append(JSON.writeValueAsString(Map.of(
                                "text",
                                words[i % 10] + " " + words[(i * 7) % 10] + " " + words[(i * 3) % 10],
                                "label",
                                List.of("fruit", "code", "tree", "net").get(i % 4))))
                        .append('\n');
            }
            Files.writeString(dir.resolve(split + ".jsonl"), b);
        }
        Path pt = shared.resolve("tiny_teacher.pt");
        try (InputStream in = LabelJobTest.class.getResourceAsStream("/fixtures/tiny_teacher.pt")) {
            Files.copy(in, pt);
        }
        // tiny_teacher.pt maps 16 floats to 4 logits; 16 hashed features feed it.
        Path recipe = recipe(shared, "jsonl", """
                data: {format: jsonl, dir: %s, features: {max_features: 16}, validation_fraction: 0}
                teacher: {source: torchscript, path: %s, terms: mit}
                """.formatted(dir, pt));
        Path out = shared.resolve("jsonl-out");
        LabelJob.Result r =
                LabelJob.run(spark, LabelJob.Config.of(recipe, "train", out).withSizes(BATCH, 20));
        float[][] expected;
        try (Teacher t = TeacherSpec.of(RecipeRows.load(recipe, List.of()), out).load()) {
            expected = singleJvm(recipe, "train", t, BATCH);
        }
        assertThat(r.rows()).isEqualTo(70);
        assertThat(r.partitions()).isEqualTo(3);
        assertBitwiseEqual(read(out), expected);
    }

    @Test
    void anOnnxTeacherLoadedOncePerTaskThreadEqualsTheSingleJvmOutputsBitForBit() throws Exception {
        // The IDX teacher exported with the library's exporter (as `distill export --format onnx`).
        Path onnx = ModelExport.export(teacherDir, ExportFormat.ONNX, shared.resolve("teacher.onnx"))
                .file();
        Path recipe = recipe(shared, "onnx", """
                data: {format: idx, dir: %s, validation_fraction: 0.1}
                teacher: {source: onnx, path: %s, terms: mit}
                """.formatted(shared.resolve("digits"), onnx));
        Path out = shared.resolve("onnx-out");
        int loadsBefore = TeacherPool.loads();
        LabelJob.Result r =
                LabelJob.run(spark, LabelJob.Config.of(recipe, "train", out).withSizes(BATCH, 40));
        assertThat(TeacherPool.loads() - loadsBefore).isBetween(1, 2);

        // The single-JVM answer with the teacher as `distill run` loads it (OnnxTeacher.load).
        float[][] expected;
        try (Teacher t = OnnxTeacher.load(onnx)) {
            expected = singleJvm(recipe, "train", t, BATCH);
        }
        assertThat(r.rows()).isEqualTo(180);
        assertThat(r.partitions()).isEqualTo(4);
        Map<Long, float[]> got = read(out);
        assertBitwiseEqual(got, expected);
        // And it is the exported model: ONNX Runtime's logits match PyTorch's to float rounding.
        float[][] pytorch;
        try (Teacher t = SavedModelTeacher.load(teacherDir)) {
            pytorch = singleJvm(recipe, "train", t, BATCH);
        }
        for (int i = 0; i < pytorch.length; i++) {
            for (int c = 0; c < pytorch[i].length; c++) {
                assertThat(got.get((long) i)[c])
                        .isCloseTo(pytorch[i][c], org.assertj.core.api.Assertions.within(1e-4f));
            }
        }
        JsonNode m = JSON.readTree(out.resolve(LabelJob.MANIFEST).toFile());
        assertThat(m.at("/teacher/kind").asText()).isEqualTo("onnx");
        assertThat(m.at("/teacher/content_hash").asText()).isEqualTo(Hashing.sha256(onnx));
        assertThat(spark.read()
                        .parquet(out.resolve(LabelJob.DATA).toString())
                        .select("teacher")
                        .distinct()
                        .collectAsList())
                .singleElement()
                .extracting(x -> x.getString(0))
                .isEqualTo("onnx:" + Hashing.sha256(onnx));
    }

    /** Fails the first attempt of partition 1 after its first batch, as an executor lost mid-partition. */
    static final class FailFirstAttempt implements TeacherLoader {
        private static final long serialVersionUID = 1L;
        static final AtomicInteger THROWN = new AtomicInteger();

        @Override
        public Teacher load(TeacherSpec spec) throws IOException {
            Teacher real = spec.load();
            return new Teacher() {
                int calls;
                int partition = -1;

                @Override
                public TeacherIdentity identity() {
                    return real.identity();
                }

                @Override
                public NDArray logits(NDArray inputs) {
                    TaskContext ctx = TaskContext.get();
                    if (ctx.partitionId() != partition) {
                        partition = ctx.partitionId();
                        calls = 0;
                    }
                    if (ctx.partitionId() == 1 && ctx.attemptNumber() == 0 && ++calls == 2) {
                        THROWN.incrementAndGet();
                        throw new IllegalStateException("simulated executor loss in partition 1, attempt 0");
                    }
                    return real.logits(inputs);
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        }
    }

    @Test
    void aTaskKilledMidPartitionIsRetriedWithoutLosingOrDuplicatingRows() throws Exception {
        Path out = shared.resolve("retry-out");
        LabelJob.Result r = LabelJob.run(
                spark,
                LabelJob.Config.of(idxRecipe, "train", out).withSizes(BATCH, 40).withLoader(new FailFirstAttempt()));
        assertThat(FailFirstAttempt.THROWN.get()).isEqualTo(1);
        float[][] expected;
        try (Teacher t =
                TeacherSpec.of(RecipeRows.load(idxRecipe, List.of()), out).load()) {
            expected = singleJvm(idxRecipe, "train", t, BATCH);
        }
        assertThat(r.rows()).isEqualTo(180);
        assertBitwiseEqual(read(out), expected);
    }

    @Test
    void anExecutorThatCannotLoadTheTeacherIsAClearErrorOnTheDriver() throws Exception {
        Path bad = shared.resolve("broken.pt");
        Files.write(bad, "not a TorchScript archive".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path recipe = recipe(shared, "broken", """
                data: {format: idx, dir: %s, validation_fraction: 0}
                teacher: {source: torchscript, path: %s, terms: mit}
                """.formatted(shared.resolve("digits"), bad));
        Path out = shared.resolve("broken-out");
        assertThatThrownBy(() -> LabelJob.run(spark, LabelJob.Config.of(recipe, "train", out)))
                .isInstanceOf(LabelJobException.class)
                .hasMessageStartingWith("teacher could not be loaded on an executor: ")
                .hasMessageContaining(bad.toString());
        assertThat(out).doesNotExist();
    }

    @Test
    void aRefusedTeacherStartsNoSparkJob() throws Exception {
        Path recipe = recipe(shared, "refused", """
                data: {format: idx, dir: %s, validation_fraction: 0}
                teacher: {source: distill4j, path: %s, terms: openai-api}
                """.formatted(shared.resolve("digits"), teacherDir));
        int jobs = JOBS.get();
        Path out = shared.resolve("refused-out");
        assertThatThrownBy(() -> LabelJob.run(spark, LabelJob.Config.of(recipe, "train", out)))
                .isInstanceOf(DistillationRefusedException.class)
                .hasMessageContaining("openai-api");
        assertThat(JOBS.get()).isEqualTo(jobs);
        assertThat(out).doesNotExist();
    }

    @Test
    void parquetShardsAreScoredAndACorruptShardIsNamedOrSkippedByPolicy() throws Exception {
        // Two shards of features (36 floats a row, the teacher's 1x6x6) with explicit keys.
        StructType schema = new StructType()
                .add("id", DataTypes.LongType)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, false));
        List<Row> rows = new ArrayList<>();
        java.util.Random rnd = new java.util.Random(5);
        for (long k = 0; k < 50; k++) {
            float[] f = new float[36];
            for (int i = 0; i < f.length; i++) {
                f[i] = rnd.nextFloat();
            }
            rows.add(RowFactory.create(1000 + k, f));
        }
        Path in = shared.resolve("shards");
        Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);
        df.write().parquet(in.toString());
        Path recipe = recipe(shared, "parquet", """
                data: {format: idx, dir: %s, validation_fraction: 0}
                teacher: {source: distill4j, path: %s, terms: mit}
                """.formatted(shared.resolve("digits"), teacherDir));

        LabelJob.Result ok = LabelJob.run(
                spark,
                LabelJob.Config.of(recipe, "train", shared.resolve("pq-out"))
                        .withParquet(in, "features", "id")
                        .withSizes(BATCH, 40));
        assertThat(ok.rows()).isEqualTo(50);
        assertThat(read(shared.resolve("pq-out")).keySet())
                .containsExactlyElementsOf(
                        java.util.stream.LongStream.range(1000, 1050).boxed().toList());

        List<Path> shards = ParquetShards.list(in);
        assertThat(shards).hasSize(2);
        Path broken = shards.get(1);
        long goodRows = spark.read().parquet(shards.get(0).toString()).count();
        byte[] bytes = Files.readAllBytes(broken);
        Files.write(broken, java.util.Arrays.copyOf(bytes, bytes.length / 2)); // truncated
        Files.deleteIfExists(broken.resolveSibling("." + broken.getFileName() + ".crc"));

        assertThatThrownBy(() -> LabelJob.run(
                        spark,
                        LabelJob.Config.of(recipe, "train", shared.resolve("pq-fail"))
                                .withParquet(in, "features", "id")))
                .isInstanceOf(LabelJobException.class)
                .hasMessageContaining(broken.toString())
                .hasMessageContaining("truncated");
        assertThat(shared.resolve("pq-fail")).doesNotExist();

        LabelJob.Result skipped = LabelJob.run(
                spark,
                LabelJob.Config.of(recipe, "train", shared.resolve("pq-skip"))
                        .withParquet(in, "features", "id")
                        .withOnCorrupt(LabelJob.OnCorrupt.SKIP));
        assertThat(skipped.rows()).isEqualTo(goodRows);
        assertThat(skipped.skipped()).singleElement().asString().contains(broken.toString());
        JsonNode m = JSON.readTree(
                shared.resolve("pq-skip").resolve(LabelJob.MANIFEST).toFile());
        assertThat(m.get("skipped").get(0).asText()).contains(broken.toString());
    }

    @Test
    void theOutputStreamsBackShuffledBySeedWithBoundedMemoryEachRowOnce() throws Exception {
        Path out = shared.resolve("stream-out");
        LabelJob.run(spark, LabelJob.Config.of(idxRecipe, "train", out).withSizes(BATCH, 16)); // 12 shards
        Map<Long, float[]> written = read(out);
        List<Long> first = new ArrayList<>();
        try (ShuffledShardReader r = ShuffledShardReader.open(out, 1, 20)) {
            while (r.hasNext()) {
                ShuffledShardReader.LabelledRow row = r.next();
                first.add(row.key());
                assertThat(row.logits()).containsExactly(written.get(row.key()));
            }
            assertThat(r.maxBuffered()).isEqualTo(20);
        }
        assertThat(first).hasSize(180).doesNotHaveDuplicates();
        assertThat(first).isNotEqualTo(first.stream().sorted().toList());
        List<Long> again = new ArrayList<>();
        List<Long> otherSeed = new ArrayList<>();
        try (ShuffledShardReader a = ShuffledShardReader.open(out, 1, 20);
                ShuffledShardReader b = ShuffledShardReader.open(out, 2, 20)) {
            a.forEachRemaining(x -> again.add(x.key()));
            b.forEachRemaining(x -> otherSeed.add(x.key()));
        }
        assertThat(again).isEqualTo(first);
        assertThat(otherSeed).hasSize(180).isNotEqualTo(first);
    }
}
