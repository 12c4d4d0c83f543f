package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateApproval;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.testutil.SyntheticData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierTrainerTest {

    static final InMemoryExampleSet TRAIN = SyntheticData.blobs("blobs/train", 600, 4, 16, 1.0, 1);
    static final InMemoryExampleSet VAL = SyntheticData.blobs("blobs/val", 200, 4, 16, 1.0, 2);
    static final MlpSpec MLP = new MlpSpec(List.of(32), null, 0.1);

    static TrainingConfig config(int epochs) {
        return TrainingConfig.builder()
                .setEpochs(epochs)
                .optBatchSize(32)
                .optLearningRate(0.01)
                .optWeightDecay(1e-4)
                .optSchedule(Schedule.COSINE)
                .build();
    }

    static List<EpochRecord> train(TrainingConfig cfg, long seed, Path ckpt, boolean resume) throws Exception {
        try (SavedModel model = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            return ClassifierTrainer.builder(cfg)
                    .optSeed(seed)
                    .optCheckpointDir(ckpt)
                    .optResume(resume)
                    .build()
                    .fit(model, TRAIN, VAL)
                    .history();
        }
    }

    @Test
    void learnsSeparableBlobs() throws Exception {
        List<EpochRecord> h = train(config(5), 7, null, false);
        assertThat(h).hasSize(5);
        assertThat(h.get(4).valAccuracy()).isGreaterThan(0.9);
        assertThat(h.get(4).trainLoss()).isLessThan(h.get(0).trainLoss());
    }

    @Test
    void sameSeedGivesIdenticalMetrics() throws Exception {
        List<EpochRecord> a = train(config(3), 11, null, false);
        List<EpochRecord> b = train(config(3), 11, null, false);
        for (int i = 0; i < 3; i++) {
            assertThat(b.get(i).trainLoss()).isEqualTo(a.get(i).trainLoss());
            assertThat(b.get(i).valLoss()).isEqualTo(a.get(i).valLoss());
        }
        List<EpochRecord> c = train(config(3), 12, null, false);
        assertThat(c.get(2).trainLoss()).isNotEqualTo(a.get(2).trainLoss());
    }

    @Test
    void resumedRunEndsWithSameMetricsAsUninterrupted(@TempDir Path tmp) throws Exception {
        List<EpochRecord> full = train(config(4), 5, tmp.resolve("a"), false);
        // "Interrupt" after 2 epochs: same recipe, fewer epochs would change the schedule, so stop by
        // training the first two epochs with the full config and a listener that aborts.
        Path ckpt = tmp.resolve("b");
        try (SavedModel model = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            ClassifierTrainer t = ClassifierTrainer.builder(config(4))
                    .optSeed(5)
                    .optCheckpointDir(ckpt)
                    .optListener(new TrainingListener() {
                        @Override
                        public void onEpochEnd(EpochRecord r) {
                            if (r.epoch() == 2) {
                                throw new IllegalStateException("simulated kill");
                            }
                        }
                    })
                    .build();
            assertThatThrownBy(() -> t.fit(model, TRAIN, VAL)).hasMessageContaining("simulated kill");
        }
        List<Integer> epochsRun = new java.util.ArrayList<>();
        int[] resumedAfter = {-1};
        ClassifierTrainer.Result result;
        try (SavedModel model = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            result = ClassifierTrainer.builder(config(4))
                    .optSeed(5)
                    .optCheckpointDir(ckpt)
                    .optResume(true)
                    .optListener(new TrainingListener() {
                        @Override
                        public void onEpochStart(int epoch, int epochs, int rows) {
                            epochsRun.add(epoch);
                        }

                        @Override
                        public void onResume(int epoch) {
                            resumedAfter[0] = epoch;
                        }
                    })
                    .build()
                    .fit(model, TRAIN, VAL);
        }
        // Resumed, not retrained: only the epochs after the checkpoint ran.
        assertThat(epochsRun).containsExactly(3, 4);
        assertThat(resumedAfter[0]).isEqualTo(2);
        assertThat(result.resumedAfterEpoch()).isEqualTo(2);
        List<EpochRecord> resumed = result.history();
        assertThat(resumed).hasSize(4);
        assertThat(resumed.get(1).trainLoss()).isEqualTo(full.get(1).trainLoss());
        assertThat(resumed.get(3).trainLoss()).isEqualTo(full.get(3).trainLoss());
        assertThat(resumed.get(3).valLoss()).isEqualTo(full.get(3).valLoss());
        assertThat(resumed.get(3).valAccuracy()).isEqualTo(full.get(3).valAccuracy());
    }

    static GateApproval approval(TeacherIdentity teacher) throws Exception {
        return new DistillationGate()
                .approve(GateRequest.forTeacher(TermsRegistry.builtIn().get("mit"), "student")
                        .withTeacher(teacher));
    }

    /** A teacher identity whose cache key is {@code distill4j:<hash>}. */
    static TeacherIdentity teacherId(String hash) {
        return new TeacherIdentity("distill4j", "/teachers/" + hash, hash, "MLP");
    }

    @Test
    void anApprovalForAnotherTeacherIsRefused() throws Exception {
        GateApproval forA = approval(teacherId("aaaa"));
        TeacherOutputs fromB = new TeacherOutputs(
                teacherId("bbbb").cacheKey(), TRAIN.contentHash(), TRAIN.size(), 4, new float[TRAIN.size() * 4]);
        assertThatThrownBy(() -> ClassifierTrainer.builder(config(1))
                        .optDistillation(new KdParameters(2, 0.5), SoftTargets.cached(fromB), forA))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("granted for teacher distill4j:aaaa")
                .hasMessageContaining("come from teacher distill4j:bbbb");
        // The same soft targets with the approval for their own teacher train, and the result names it.
        GateApproval forB = approval(teacherId("bbbb"));
        try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            ClassifierTrainer.Result r = ClassifierTrainer.builder(config(1))
                    .optDistillation(new KdParameters(2, 0.5), SoftTargets.cached(fromB), forB)
                    .build()
                    .fit(student, TRAIN, null);
            assertThat(r.approval()).isSameAs(forB);
            assertThat(r.approval().teacher().contentHash()).isEqualTo("bbbb");
        }
    }

    @Test
    void aCheckpointMadeUnderOneApprovalIsNotResumedUnderAnother(@TempDir Path tmp) throws Exception {
        TeacherOutputs outputs = new TeacherOutputs(
                teacherId("bbbb").cacheKey(), TRAIN.contentHash(), TRAIN.size(), 4, new float[TRAIN.size() * 4]);
        GateApproval first = approval(teacherId("bbbb"));
        GateApproval other = new DistillationGate()
                .approve(GateRequest.forTeacher(TermsRegistry.builtIn().get("mit"), "another-student")
                        .withTeacher(teacherId("bbbb")));
        Path ckpt = tmp.resolve("ckpt");
        try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            ClassifierTrainer.builder(config(1))
                    .optCheckpointDir(ckpt)
                    .optDistillation(new KdParameters(2, 0.5), SoftTargets.cached(outputs), first)
                    .build()
                    .fit(student, TRAIN, null);
        }
        try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            assertThatThrownBy(() -> ClassifierTrainer.builder(config(1))
                            .optCheckpointDir(ckpt)
                            .optResume(true)
                            .optDistillation(new KdParameters(2, 0.5), SoftTargets.cached(outputs), other)
                            .build()
                            .fit(student, TRAIN, null))
                    .hasMessageContaining("different configuration");
        }
        // Under the same approval (asked for again: another decision time) the checkpoint is resumed.
        try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            ClassifierTrainer.Result r = ClassifierTrainer.builder(config(1))
                    .optCheckpointDir(ckpt)
                    .optResume(true)
                    .optDistillation(new KdParameters(2, 0.5), SoftTargets.cached(outputs), approval(teacherId("bbbb")))
                    .build()
                    .fit(student, TRAIN, null);
            assertThat(r.resumedAfterEpoch()).isEqualTo(1);
        }
    }

    @Test
    void onlineDistillationCallsTheTeacherPerBatchAndMatchesCachedOutputs(@TempDir Path tmp) throws Exception {
        try (SavedModel teacherModel = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            ClassifierTrainer.builder(config(3)).build().fit(teacherModel, TRAIN, null);
            teacherModel.save(tmp.resolve("teacher"));
        }
        int[] calls = {0};
        try (SavedModelTeacher loaded = SavedModelTeacher.load(tmp.resolve("teacher"));
                ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            Teacher counting = new Teacher() {
                @Override
                public TeacherIdentity identity() {
                    return loaded.identity();
                }

                @Override
                public ai.djl.ndarray.NDArray logits(ai.djl.ndarray.NDArray inputs) {
                    calls[0]++;
                    return loaded.logits(inputs);
                }

                @Override
                public void close() {}
            };
            KdParameters kd = new KdParameters(2, 0.7);
            List<EpochRecord> online;
            try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
                online = ClassifierTrainer.builder(config(2))
                        .optSeed(9)
                        .optDistillation(kd, SoftTargets.online(counting), approval(loaded.identity()))
                        .build()
                        .fit(student, TRAIN, VAL)
                        .history();
            }
            assertThat(calls[0]).isEqualTo(2 * ((TRAIN.size() + 31) / 32));

            TeacherOutputs cachedOutputs = TeacherOutputCache.compute(loaded, TRAIN, manager, 64, done -> {});
            List<EpochRecord> cached;
            try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
                cached = ClassifierTrainer.builder(config(2))
                        .optSeed(9)
                        .optDistillation(kd, SoftTargets.cached(cachedOutputs), approval(loaded.identity()))
                        .build()
                        .fit(student, TRAIN, VAL)
                        .history();
            }
            // Without augmentation the teacher sees the same rows either way: same soft targets.
            assertThat(online.get(1).trainLoss()).isCloseTo(cached.get(1).trainLoss(), within(1e-5));
            assertThat(online.get(1).valAccuracy()).isEqualTo(cached.get(1).valAccuracy());
            assertThat(online.get(1).trainSoftLoss()).isFinite().isPositive();
        }
    }

    @Test
    void augmentationWithCachedTeacherOutputsIsRefused() throws Exception {
        TrainingConfig augmented = TrainingConfig.builder()
                .setEpochs(1)
                .optBatchSize(32)
                .optLearningRate(0.01)
                .optAugmentation(new Augmentation(1, false))
                .build();
        TeacherOutputs outputs = new TeacherOutputs(
                teacherId("k").cacheKey(), TRAIN.contentHash(), TRAIN.size(), 4, new float[TRAIN.size() * 4]);
        try (SavedModel student = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            assertThatThrownBy(() -> ClassifierTrainer.builder(augmented)
                            .optDistillation(
                                    new KdParameters(2, 0.5), SoftTargets.cached(outputs), approval(teacherId("k")))
                            .build()
                            .fit(student, TRAIN, null))
                    .hasMessageContaining("online");
        }
    }
}
