package org.distill4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The language-model top-k measurement behind docs/scale-out.md (run by tools/lm-topk-bench.sh,
 * skipped otherwise): positions/s of the single-JVM collection ({@link TopKCache#build}, what
 * {@code distill run} does) and of {@link LmTopKJob} at {@code local[1]} and {@code local[2]}, same
 * corpus, same in-process teacher (a random 2-layer, width-64 decoder, windows of 64, k = 8,
 * batches of 16). One warm-up round, then {@code rounds} rounds, each running the three settings
 * in a rotated order (the machine is shared and noisy: interleaving spreads its load over all
 * three); prints one line per setting with the median, the runs and the 1-minute load average
 * before each run.
 */
@EnabledIfSystemProperty(named = "distill4j.bench", matches = "true")
class LmTopKBench {

    static final int K = 8;
    static final int WINDOW = 64;

    /** Writes the synthetic corpus, the random teacher and the recipe into {@code tmp}; returns the recipe. */
    static Path setUp(Path tmp, int kb) throws Exception {
        String[] words = {
            "the",
            "kernel",
            "module",
            "loads",
            "a",
            "driver",
            "for",
            "every",
            "device",
            "and",
            "python",
            "library",
            "reads",
            "data",
            "from",
            "fonts",
            "tools",
            "daemon",
            "writes",
            "logs",
            "package",
            "provides"
        };
        SplittableRandom r = new SplittableRandom(7);
        StringBuilder corpus = new StringBuilder();
        while (corpus.length() < kb * 1024) {
            StringBuilder doc = new StringBuilder();
            for (int w = 0; w < 40 + r.nextInt(80); w++) {
                doc.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            corpus.append("{\"text\": \"").append(doc).append(".\"}\n");
        }
        Path text = Files.writeString(tmp.resolve("corpus.jsonl"), corpus);
        Path teacherDir = tmp.resolve("teacher");
        try (LanguageModel t = LanguageModel.create(
                new DecoderConfig(258, 2, 64, 4, WINDOW, 0.0, Positions.LEARNED, false), ByteTokenizer.INSTANCE, 4)) {
            t.save(teacherDir);
        }
        Path recipe = tmp.resolve("bench.yaml");
        Files.writeString(recipe, """
                name: lm-topk-bench
                seed: 3
                data: {format: text, path: %s, validation: 0.05, test: 0.05, context: %d}
                teacher: {path: %s, terms: mit}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 2, batch_size: 4}}
                distillation: {variant: topk, k: %d}
                evaluation: {prompts: ["the"], sample_tokens: 2, generation_tokens: 2}
                """.formatted(text, WINDOW, teacherDir, K));
        return recipe;
    }

    @Test
    void measure(@TempDir Path tmp) throws Exception {
        int kb = Integer.getInteger("distill4j.bench.lm.kb", 256);
        int rounds = Integer.getInteger("distill4j.bench.rounds", 3);
        Path recipe = setUp(tmp, kb);
        Path teacherDir = tmp.resolve("teacher");
        long corpusBytes = Files.size(tmp.resolve("corpus.jsonl"));
        LmRecipe lm = LmRecipe.load(recipe, List.of());
        LmTrainingCorpus read = LmTrainingCorpus.read(lm);
        TokenWindows train = read.train();
        String hash = LanguageModel.contentHash(teacherDir);
        String key = LmTrainingCorpus.topKCacheKey(
                hash, read.trainHash(), ByteTokenizer.INSTANCE.identity(), K, train.contextLength());
        long positions = train.targetTokens();
        int perPartition = (train.size() / 8 + 15) / 16 * 16;
        System.out.printf(
                Locale.ROOT,
                "BENCH corpus %,d bytes, %,d training windows of %d, %,d positions, k %d, %d windows a partition, "
                        + "%d cores%n",
                corpusBytes,
                train.size(),
                WINDOW,
                positions,
                K,
                perPartition,
                Runtime.getRuntime().availableProcessors());

        String[] settings = {"single", "local[1]", "local[2]"};
        Map<String, List<double[]>> runs = new LinkedHashMap<>();
        for (String s : settings) {
            runs.put(s, new ArrayList<>());
        }
        try (LanguageModel teacher = LanguageModel.load(teacherDir)) {
            LocalLmTeacher lt = LocalLmTeacher.of(teacher, hash);
            for (int round = 0; round <= rounds; round++) {
                for (int j = 0; j < settings.length; j++) {
                    String s = settings[(j + round) % settings.length];
                    double load = loadAverage();
                    double[] run;
                    if (s.equals("single")) {
                        Path file = tmp.resolve("single-" + round + ".topk");
                        long t0 = System.nanoTime();
                        TopKCache.build(file, lt, train, K, 16, key);
                        double sec = (System.nanoTime() - t0) / 1e9;
                        run = new double[] {positions / sec, positions / sec, load};
                        Files.delete(file);
                    } else {
                        SparkSession spark = SparkSession.builder()
                                .master(s)
                                .appName("lm-bench")
                                .config("spark.ui.enabled", "false")
                                .getOrCreate();
                        Path out = tmp.resolve("out-" + s.charAt(6) + "-" + round);
                        long t0 = System.nanoTime();
                        LmTopKJob.Result res = LmTopKJob.run(
                                spark, LmTopKJob.Config.of(recipe, out).withSizes(16, perPartition));
                        double sec = (System.nanoTime() - t0) / 1e9;
                        run = new double[] {positions / res.seconds(), positions / sec, load};
                        spark.stop();
                        LabelJob.deleteQuietly(out);
                    }
                    if (round > 0) { // round 0 warms the JVM, Spark and the teacher pool
                        runs.get(s).add(run);
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "BENCH run round %d %-9s %9.0f positions/s (whole: %9.0f), load %.1f%n",
                            round,
                            s,
                            run[0],
                            run[1],
                            load);
                }
            }
        }
        for (String s : settings) {
            report(
                    s.equals("single") ? "single JVM, TopKCache.build" : "Spark " + s + ", score + write + count",
                    0,
                    runs.get(s),
                    train.size(),
                    positions);
            if (!s.equals("single")) {
                report("Spark " + s + ", whole job", 1, runs.get(s), train.size(), positions);
            }
        }
    }

    /**
     * Where the Spark job's time goes at {@code local[1]} (warm, 3 interleaved rounds): scoring into
     * Java rows only (an RDD count), plus the conversion to Spark's internal rows (the {@code noop}
     * sink), plus the Parquet write (the job's own write, without the driver's count and manifest).
     */
    @Test
    void overhead(@TempDir Path tmp) throws Exception {
        int kb = Integer.getInteger("distill4j.bench.lm.kb", 256);
        int rounds = Integer.getInteger("distill4j.bench.rounds", 3);
        Path recipe = setUp(tmp, kb);
        LmRecipe lm = LmRecipe.load(recipe, List.of());
        TokenWindows train = LmTrainingCorpus.read(lm).train();
        long positions = train.targetTokens();
        int perPartition = (train.size() / 8 + 15) / 16 * 16;
        Path teacherDir = tmp.resolve("teacher");
        TeacherSpec spec =
                new TeacherSpec(LanguageModel.FORMAT, teacherDir.toString(), LanguageModel.contentHash(teacherDir));
        List<long[]> plan = LabelJob.plan(train.size(), 16, perPartition);
        SparkSession spark = SparkSession.builder()
                .master("local[1]")
                .appName("lm-bench-overhead")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        String[] stages = {"score into rows", "score + convert (noop sink)", "score + convert + Parquet"};
        Map<String, List<double[]>> runs = new LinkedHashMap<>();
        for (String st : stages) {
            runs.put(st, new ArrayList<>());
        }
        try {
            var jsc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext());
            for (int round = 0; round <= rounds; round++) {
                for (int j = 0; j < stages.length; j++) {
                    String st = stages[(j + round) % stages.length];
                    double load = loadAverage();
                    var scored = jsc.parallelize(plan, plan.size())
                            .mapPartitions(new LmTopKScorer(
                                    LmWindows.Source.inMemory(recipe, List.of()),
                                    spec,
                                    LmTeacherLoader.DEFAULT,
                                    K,
                                    16));
                    long t0 = System.nanoTime();
                    if (st.equals(stages[0])) {
                        scored.count();
                    } else if (st.equals(stages[1])) {
                        spark.createDataFrame(scored, LmTopKJob.OUTPUT_SCHEMA)
                                .write()
                                .format("noop")
                                .mode("overwrite")
                                .save();
                    } else {
                        Path out = tmp.resolve("parquet-" + round);
                        spark.createDataFrame(scored, LmTopKJob.OUTPUT_SCHEMA)
                                .write()
                                .parquet(out.toUri().toString());
                        LabelJob.deleteQuietly(out);
                    }
                    double sec = (System.nanoTime() - t0) / 1e9;
                    if (round > 0) {
                        runs.get(st).add(new double[] {positions / sec, positions / sec, load});
                    }
                }
            }
        } finally {
            spark.stop();
        }
        for (String st : stages) {
            report("local[1] " + st, 0, runs.get(st), train.size(), positions);
        }
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    private static void report(String what, int column, List<double[]> runs, int windows, long positions) {
        List<Double> rates = runs.stream().map(x -> x[column]).toList();
        List<Double> sorted = new ArrayList<>(rates);
        sorted.sort(null);
        double median = sorted.get(sorted.size() / 2);
        System.out.printf(
                Locale.ROOT,
                "BENCH %-45s median %8.0f positions/s = %6.1f windows/s (runs %s, spread %.0f-%.0f, load %s)%n",
                what,
                median,
                median * windows / positions,
                rates.stream().map(x -> String.format(Locale.ROOT, "%.0f", x)).toList(),
                sorted.get(0),
                sorted.get(sorted.size() - 1),
                runs.stream().map(x -> String.format(Locale.ROOT, "%.1f", x[2])).toList());
    }
}
