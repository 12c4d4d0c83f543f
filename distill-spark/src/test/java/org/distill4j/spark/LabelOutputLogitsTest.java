package org.distill4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.FeatureShardWriter;
import org.distill4j.data.FeatureShards;
import org.distill4j.data.IdxDataset;
import org.distill4j.data.IdxTestFiles;
import org.distill4j.data.ShardStream;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.teacher.MappedTeacherOutputs;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.EpochRecord;
import org.distill4j.train.OptimizerKind;
import org.distill4j.train.Schedule;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job's Parquet outputs (key, logits) joined by key with the transfer set's own feature
 * shards: converted into the trainer's memory-mapped {@code .logits} file, they equal the single
 * JVM's streaming labelling of the same shards byte for byte, and a student trains from them.
 */
class LabelOutputLogitsTest {

    static final int BATCH = 16;

    @Test
    void sparkOutputsJoinedByKeyWithTheShardsEqualTheSingleJvmLabellingAndTrainAStudent(@TempDir Path tmp)
            throws Exception {
        Path data = IdxTestFiles.writeDataset(
                tmp.resolve("digits"),
                IdxTestFiles.Part.random(200, 6, 6, 10, 1),
                IdxTestFiles.Part.random(60, 6, 6, 10, 2),
                false);
        Path teacherDir = tmp.resolve("teacher");
        TrainingConfig config = new TrainingConfig(1, 32, OptimizerKind.ADAM, 0.01, 0, 0, Schedule.CONSTANT, 0, null);
        try (SavedModel m =
                SavedModel.create(new MlpSpec(List.of(32), null, 0), new long[] {1, 6, 6}, IdxDataset.DIGIT_CLASSES)) {
            ClassifierTrainer.builder(config)
                    .optSeed(1)
                    .build()
                    .fit(m, IdxDataset.load(data).train(), null);
            m.save(teacherDir);
        }
        Path recipe = LabelJobTest.recipe(tmp, "shards", """
                data: {format: idx, dir: %s, validation_fraction: 0.1}
                teacher: {source: distill4j, path: %s, terms: mit}
                """.formatted(data, teacherDir));
        Path out = tmp.resolve("labels");
        SparkSession spark = SparkSession.builder()
                .master("local[2]")
                .appName("distill4j-shards-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            // 180 rows in 12 partitions, written in whatever order the tasks finish.
            LabelJob.run(spark, LabelJob.Config.of(recipe, "train", out).withSizes(BATCH, 16));
        } finally {
            spark.stop();
            TeacherPool.closeAll();
        }
        // The transfer set's own shards: the same split, keyed by row index, in 4 shards.
        ExampleSet train =
                ExperimentData.load(RecipeLoader.load(recipe, List.of())).train();
        FeatureShards shards = FeatureShardWriter.write(train, tmp.resolve("shards"), 50);
        MappedTeacherOutputs fromSpark = LabelOutputLogits.toLogitsFile(out, shards, tmp.resolve("spark.logits"));
        try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            MappedTeacherOutputs local = TeacherOutputCache.computeToFile(
                    teacher, shards, tmp.resolve("local.logits"), manager, BATCH, d -> {});
            assertThat(fromSpark.teacherKey()).isEqualTo(teacher.identity().cacheKey());
            assertThat(Files.mismatch(fromSpark.file(), local.file())).isEqualTo(-1L);

            var approval = new DistillationGate()
                    .approve(GateRequest.forTeacher(TermsRegistry.builtIn().get("mit"), "student")
                            .withTeacher(teacher.identity()));
            List<EpochRecord> history;
            try (SavedModel student =
                    SavedModel.create(new MlpSpec(List.of(8), null, 0), shards.featureShape(), shards.classNames())) {
                history = ClassifierTrainer.builder(config)
                        .optDistillation(
                                new KdParameters(2, 0.5), SoftTargets.streamed(fromSpark.teacherKey()), approval)
                        .build()
                        .fit(student, ShardStream.of(shards, fromSpark, 32), null)
                        .history();
            }
            assertThat(history).hasSize(1);
            assertThat(history.get(0).trainSoftLoss()).isFinite().isPositive();
        }
        // Shards of another size are refused before anything is written.
        FeatureShards fewer = FeatureShardWriter.write(
                org.distill4j.data.ExampleSets.slice(train, 0, 100), tmp.resolve("shards-100"), 50);
        assertThatThrownBy(() -> LabelOutputLogits.toLogitsFile(out, fewer, tmp.resolve("x.logits")))
                .hasMessageContaining("holds 180 rows of teacher outputs but the shards");
    }
}
