package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.distill4j.data.CorruptDataException;
import org.distill4j.data.ExampleStream;
import org.distill4j.data.FeatureShardWriter;
import org.distill4j.data.FeatureShards;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.data.MissingDataException;
import org.distill4j.data.ShardStream;
import org.distill4j.io.MappedRegion;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.KeyedLogitsWriter;
import org.distill4j.teacher.MappedTeacherOutputs;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.testutil.SyntheticData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training from feature shards on disk joined by key with a memory-mapped teacher-output file: the
 * stream's contract (each row once, seeded order, bounded buffering, the join), the streaming
 * labelling's equality with the in-memory cache, and training equal to the in-memory path.
 */
class ShardStreamTrainingTest {

    static final InMemoryExampleSet TRAIN = SyntheticData.blobs("blobs/train", 1000, 4, 16, 1.0, 1);
    static final MlpSpec MLP = new MlpSpec(List.of(32), null, 0.1);

    @TempDir
    static Path tmp;

    static Path teacherDir;

    @BeforeAll
    static void trainTeacher() throws Exception {
        teacherDir = tmp.resolve("teacher");
        try (SavedModel teacher = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            ClassifierTrainer.builder(ClassifierTrainerTest.config(2)).build().fit(teacher, TRAIN, null);
            teacher.save(teacherDir);
        }
    }

    static TrainingConfig config(int epochs) {
        return ClassifierTrainerTest.config(epochs);
    }

    /** Reads a whole epoch: keys in order, and every row's features, label and logits by key. */
    static List<Long> epochKeys(ShardStream stream, long seed, float[][] features, int[] labels, float[][] logits)
            throws Exception {
        List<Long> keys = new ArrayList<>();
        ExampleStream.Batch batch = new ExampleStream.Batch(64, stream.featureSize(), stream.numClasses());
        try (ExampleStream.Epoch epoch = stream.open(seed, 64)) {
            for (int n; (n = epoch.next(batch)) > 0; ) {
                assertThat(batch.rows()).isNull();
                for (int i = 0; i < n; i++) {
                    int key = (int) batch.keys()[i];
                    keys.add((long) key);
                    if (features != null) {
                        features[key] = java.util.Arrays.copyOfRange(
                                batch.features(), i * stream.featureSize(), (i + 1) * stream.featureSize());
                        labels[key] = (int) batch.labels()[i];
                        logits[key] = java.util.Arrays.copyOfRange(
                                batch.teacherLogits(), i * stream.numClasses(), (i + 1) * stream.numClasses());
                    }
                }
            }
        }
        return keys;
    }

