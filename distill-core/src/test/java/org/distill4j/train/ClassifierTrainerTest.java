package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.testutil.SyntheticData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierTrainerTest {

    static final InMemoryExampleSet TRAIN = SyntheticData.blobs("blobs/train", 600, 4, 16, 1.0, 1);
    static final InMemoryExampleSet VAL = SyntheticData.blobs("blobs/val", 200, 4, 16, 1.0, 2);
    static final MlpSpec MLP = new MlpSpec(List.of(32), null, 0.1);

    static TrainingConfig config(int epochs) {
        return new TrainingConfig(epochs, 32, OptimizerKind.ADAM, 0.01, 0, 1e-4, Schedule.COSINE, 0, null);
    }

    static List<EpochRecord> train(TrainingConfig cfg, long seed, Path ckpt, boolean resume) throws Exception {
        try (SavedModel model = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            return ClassifierTrainer.builder(cfg).optSeed(seed).optCheckpointDir(ckpt).optResume(resume).build()
                    .fit(model, TRAIN, VAL).history();
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
            ClassifierTrainer t = ClassifierTrainer.builder(config(4)).optSeed(5).optCheckpointDir(ckpt)
                    .optListener(new TrainingListener() {
                        @Override
                        public void onEpochEnd(EpochRecord r) {
                            if (r.epoch() == 2) {
                                throw new IllegalStateException("simulated kill");
                            }
                        }
                    }).build();
            assertThatThrownBy(() -> t.fit(model, TRAIN, VAL)).hasMessageContaining("simulated kill");
        }
        List<EpochRecord> resumed = train(config(4), 5, ckpt, true);
        assertThat(resumed).hasSize(4);
        assertThat(resumed.get(3).trainLoss()).isEqualTo(full.get(3).trainLoss());
        assertThat(resumed.get(3).valLoss()).isEqualTo(full.get(3).valLoss());
        assertThat(resumed.get(3).valAccuracy()).isEqualTo(full.get(3).valAccuracy());
    }
}
