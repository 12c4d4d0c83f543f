package org.distill4j.spark;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.OptimizerKind;
import org.distill4j.train.Schedule;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the Spark job's time goes (run by tools/scale-out-bench.sh, skipped otherwise): on 60,000
 * Fashion-MNIST rows at local[1], the scoring tasks alone (count of the scored rows), scoring plus
 * the Parquet write, and the count of the written rows; three runs, the first one cold.
 */
@EnabledIfSystemProperty(named = "distill4j.bench", matches = "true")
class ScaleOutOverheadBench {
    @Test
    void probe(@TempDir Path tmp) throws Exception {
        int rows = 60000;
        Path teacher = tmp.resolve("teacher");
        ExampleSet all = IdxDataset.load(IdxDataset.DEBIAN_FASHION_MNIST).train();
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
                """.formatted(IdxDataset.DEBIAN_FASHION_MNIST, rows, teacher));
        SparkSession spark = SparkSession.builder()
                .master("local[1]")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        TeacherSpec spec = TeacherSpec.of(RecipeRows.load(recipe, List.of()), tmp);
        List<long[]> plan = LabelJob.plan(rows, 512, rows / 8);
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            long n = jsc.parallelize(plan, plan.size())
                    .mapPartitions(
                            new PartitionScorer.Ranges(recipe, List.of(), "train", spec, TeacherLoader.DEFAULT, 512))
                    .count();
            double a = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            spark.createDataFrame(
                            jsc.parallelize(plan, plan.size())
                                    .mapPartitions(new PartitionScorer.Ranges(
                                            recipe, List.of(), "train", spec, TeacherLoader.DEFAULT, 512)),
                            LabelJob.OUTPUT_SCHEMA)
                    .write()
                    .parquet(tmp.resolve("p" + i).toString());
            double b = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            long c = spark.read().parquet(tmp.resolve("p" + i).toString()).count();
            double d = (System.nanoTime() - t0) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "BENCH overhead %d rows: score-only %.2f s, score+write %.2f s, count %.2f s%n",
                    n,
                    a,
                    b,
                    d);
        }
        spark.stop();
    }
}
