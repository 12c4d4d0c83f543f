package org.distill4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.distill4j.lm.cache.Half;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.experiment.LmExperiment;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.lm.teacher.TorchScriptLmTeacher;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.token.TokenizerIdentity;
import org.distill4j.teacher.TeacherIdentity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Language-model top-k collection on Spark {@code local[2,3]} against {@code distill run}'s own
 * collection ({@link TopKCache#build} over the recipe's windows, batches of 16), with a tiny real
 * decoder teacher and a few KB of text.
 */
class LmTopKJobTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int K = 5;

    @TempDir
    static Path shared;

    static SparkSession spark;
    static Path recipe;
    static Path teacherDir;
    static LmRecipe lmRecipe;
    /** The cache file distill run's collection builds for this recipe and teacher. */
    static Path singleJvm;

    static String key;

    @BeforeAll
    static void start() throws Exception {
        String[] words = {"library", "kernel", "python", "module", "driver", "fonts", "data", "tools", "daemon"};
        StringBuilder corpus = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            corpus.append(JSON.writeValueAsString(Map.of(
                            "text",
                            "package " + i + " provides the " + words[i % 9] + " and " + words[(i * 5) % 9]
                                    + " for tests")))
                    .append('\n');
        }
        Path text = Files.writeString(shared.resolve("corpus.jsonl"), corpus); // ~3.5 KB
        teacherDir = shared.resolve("lm-teacher");
        try (LanguageModel t = LanguageModel.create(
                new DecoderConfig(258, 1, 32, 2, 16, 0.0, Positions.LEARNED, false), ByteTokenizer.INSTANCE, 4)) {
            t.save(teacherDir);
        }
        recipe = shared.resolve("lm.yaml");
        Files.writeString(recipe, """
                name: spark-lm
                seed: 3
                data: {format: text, path: %s, validation: 0.1, test: 0.1, context: 16}
                teacher: {path: %s, terms: mit}
                student:
                  layers: 1
                  width: 16
                  heads: 2
                  training: {steps: 2, batch_size: 4}
                distillation: {variant: topk, k: %d}
                evaluation: {prompts: ["pack"], sample_tokens: 2, generation_tokens: 2}
                """.formatted(text, teacherDir, K));
        lmRecipe = LmRecipe.load(recipe, List.of());

        // The single-JVM collection, as LmExperiment.topKCache runs it (batches of 16 windows).
        LmTrainingCorpus read = LmTrainingCorpus.read(lmRecipe);
        String hash = LanguageModel.contentHash(teacherDir);
        key = LmTrainingCorpus.topKCacheKey(
                hash,
                read.trainHash(),
                ByteTokenizer.INSTANCE.identity(),
                K,
                read.train().contextLength());
        singleJvm = shared.resolve("single").resolve("topk.bin");
        try (LanguageModel t = LanguageModel.load(teacherDir)) {
            TopKCache.build(singleJvm, LocalLmTeacher.of(t, hash), read.train(), K, 16, key);
        }

        spark = SparkSession.builder()
                .master("local[2,3]")
                .appName("distill4j-lm-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        TeacherPool.closeAll();
    }

    @Test
    void topKOnSparkIsDistillLmsCacheByteForByteAndItsTrainerReusesIt() throws Exception {
        Path out = shared.resolve("lm-out");
        Path cacheDir = shared.resolve("lm-run").resolve("cache");
        TeacherPool.closeAll(); // other tests may have pooled this teacher already
        int loadsBefore = TeacherPool.loads();
        // 48 windows a partition (3 batches of 16).
        LmTopKJob.Result r = LmTopKJob.run(
                spark, LmTopKJob.Config.of(recipe, out).withSizes(16, 48).withCacheDir(cacheDir));
        TokenWindows windows = LmTrainingCorpus.read(lmRecipe).train();
        assertThat(r.windows()).isEqualTo(windows.size());
        assertThat(r.partitions()).isEqualTo((windows.size() + 47) / 48).isGreaterThan(2);
        assertThat(r.cacheKey()).isEqualTo(key);
        assertThat(TeacherPool.loads() - loadsBefore).isBetween(1, 2);

        // The converted cache is distill run's file, byte for byte, at the name distill run looks for.
        assertThat(r.cacheFile()).isEqualTo(LmTrainingCorpus.topKCacheFile(cacheDir, key));
        assertThat(Files.mismatch(r.cacheFile(), singleJvm)).isEqualTo(-1L);

        // The Parquet rows: each window once, its real tokens, k ids and float32 log-probs per
        // position (the cache's values before float16 rounding) and the mass outside the top k.
        List<Row> rows =
                spark.read().parquet(out.resolve(LabelJob.DATA).toString()).collectAsList();
        assertThat(rows).hasSize(windows.size());
        int[] stream = windows.stream();
        try (TopKCache cache = TopKCache.open(singleJvm, key)) {
            java.util.Set<Long> seen = new java.util.HashSet<>();
            for (Row row : rows) {
                long w = row.getLong(0);
                assertThat(seen.add(w)).as("window %d once", w).isTrue();
                List<Integer> tokens = row.getList(1);
                List<Integer> ids = row.getList(2);
                List<Float> lps = row.getList(3);
                List<Float> rest = row.getList(4);
                int real = tokens.size() - 1;
                assertThat(real).isEqualTo((int) Math.min(16, windows.targetTokens() - w * 16));
                for (int i = 0; i <= real; i++) {
                    assertThat(tokens.get(i)).isEqualTo(stream[(int) (w * 16) + i]);
                }
                assertThat(ids).hasSize(real * K);
                assertThat(rest).hasSize(real);
                try (var m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
                    var t = cache.targets(m, new int[] {(int) w}, 16);
                    long[] cachedIds = t.ids().toLongArray();
                    float[] cachedLp = t.logProbs().toFloatArray();
                    for (int i = 0; i < real * K; i++) {
                        assertThat((long) ids.get(i)).isEqualTo(cachedIds[i]);
                        assertThat(Half.toFloat(Half.fromFloat(lps.get(i)))).isEqualTo(cachedLp[i]);
                    }
                }
                for (int p = 0; p < real; p++) {
                    double mass = 0;
                    for (int j = 0; j < K; j++) {
                        mass += Math.exp(lps.get(p * K + j));
                        if (j > 0) {
                            assertThat(lps.get(p * K + j)).isLessThanOrEqualTo(lps.get(p * K + j - 1));
                        }
                    }
                    assertThat((double) rest.get(p))
                            .isBetween(0.0, 1.0)
                            .isCloseTo(1 - mass, org.assertj.core.api.Assertions.within(1e-6));
                }
                assertThat(row.getString(5)).isEqualTo("distill4j-lm:" + LanguageModel.contentHash(teacherDir));
            }
        }
        JsonNode m = JSON.readTree(out.resolve(LabelJob.MANIFEST).toFile());
        assertThat(m.get("format").asText()).isEqualTo(LmTopKJob.FORMAT);
        assertThat(m.get("cache_key").asText()).isEqualTo(key);
        assertThat(m.get("positions").asLong()).isEqualTo(windows.targetTokens());
        assertThat(m.at("/provenance/gate/reason").asText()).isNotBlank();
        assertThat(m.at("/teacher/content_hash").asText()).isEqualTo(LanguageModel.contentHash(teacherDir));

        // distill run's trainer, pointed at that cache directory, reuses the file instead of running the teacher.
        Path run = shared.resolve("lm-run");
        Map<String, Object> metrics = new LmExperiment(
                        lmRecipe,
                        run,
                        new LmExperiment.Options(cacheDir, null, false),
                        new PrintStream(java.io.OutputStream.nullOutputStream()))
                .run();
        JsonNode prov = JSON.readTree(
                run.resolve("student-distilled").resolve("provenance.json").toFile());
        assertThat(prov.at("/label_collection/source").asText()).isEqualTo("reused cache");
        assertThat(prov.at("/label_collection/cache_file").asText())
                .isEqualTo(r.cacheFile().toString());
        assertThat(JSON.valueToTree(metrics).at("/models/2/model").asText()).isEqualTo("student-distilled");
    }

    /**
     * A TorchScript language model ({@code tools/fixtures/make_torchscript_lm.py}: a traced bigram
     * Embedding(258, 16) -> tanh -> Linear(16, 258)) at {@code teacher.path}: the Spark job's
     * float32 log-probabilities and ids equal, bit for bit, those the single-JVM collection computes
     * with {@link TorchScriptLmTeacher} in batches of 16, and its cache file is {@link
     * TopKCache#build}'s byte for byte.
     */
    @Test
    void aTorchScriptTeacherOnSparkEqualsTheSingleJvmTopKBitForBit() throws Exception {
        Path pt = shared.resolve("tiny_lm.pt");
        try (var in = LmTopKJobTest.class.getResourceAsStream("/fixtures/tiny_lm.pt")) {
            assertThat(in).as("core test fixture tiny_lm.pt").isNotNull();
            Files.copy(in, pt);
        }
        Path tsRecipe = shared.resolve("lm-torchscript.yaml");
        Files.writeString(tsRecipe, Files.readString(recipe).replace("path: " + teacherDir, "path: " + pt));
        LmRecipe tsLm = LmRecipe.load(tsRecipe, List.of());
        LmTrainingCorpus read = LmTrainingCorpus.read(tsLm);
        TokenWindows windows = read.train();
        String tsKey = LmTrainingCorpus.topKCacheKey(
                org.distill4j.io.Hashing.sha256(pt), read.trainHash(), ByteTokenizer.INSTANCE.identity(), K, 16);

        // The single-JVM collection: TopKCache.build's cache and its float32 values before rounding.
        Path single = shared.resolve("single-ts").resolve("topk.bin");
        int n = windows.size();
        float[] lp = new float[n * 16 * K];
        long[] ids = new long[n * 16 * K];
        try (LmTeacher t = TorchScriptLmTeacher.load(pt, ByteTokenizer.INSTANCE.identity(), 16);
                var root = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            TopKCache.build(single, t, windows, K, 16, tsKey);
            for (int from = 0; from < n; from += 16) {
                int b = Math.min(16, n - from);
                int[] idx = new int[b];
                for (int i = 0; i < b; i++) {
                    idx[i] = from + i;
                }
                try (var m = root.newSubManager()) {
                    var top =
                            t.logits(windows.batch(m, idx).get(0)).logSoftmax(2).topK(K, 2, true, true);
                    System.arraycopy(top.get(0).toFloatArray(), 0, lp, from * 16 * K, b * 16 * K);
                    System.arraycopy(
                            top.get(1)
                                    .toType(ai.djl.ndarray.types.DataType.INT64, false)
                                    .toLongArray(),
                            0,
                            ids,
                            from * 16 * K,
                            b * 16 * K);
                }
            }
        }

        TeacherPool.closeAll();
        int loadsBefore = TeacherPool.loads();
        Path out = shared.resolve("lm-ts-out");
        LmTopKJob.Result r = LmTopKJob.run(
                spark, LmTopKJob.Config.of(tsRecipe, out).withSizes(16, 32).withCacheDir(shared.resolve("ts-cache")));
        assertThat(r.partitions()).isGreaterThan(2);
        assertThat(r.cacheKey()).isEqualTo(tsKey);
        assertThat(TeacherPool.loads() - loadsBefore).isBetween(1, 2);
        assertThat(Files.mismatch(r.cacheFile(), single)).isEqualTo(-1L);

        List<Row> rows =
                spark.read().parquet(out.resolve(LabelJob.DATA).toString()).collectAsList();
        assertThat(rows).hasSize(n);
        java.util.Set<Float> distinct = new java.util.HashSet<>();
        for (Row row : rows) {
            int w = (int) row.getLong(0);
            List<Integer> gotIds = row.getList(2);
            List<Float> gotLp = row.getList(3);
            int real = row.<Integer>getList(1).size() - 1;
            assertThat(gotLp).hasSize(real * K);
            for (int i = 0; i < real * K; i++) {
                int src = w * 16 * K + i;
                assertThat((long) gotIds.get(i))
                        .as("window %d entry %d id", w, i)
                        .isEqualTo(ids[src]);
                assertThat(Float.floatToRawIntBits(gotLp.get(i)))
                        .as("window %d entry %d log-prob bits", w, i)
                        .isEqualTo(Float.floatToRawIntBits(lp[src]));
                distinct.add(gotLp.get(i));
            }
            assertThat(row.getString(5)).isEqualTo("torchscript-lm:" + org.distill4j.io.Hashing.sha256(pt));
        }
        assertThat(distinct).as("a real model's values, not a constant").hasSizeGreaterThan(100);
        JsonNode m = JSON.readTree(out.resolve(LabelJob.MANIFEST).toFile());
        assertThat(m.at("/teacher/kind").asText()).isEqualTo("torchscript-lm");
        assertThat(m.at("/provenance/gate/approved_teacher/kind").asText()).isEqualTo("torchscript-lm");
    }

    /** Fails the first attempt of partition 1 at its second batch, as an executor lost mid-partition. */
    static final class FailFirstAttempt implements LmTeacherLoader {
        private static final long serialVersionUID = 1L;
        static final AtomicInteger THROWN = new AtomicInteger();

        @Override
        public LmTeacher load(TeacherSpec spec) throws IOException {
            LmTeacher real = spec.loadLm();
            return new LmTeacher() {
                int calls;
                int partition = -1;

                @Override
                public NDArray logits(NDArray ids) {
                    TaskContext ctx = TaskContext.get();
                    if (ctx.partitionId() != partition) {
                        partition = ctx.partitionId();
                        calls = 0;
                    }
                    if (ctx.partitionId() == 1 && ctx.attemptNumber() == 0 && ++calls == 2) {
                        THROWN.incrementAndGet();
                        throw new IllegalStateException("simulated executor loss in partition 1, attempt 0");
                    }
                    return real.logits(ids);
                }

                @Override
                public TokenizerIdentity tokenizer() {
                    return real.tokenizer();
                }

                @Override
                public int contextLength() {
                    return real.contextLength();
                }

                @Override
                public TeacherIdentity identity() {
                    return real.identity();
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        }
    }

    /**
     * {@code data.streaming: true}: the driver packs the corpus once into token files under the
     * job's cache directory (where a streamed {@code distill run} with that cache directory finds
     * them too) and executors read those; the Parquet shards and the cache file are the in-memory
     * job's byte for byte.
     */
    @Test
    void aStreamedCorpusIsPackedOnceAndGivesTheInMemoryJobsBytes() throws Exception {
        Path memOut = shared.resolve("lm-mem");
        Path streamOut = shared.resolve("lm-stream");
        Path cacheDir = shared.resolve("stream-cache");
        LmTopKJob.Result mem =
                LmTopKJob.run(spark, LmTopKJob.Config.of(recipe, memOut).withSizes(16, 32));
        LmTopKJob.Result streamed = LmTopKJob.run(
                spark,
                LmTopKJob.Config.of(recipe, streamOut)
                        .withSizes(16, 32)
                        .withCacheDir(cacheDir)
                        .withRun(List.of("data.streaming=true"), null, null, false));
        assertThat(streamed.cacheKey()).isEqualTo(key);
        assertThat(Files.mismatch(streamed.cacheFile(), singleJvm)).isEqualTo(-1L);
        assertThat(streamed.partitions()).isEqualTo(mem.partitions()).isGreaterThan(2);
        List<Path> memParts = shards(memOut);
        List<Path> streamParts = shards(streamOut);
        assertThat(streamParts).hasSameSizeAs(memParts);
        for (int i = 0; i < memParts.size(); i++) {
            assertThat(Files.mismatch(streamParts.get(i), memParts.get(i)))
                    .as("shard %d", i)
                    .isEqualTo(-1L);
        }
        // Packed where the streamed distill run of this recipe and cache directory looks for it.
        LmRecipe streaming = LmRecipe.load(recipe, List.of("data.streaming=true"));
        Path packed = LmTrainingCorpus.packDir(cacheDir, LmTrainingCorpus.packKey(streaming, ByteTokenizer.INSTANCE));
        JsonNode m = JSON.readTree(streamOut.resolve(LabelJob.MANIFEST).toFile());
        assertThat(m.at("/inputs/packed").asText()).isEqualTo(packed.toString());
        assertThat(packed.resolve("train.tokens")).isRegularFile();
        JsonNode memInputs =
                JSON.readTree(memOut.resolve(LabelJob.MANIFEST).toFile()).get("inputs");
        for (String f : List.of("sha256", "documents", "bytes", "train_documents", "train_sha256")) {
            assertThat(m.at("/inputs/" + f)).as(f).isEqualTo(memInputs.get(f));
        }
    }

    /**
     * An executor given a packed corpus reads its token files and never the corpus file: with the
     * corpus file gone, its windows are still the in-memory ones token for token; a directory
     * packed under another key is refused, naming it.
     */
    @Test
    void executorsReadThePackedTokenFilesNotTheCorpus() throws Exception {
        Path dir = shared.resolve("exec");
        Files.createDirectories(dir);
        Path text = Files.copy(lmRecipe.data().path(), dir.resolve("corpus.jsonl"));
        Path own = Files.writeString(
                dir.resolve("lm.yaml"),
                Files.readString(recipe).replace(lmRecipe.data().path().toString(), text.toString()));
        List<String> overrides = List.of("data.streaming=true");
        LmRecipe r = LmRecipe.load(own, overrides);
        String packKey = LmTrainingCorpus.packKey(r, ByteTokenizer.INSTANCE);
        TokenWindows expected = LmTrainingCorpus.read(lmRecipe).train();
        try (var p = LmTrainingCorpus.pack(r, dir.resolve("cache"))) {
            Files.delete(text);
            TokenWindows got =
                    LmWindows.train(LmWindows.Source.packed(own, overrides, r, p, packKey, dir.resolve("cache")));
            assertThat(got.size()).isEqualTo(expected.size());
            assertThat(got.targetTokens()).isEqualTo(expected.targetTokens());
            assertThat(got.stream()).isEqualTo(expected.stream());
            assertThatThrownBy(() -> LmWindows.train(
                            LmWindows.Source.packed(own, overrides, r, p, "another key", dir.resolve("cache"))))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(p.dir().toString())
                    .hasMessageContaining("another key");
        }
    }

    private static List<Path> shards(Path out) throws IOException {
        try (var s = Files.list(out.resolve(LabelJob.DATA))) {
            // part-<index>-<uuid>: in partition order.
            return s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .sorted()
                    .toList();
        }
    }

    @Test
    void aTaskKilledMidPartitionIsRetriedAndTheCacheIsStillByteForByte() throws Exception {
        Path out = shared.resolve("lm-retry");
        LmTopKJob.Result r = LmTopKJob.run(
                spark,
                LmTopKJob.Config.of(recipe, out)
                        .withSizes(16, 32)
                        .withCacheDir(shared.resolve("retry-cache"))
                        .withLoader(new FailFirstAttempt()));
        assertThat(FailFirstAttempt.THROWN.get()).isEqualTo(1);
        assertThat(Files.mismatch(r.cacheFile(), singleJvm)).isEqualTo(-1L);
    }

    @Test
    void anIncompleteOutputIsRefusedNamingTheMissingWindow() throws Exception {
        Path out = shared.resolve("lm-cut");
        LmTopKJob.run(spark, LmTopKJob.Config.of(recipe, out).withSizes(16, 16));
        JsonNode m = JSON.readTree(out.resolve(LabelJob.MANIFEST).toFile());
        // Drop the first shard from the manifest, as if it had never been written.
        ((com.fasterxml.jackson.databind.node.ArrayNode) m.get("files")).remove(0);
        Files.writeString(out.resolve(LabelJob.MANIFEST), JSON.writeValueAsString(m));
        Path cacheDir = shared.resolve("cut-cache");
        assertThatThrownBy(() -> LmTopKOutputs.toCache(out, cacheDir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("window 0 of ")
                .hasMessageContaining("incomplete");
        assertThat(LmTrainingCorpus.topKCacheFile(cacheDir, key)).doesNotExist();
    }

    @Test
    void anHttpTeacherWithoutItsKeyOrAMissingOneIsAClearErrorBeforeAnyTask() throws Exception {
        Path missing = shared.resolve("no-such-teacher");
        Path bad = shared.resolve("lm-missing.yaml");
        Files.writeString(bad, Files.readString(recipe).replace(teacherDir.toString(), missing.toString()));
        assertThatThrownBy(() -> LmTopKJob.run(spark, LmTopKJob.Config.of(bad, shared.resolve("lm-missing-out"))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(missing.toString());
        assertThat(shared.resolve("lm-missing-out")).doesNotExist();

        Path http = shared.resolve("lm-http.yaml");
        // An HTTP teacher whose key variable is unset fails on the driver, naming the variable, before any task.
        Files.writeString(
                http,
                Files.readString(recipe)
                        .replace(
                                "path: " + teacherDir,
                                "http: {url: 'http://127.0.0.1:9/v1', model: m, api_key_env: DISTILL_NO_SUCH_KEY_VAR}"));
        assertThatThrownBy(() -> LmTopKJob.run(spark, LmTopKJob.Config.of(http, shared.resolve("lm-http-out"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DISTILL_NO_SUCH_KEY_VAR");
        assertThat(shared.resolve("lm-http-out")).doesNotExist();

        // A TorchScript module carries no tokenizer: with a BPE the run would train, no module can
        // share its ids, so the recipe is refused by field on the driver, before any task.
        Path pt = shared.resolve("tiny_lm_for_bpe.pt");
        try (var in = LmTopKJobTest.class.getResourceAsStream("/fixtures/tiny_lm.pt")) {
            Files.copy(in, pt);
        }
        Path bpe = shared.resolve("lm-bpe.yaml");
        Files.writeString(
                bpe,
                Files.readString(recipe)
                        .replace("path: " + teacherDir, "path: " + pt)
                        .replace("context: 16}", "context: 16, tokenizer: {type: bpe, vocab_size: 300}}"));
        assertThatThrownBy(() -> LmTopKJob.run(spark, LmTopKJob.Config.of(bpe, shared.resolve("lm-bpe-out"))))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("is a TorchScript module")
                .hasMessageContaining("data.tokenizer.vocab_size")
                .hasMessageContaining("data.tokenizer.file");
        assertThat(shared.resolve("lm-bpe-out")).doesNotExist();

        // A TorchScript module that is no language model of the corpus's vocabulary: its probe pass
        // fails on the driver, before any task (every attempt of every task would fail the same way).
        Path notLm = shared.resolve("not_lm.pt");
        try (var in = LmTopKJobTest.class.getResourceAsStream("/fixtures/tiny_classifier_not_lm.pt")) {
            Files.copy(in, notLm);
        }
        Path notLmRecipe = shared.resolve("lm-not-lm.yaml");
        Files.writeString(notLmRecipe, Files.readString(recipe).replace("path: " + teacherDir, "path: " + notLm));
        int loadsBefore = TeacherPool.loads();
        assertThatThrownBy(
                        () -> LmTopKJob.run(spark, LmTopKJob.Config.of(notLmRecipe, shared.resolve("lm-not-lm-out"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("teacher.path")
                .hasMessageContaining(notLm.toString())
                .hasMessageContaining("for ids (2, 3) the module returned");
        assertThat(TeacherPool.loads()).as("no executor loaded it").isEqualTo(loadsBefore);
        assertThat(shared.resolve("lm-not-lm-out")).doesNotExist();

        // A saved teacher whose context is shorter than the recipe's windows: refused on the driver.
        Path wide = shared.resolve("lm-wide.yaml");
        Files.writeString(wide, Files.readString(recipe).replace("context: 16}", "context: 32}"));
        assertThatThrownBy(() -> LmTopKJob.run(spark, LmTopKJob.Config.of(wide, shared.resolve("lm-wide-out"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has context 16, shorter than the recipe's window 32")
                .hasMessageContaining("data.context");
    }

    /**
     * A TorchScript module trained with a BPE the recipe reads from {@code data.tokenizer.file}
     * (here a 258-id BPE, the fixture's vocabulary size): the Spark job collects in that tokenizer,
     * and its cache is the one {@code distill run} builds with the same module in-process, byte for
     * byte and under the same key.
     */
    @Test
    void aTorchScriptTeacherOfARecipesBpeFileCollectsAsDistillRunDoes() throws Exception {
        Path pt = shared.resolve("tiny_lm_bpe_file.pt");
        try (var in = LmTopKJobTest.class.getResourceAsStream("/fixtures/tiny_lm.pt")) {
            Files.copy(in, pt);
        }
        Path tokenizer = shared.resolve("bpe258.json");
        org.distill4j.lm.token.BpeTrainer.train(List.of("package provides the library"), 258)
                .write(tokenizer);
        Path tsRecipe = shared.resolve("lm-ts-bpe-file.yaml");
        Files.writeString(
                tsRecipe,
                Files.readString(recipe)
                        .replace("path: " + teacherDir, "path: " + pt)
                        .replace("context: 16}", "context: 16, tokenizer: {type: bpe, file: " + tokenizer + "}}"));
        LmRecipe tsLm = LmRecipe.load(tsRecipe, List.of());

        Path runCache = shared.resolve("ts-bpe-run-cache");
        new LmExperiment(
                        tsLm,
                        shared.resolve("ts-bpe-run"),
                        new LmExperiment.Options(runCache, null, false),
                        new PrintStream(java.io.OutputStream.nullOutputStream()))
                .run();
        JsonNode prov = JSON.readTree(
                shared.resolve("ts-bpe-run/student-distilled/provenance.json").toFile());
        assertThat(prov.at("/label_collection/source").asText()).isEqualTo("in-process teacher");
        assertThat(prov.at("/label_collection/cache_key").asText()).contains("tokenizer=bpe/v1");

        LmTopKJob.Result r = LmTopKJob.run(
                spark,
                LmTopKJob.Config.of(tsRecipe, shared.resolve("lm-ts-bpe-out"))
                        .withSizes(16, 32)
                        .withCacheDir(shared.resolve("ts-bpe-spark-cache")));
        assertThat(r.cacheKey())
                .isEqualTo(prov.at("/label_collection/cache_key").asText());
        assertThat(Files.mismatch(
                        r.cacheFile(),
                        Path.of(prov.at("/label_collection/cache_file").asText())))
                .isEqualTo(-1L);
    }

    /**
     * A recipe with a byte-level BPE (trained on the training documents) collects in that
     * vocabulary: in memory (every JVM trains the same BPE) and streamed (the driver trains it once
     * beside the packed token files and executors read it), the cache is distill run's file byte for
     * byte; a byte-level teacher is refused against it, naming both tokenizers.
     */
    @Test
    void aBpeRecipeCollectsInItsVocabularyInMemoryAndStreamedAsDistillRunDoes() throws Exception {
        Path bpeTeacher = shared.resolve("lm-bpe-teacher");
        Path bpeRecipe = shared.resolve("lm-bpe-own.yaml");
        Files.writeString(
                bpeRecipe,
                Files.readString(recipe)
                        .replace(teacherDir.toString(), bpeTeacher.toString())
                        .replace("context: 16}", "context: 16, tokenizer: {type: bpe, vocab_size: 300}}"));
        LmRecipe r = LmRecipe.load(bpeRecipe, List.of());
        LmTrainingCorpus read = LmTrainingCorpus.read(r);
        org.distill4j.lm.token.Tokenizer bpe = read.tokenizer();
        assertThat(bpe.identity().kind()).isEqualTo("bpe");
        assertThat(bpe.vocabSize()).isGreaterThan(258);
        try (LanguageModel t = LanguageModel.create(
                new DecoderConfig(bpe.vocabSize(), 1, 32, 2, 16, 0.0, Positions.LEARNED, false), bpe, 4)) {
            t.save(bpeTeacher);
        }
        String hash = LanguageModel.contentHash(bpeTeacher);
        String bpeKey = LmTrainingCorpus.topKCacheKey(hash, read.trainHash(), bpe.identity(), K, 16);
        Path single = shared.resolve("single-bpe").resolve("topk.bin");
        try (LanguageModel t = LanguageModel.load(bpeTeacher)) {
            TopKCache.build(single, LocalLmTeacher.of(t, hash), read.train(), K, 16, bpeKey);
        }

        Path memOut = shared.resolve("lm-bpe-mem");
        LmTopKJob.Result mem = LmTopKJob.run(
                spark,
                LmTopKJob.Config.of(bpeRecipe, memOut).withSizes(16, 32).withCacheDir(shared.resolve("bpe-mem-cache")));
        assertThat(mem.cacheKey()).isEqualTo(bpeKey);
        assertThat(mem.partitions()).isGreaterThan(1);
        assertThat(Files.mismatch(mem.cacheFile(), single)).isEqualTo(-1L);
        assertThat(JSON.readTree(memOut.resolve(LabelJob.MANIFEST).toFile())
                        .at("/inputs/tokenizer")
                        .asText())
                .isEqualTo(bpe.identity().toString());

        Path cacheDir = shared.resolve("bpe-stream-cache");
        List<String> streaming = List.of("data.streaming=true");
        LmTopKJob.Result streamed = LmTopKJob.run(
                spark,
                LmTopKJob.Config.of(bpeRecipe, shared.resolve("lm-bpe-stream"))
                        .withSizes(16, 32)
                        .withCacheDir(cacheDir)
                        .withRun(streaming, null, null, false));
        assertThat(streamed.cacheKey()).isEqualTo(bpeKey);
        assertThat(Files.mismatch(streamed.cacheFile(), single)).isEqualTo(-1L);
        // Trained once by the driver, where distill run's streamed collection looks for it.
        assertThat(LmTrainingCorpus.trainedTokenizerFile(
                        LmRecipe.load(bpeRecipe, streaming), cacheDir.toAbsolutePath()))
                .isRegularFile();

        Path mixed = shared.resolve("lm-bpe-byte-teacher.yaml");
        Files.writeString(mixed, Files.readString(bpeRecipe).replace(bpeTeacher.toString(), teacherDir.toString()));
        // Refused on the driver from the teacher's model.json, before any task (none retried).
        assertThatThrownBy(() -> LmTopKJob.run(spark, LmTopKJob.Config.of(mixed, shared.resolve("lm-bpe-mixed"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token-level top-k needs one vocabulary")
                .hasMessageContaining("but the corpus is tokenized with bpe/v1");
    }
}
