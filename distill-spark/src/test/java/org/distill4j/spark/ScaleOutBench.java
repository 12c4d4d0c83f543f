package org.distill4j.spark;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.OptimizerKind;
import org.distill4j.train.Schedule;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The measurement behind docs/scale-out.md (run by tools/scale-out-bench.sh, skipped otherwise):
 * items/s of the single-JVM path (TeacherOutputCache.compute) and of the Spark job at local[1] and
 * local[2] on the same rows and teacher, median of 3 runs each; prints one line per setting.
 */
@EnabledIfSystemProperty(named = "distill4j.bench", matches = "true")
class ScaleOutBench {

    @Test
    void measure(@TempDir Path tmp) throws Exception {
        int rows = Integer.getInteger("distill4j.bench.rows", 20_000);
        Path data = IdxDataset.DEBIAN_FASHION_MNIST;
        Path teacher = tmp.resolve("teacher");
        ExampleSet all = IdxDataset.load(data).train();
        try (SavedModel m =
                SavedModel.create(new MlpSpec(List.of(256, 128), null, 0), all.featureShape(), all.classNames())) {
            ClassifierTrainer.builder(
                            new TrainingConfig(1, 64, OptimizerKind.ADAM, 0.001, 0, 0, Schedule.CONSTANT, 0, null))
                    .optSeed(1)
                    .build()
                    .fit(m, ExampleSets.slice(all, 0, 2000), null);
            m.save(teacher);
        }
        Path recipe = LabelJobTest.recipe(tmp, "bench", """
                data: {format: idx, dir: %s, validation_fraction: 0, train_limit: %d}
                teacher: {source: distill4j, path: %s, terms: mit}
                """.formatted(data, rows, teacher));
        ExampleSet split = RecipeRows.select(ExperimentData.load(RecipeRows.load(recipe, List.of())), "train");

        List<Double> single = new ArrayList<>();
        try (SavedModelTeacher t = SavedModelTeacher.load(teacher);
                NDManager manager = NDManager.newBaseManager()) {
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                TeacherOutputCache.compute(t, split, manager, 512, done -> {});
                single.add(split.size() / ((System.nanoTime() - t0) / 1e9));
            }
        }
        report("single JVM (TeacherOutputCache.compute, batch 512)", single);
        for (String master : List.of("local[1]", "local[2]")) {
            SparkSession spark = SparkSession.builder()
                    .master(master)
                    .appName("bench")
                    .config("spark.ui.enabled", "false")
                    .getOrCreate();
            List<Double> rates = new ArrayList<>();
            List<Double> total = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path out = tmp.resolve("out-" + master.charAt(6) + "-" + i);
                long t0 = System.nanoTime();
                LabelJob.Result r = LabelJob.run(
                        spark, LabelJob.Config.of(recipe, "train", out).withSizes(512, split.size() / 8));
                total.add(r.rows() / ((System.nanoTime() - t0) / 1e9));
                rates.add(r.rows() / r.seconds());
                LabelJob.deleteQuietly(out);
            }
            spark.stop();
            report("Spark " + master + " (score + write + count)", rates);
            report("Spark " + master + " (whole job: driver load, gate, hashes, manifest)", total);
        }
        Files.deleteIfExists(tmp.resolve("bench.yaml"));
    }

    private static void report(String what, List<Double> rates) {
        List<Double> sorted = new ArrayList<>(rates);
        sorted.sort(null);
        System.out.printf(
                Locale.ROOT,
                "BENCH %-70s median %8.0f items/s  runs %s%n",
                what,
                sorted.get(1),
                rates.stream().map(r -> String.format(Locale.ROOT, "%.0f", r)).toList());
    }
}
