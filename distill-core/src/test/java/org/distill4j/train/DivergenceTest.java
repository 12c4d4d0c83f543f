package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.testutil.SyntheticData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DivergenceTest {

    static final InMemoryExampleSet TRAIN = SyntheticData.blobs("blobs", 128, 3, 8, 1.0, 6);
    static final MlpSpec MLP = new MlpSpec(List.of(16), null, 0);

    static TrainingConfig sgd(int epochs, double lr) {
        return TrainingConfig.builder()
                .setEpochs(epochs)
                .optBatchSize(32)
                .optOptimizer(OptimizerKind.SGD)
                .optLearningRate(lr)
                .optMomentum(0.9)
                .build();
    }

    @Test
    void hugeLearningRateStopsWithAMessageNamingEpochAndSuggestingALowerRate() throws Exception {
        try (SavedModel model = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            TrainingDivergedException e = catchThrowableOfType(
                    TrainingDivergedException.class,
                    () -> ClassifierTrainer.builder(sgd(3, 1e30)).build().fit(model, TRAIN, null));
            assertThat(e).isNotNull();
            assertThat(e.epoch()).isEqualTo(1);
            assertThat(e.getMessage())
                    .contains("epoch 1")
                    .contains("learning_rate")
                    .contains("lower learning_rate")
                    .contains("1.0E30")
                    .contains("No checkpoint");
            assertThat(e.lastGoodCheckpoint()).isNull();
        }
    }

    @Test
    void sameDataWithASaneRateDoesNotDiverge() throws Exception {
        try (SavedModel model = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            List<EpochRecord> h = ClassifierTrainer.builder(sgd(2, 0.01))
                    .build()
                    .fit(model, TRAIN, null)
                    .history();
            assertThat(h).hasSize(2).allMatch(r -> Double.isFinite(r.trainLoss()));
        }
    }

    /**
     * Epoch 1 trains on finite data and is checkpointed; after it, a listener makes row 0 read as
     * NaN, so epoch 2 (which visits every row) is guaranteed to meet a non-finite loss.
     */
    @Test
    void divergenceInEpochTwoKeepsTheCompleteCheckpointOfEpochOne(@TempDir Path tmp) throws Exception {
        Path ckpt = tmp.resolve("checkpoints");
        float[] features = new float[TRAIN.size() * TRAIN.featureSize()];
        int[] all = new int[TRAIN.size()];
        int[] labels = new int[TRAIN.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
            labels[i] = TRAIN.label(i);
        }
        TRAIN.copyFeatures(all, features);
        PoisonableSet data = new PoisonableSet(
                new InMemoryExampleSet("blobs", TRAIN.featureShape(), features, labels, TRAIN.classNames()));
        try (SavedModel model = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            ClassifierTrainer trainer = ClassifierTrainer.builder(sgd(3, 0.01))
                    .optCheckpointDir(ckpt)
                    .optListener(new TrainingListener() {
                        @Override
                        public void onEpochEnd(EpochRecord r) {
                            if (r.epoch() == 1) {
                                data.poisoned = true;
                            }
                        }
                    })
                    .build();
            TrainingDivergedException e =
                    catchThrowableOfType(TrainingDivergedException.class, () -> trainer.fit(model, data, null));
            assertThat(e).isNotNull();
            assertThat(e.epoch()).isEqualTo(2);
            assertThat(e.getMessage())
                    .contains("epoch 2")
                    .contains("lower learning_rate")
                    .contains("epoch-0001");
            Path good = ckpt.resolve("epoch-0001");
            assertThat(e.lastGoodCheckpoint()).isEqualTo(good);
            assertThat(good.resolve("model-0001.params")).isRegularFile();
            assertThat(good.resolve("optimizer.ndlist")).isRegularFile();
            assertThat(good.resolve("state.json")).isRegularFile();
            assertThat(Files.readString(good.resolve("state.json"))).contains("\"epoch\" : 1");
            try (Stream<Path> s = Files.list(ckpt)) {
                assertThat(s.map(p -> p.getFileName().toString())
                                .filter(n -> !n.equals(org.distill4j.io.OwnedDirectory.MARKER))
                                .toList())
                        .containsExactly("epoch-0001");
            }
            // The kept checkpoint is usable: its parameters load into a fresh model.
            try (SavedModel fresh = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
                ClassifierTrainer.builder(sgd(1, 0.01)).build().fit(fresh, TRAIN, null);
                fresh.loadParametersFrom(good, 1);
            }
        }
    }

    /** Wraps a real set; once poisoned, row 0's features are NaN (content hash unchanged). */
    static final class PoisonableSet implements org.distill4j.data.ExampleSet {
        final InMemoryExampleSet delegate;
        volatile boolean poisoned;

        PoisonableSet(InMemoryExampleSet delegate) {
            this.delegate = delegate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public int size() {
            return delegate.size();
        }

        @Override
        public long[] featureShape() {
            return delegate.featureShape();
        }

        @Override
        public int featureSize() {
            return delegate.featureSize();
        }

        @Override
        public int numClasses() {
            return delegate.numClasses();
        }

        @Override
        public List<String> classNames() {
            return delegate.classNames();
        }

        @Override
        public int label(int i) {
            return delegate.label(i);
        }

        @Override
        public String contentHash() {
            return delegate.contentHash();
        }

        @Override
        public void copyFeatures(int[] rows, float[] dst) {
            delegate.copyFeatures(rows, dst);
            if (poisoned) {
                for (int i = 0; i < rows.length; i++) {
                    if (rows[i] == 0) {
                        java.util.Arrays.fill(dst, i * featureSize(), (i + 1) * featureSize(), Float.NaN);
                    }
                }
            }
        }
    }
}