    @Test
    void eachRowOncePerEpochJoinedByKeyInASeededOrderWithBoundedBuffering() throws Exception {
        Path dir = tmp.resolve("shards-7");
        FeatureShards shards = FeatureShardWriter.write(TRAIN, dir, 150);
        assertThat(shards.shards()).hasSize(7);
        try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            TeacherOutputs inMemory = TeacherOutputCache.compute(teacher, TRAIN, manager, 64, d -> {});
            MappedTeacherOutputs mapped =
                    TeacherOutputCache.computeToFile(teacher, shards, tmp.resolve("t7.logits"), manager, 64, d -> {});
            assertThat(mapped.teacherKey()).isEqualTo(teacher.identity().cacheKey());
            ShardStream stream = ShardStream.of(shards, mapped, 40);
            assertThat(stream.teacherKey()).isEqualTo(teacher.identity().cacheKey());

            MappedRegion.resetMaxMappedBytes();
            long before = MappedRegion.mappedBytes();
            float[][] features = new float[TRAIN.size()][];
            int[] labels = new int[TRAIN.size()];
            float[][] logits = new float[TRAIN.size()][];
            List<Long> a = epochKeys(stream, 5, features, labels, logits);
            // Each row exactly once.
            assertThat(a).hasSize(TRAIN.size());
            assertThat(new HashSet<>(a)).hasSize(TRAIN.size());
            // The join: every key's features, label and logits are that row's, the logits bit for
            // bit what the in-memory cache computes.
            float[] row = new float[TRAIN.featureSize()];
            for (int k = 0; k < TRAIN.size(); k++) {
                TRAIN.copyFeatures(new int[] {k}, row);
                assertThat(features[k]).containsExactly(row);
                assertThat(labels[k]).isEqualTo(TRAIN.label(k));
                float[] expected = new float[4];
                inMemory.copyRows(new int[] {k}, expected);
                assertThat(logits[k]).containsExactly(expected);
            }
            // Bounded: the buffer filled to its size and no further; one shard mapped at a time,
            // with its logits window; nothing left mapped after the epoch.
            ShardStream.EpochStats stats = stream.lastEpoch();
            assertThat(stats.rows()).isEqualTo(TRAIN.size());
            assertThat(stats.maxBufferedRows()).isEqualTo(40);
            assertThat(stats.maxMappedShards()).isEqualTo(1);
            assertThat(MappedRegion.maxMappedBytes() - before)
                    .isPositive()
                    .isLessThanOrEqualTo(shards.largestShardBytes() + 150L * 4 * 4);
            assertThat(MappedRegion.mappedBytes()).isEqualTo(before);
            assertThat(MappedRegion.promptUnmap()).isTrue();

            // Same seed, same order; another seed, another order and another shard order.
            List<Integer> shardOrder = stats.shardsVisited();
            assertThat(epochKeys(stream, 5, null, null, null)).isEqualTo(a);
            assertThat(stream.lastEpoch().shardsVisited()).isEqualTo(shardOrder);
            List<Long> b = epochKeys(stream, 6, null, null, null);
            assertThat(b).isNotEqualTo(a).containsExactlyInAnyOrderElementsOf(a);
            Set<List<Integer>> orders = new HashSet<>();
            for (long seed = 0; seed < 8; seed++) {
                epochKeys(stream, seed, null, null, null);
                orders.add(stream.lastEpoch().shardsVisited());
            }
            assertThat(orders).hasSizeGreaterThan(1);
            // Shuffled across shards: within the first 150 rows out, rows of more than one shard.
            Set<Long> firstShards = new HashSet<>();
            a.subList(0, 150).forEach(k -> firstShards.add(k / 150));
            assertThat(firstShards).hasSizeGreaterThan(1);
        }
    }

    @Test
    void oneShardWithABufferOfOneTrainsBitForBitAsTheInMemoryPath() throws Exception {
        FeatureShards shards = FeatureShardWriter.write(TRAIN, tmp.resolve("shards-1"), TRAIN.size());
        KdParameters kd = new KdParameters(2, 0.5);
        try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            var approval = ClassifierTrainerTest.approval(teacher.identity());
            TeacherOutputs outputs = TeacherOutputCache.compute(teacher, TRAIN, manager, 64, d -> {});
            List<EpochRecord> inMemory;
            try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
                inMemory = ClassifierTrainer.builder(config(3))
                        .optSeed(21)
                        .optDistillation(kd, SoftTargets.cached(outputs), approval)
                        .build()
                        .fit(student, TRAIN, null)
                        .history();
                student.save(tmp.resolve("student-memory"));
            }
            MappedTeacherOutputs mapped =
                    TeacherOutputCache.computeToFile(teacher, shards, tmp.resolve("t1.logits"), manager, 64, d -> {});
            List<EpochRecord> streamed;
            try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
                streamed = ClassifierTrainer.builder(config(3))
                        .optSeed(21)
                        .optDistillation(kd, SoftTargets.streamed(mapped.teacherKey()), approval)
                        .build()
                        .fit(student, ShardStream.of(shards, mapped, 1), null)
                        .history();
                student.save(tmp.resolve("student-shards"));
            }
            for (int e = 0; e < 3; e++) {
                assertThat(streamed.get(e).trainLoss())
                        .isEqualTo(inMemory.get(e).trainLoss());
                assertThat(streamed.get(e).trainAccuracy())
                        .isEqualTo(inMemory.get(e).trainAccuracy());
            }
            assertThat(Files.readAllBytes(tmp.resolve("student-shards").resolve(SavedModel.PARAMS)))
                    .isEqualTo(Files.readAllBytes(tmp.resolve("student-memory").resolve(SavedModel.PARAMS)));

            // A bigger buffer is another order: other weights, still a trained student.
            List<EpochRecord> shuffled;
            try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
                shuffled = ClassifierTrainer.builder(config(3))
                        .optSeed(21)
                        .optDistillation(kd, SoftTargets.streamed(mapped.teacherKey()), approval)
                        .build()
                        .fit(student, ShardStream.of(shards, mapped, 100), null)
                        .history();
            }
            assertThat(shuffled.get(2).trainLoss()).isNotEqualTo(inMemory.get(2).trainLoss());
            assertThat(shuffled.get(2).trainAccuracy()).isGreaterThan(0.8);
        }
    }

    @Test
    void logitsWrittenByKeyInAnyOrderEqualTheStreamingLabellingByteForByte() throws Exception {
        FeatureShards shards = FeatureShardWriter.write(TRAIN, tmp.resolve("shards-k"), 300);
        try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            MappedTeacherOutputs streamed = TeacherOutputCache.computeToFile(
                    teacher, shards, tmp.resolve("streamed.logits"), manager, 64, d -> {});
            TeacherOutputs inMemory = TeacherOutputCache.compute(teacher, TRAIN, manager, 64, d -> {});
            List<Integer> keys = new ArrayList<>();
            for (int k = 0; k < TRAIN.size(); k++) {
                keys.add(k);
            }
            java.util.Collections.shuffle(keys, new java.util.Random(4));
            Path byKey = tmp.resolve("by-key.logits");
            try (KeyedLogitsWriter w = KeyedLogitsWriter.create(
                    byKey, teacher.identity().cacheKey(), shards.contentHash(), TRAIN.size(), 4)) {
                float[] row = new float[4];
                for (int k : keys) {
                    inMemory.copyRows(new int[] {k}, row);
                    w.put(k, row);
                }
                w.finish();
            }
            assertThat(Files.mismatch(byKey, streamed.file())).isEqualTo(-1L);
            // A key twice, or one missing, is an error; nothing is left behind.
            Path bad = tmp.resolve("bad.logits");
            try (KeyedLogitsWriter w = KeyedLogitsWriter.create(bad, "k", shards.contentHash(), 3, 4)) {
                w.put(0, new float[4]);
                assertThatThrownBy(() -> w.put(0, new float[4])).hasMessageContaining("key 0 came twice");
                w.put(2, new float[4]);
                assertThatThrownBy(w::finish).hasMessageContaining("1 of 3 keys have no logits, the first is 1");
            }
            assertThat(bad).doesNotExist();
            try (var files = Files.list(tmp)) {
                assertThat(files.filter(f -> f.getFileName().toString().endsWith(".tmp")))
                        .isEmpty();
            }
        }
    }

    @Test
    void logitsOfAnotherDataSetAnotherTeacherOrCorruptShardsAreRefusedByName() throws Exception {
        FeatureShards shards = FeatureShardWriter.write(TRAIN, tmp.resolve("shards-e"), 400);
        InMemoryExampleSet other = SyntheticData.blobs("blobs/other", 1000, 4, 16, 1.0, 9);
        FeatureShards otherShards = FeatureShardWriter.write(other, tmp.resolve("shards-o"), 400);
        try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            MappedTeacherOutputs forOther = TeacherOutputCache.computeToFile(
                    teacher, otherShards, tmp.resolve("other.logits"), manager, 64, d -> {});
            assertThatThrownBy(() -> ShardStream.of(shards, forOther, 10))
                    .hasMessageContaining("not on the shards " + shards.dir());
            MappedTeacherOutputs mine =
                    TeacherOutputCache.computeToFile(teacher, shards, tmp.resolve("mine.logits"), manager, 64, d -> {});
            var approvalOfAnother = ClassifierTrainerTest.approval(ClassifierTrainerTest.teacherId("ffff"));
            try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
                assertThatThrownBy(() -> ClassifierTrainer.builder(config(1))
                                .optDistillation(
                                        new KdParameters(2, 0.5),
                                        SoftTargets.streamed("distill4j:ffff"),
                                        approvalOfAnother)
                                .build()
                                .fit(student, ShardStream.of(shards, mine, 10), null))
                        .hasMessageContaining("carries the logits of teacher " + mine.teacherKey());
            }
            // A flipped byte inside a shard's records: named on read.
            Path second = shards.shards().get(1).file();
            byte[] bytes = Files.readAllBytes(second);
            bytes[100] ^= 1;
            Files.write(second, bytes);
            ShardStream stream = ShardStream.of(shards, mine, 10);
            assertThatThrownBy(() -> epochKeys(stream, 1, null, null, null))
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(second.toString())
                    .hasMessageContaining("checksum");
            // A truncated teacher-output file is named.
            Path cut = tmp.resolve("cut.logits");
            byte[] logits = Files.readAllBytes(mine.file());
            Files.write(cut, java.util.Arrays.copyOf(logits, logits.length - 9));
            assertThatThrownBy(() -> MappedTeacherOutputs.open(cut)).hasMessageContaining(cut.toString());
        }
        // A directory whose writer never finished has no manifest and is refused.
        Path unfinished = tmp.resolve("shards-unfinished");
        try (FeatureShardWriter w =
                FeatureShardWriter.create(unfinished, "u", TRAIN.featureShape(), TRAIN.classNames(), 10)) {
            for (int i = 0; i < 25; i++) {
                w.add(0, new float[16], 0);
            }
        }
        assertThat(Files.list(unfinished).count()).isEqualTo(2);
        assertThatThrownBy(() -> FeatureShards.open(unfinished))
                .isInstanceOf(MissingDataException.class)
                .hasMessageContaining("not a complete feature-shard directory");
    }
}
