package org.distill4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.TextExampleSet;
import org.distill4j.data.TextFeatures;
import org.distill4j.eval.Predictions;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.EpochRecord;
import org.distill4j.train.Schedule;
import org.distill4j.train.TrainingConfig;
import org.distill4j.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BagSpecTest {

    static final TextFeatures FEATURES = TextFeatures.of(32, 2, 0, 0, true);
    static final BagSpec SMALL = new BagSpec(4096, 8, List.of(), null, 0);

    /**
     * Texts whose class is given by which of three word families they use, padded with words
     * every class shares: a bag of words separates them, a model that ignores words cannot.
     */
    static TextExampleSet toyCorpus(String name, int rows, long seed) {
        String[][] signal = {
            {"chess", "puzzle", "arcade", "game", "play"},
            {"library", "header", "shared", "runtime", "symbols"},
            {"editor", "syntax", "vim", "emacs", "text"},
        };
        String[] common = {"package", "this", "provides", "the", "for", "debian", "tool", "version", "and", "of"};
        Random rng = new Random(seed);
        List<String> texts = new ArrayList<>();
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = rng.nextInt(3);
            StringBuilder sb = new StringBuilder();
            int words = 4 + rng.nextInt(8);
            for (int w = 0; w < words; w++) {
                String word = rng.nextInt(3) == 0 ? signal[labels[i]][rng.nextInt(5)] : common[rng.nextInt(10)];
                sb.append(word).append(' ');
            }
            texts.add(sb.toString().trim());
        }
        return new TextExampleSet(name, texts, null, labels, List.of("games", "libs", "editors"), FEATURES);
    }

    static TrainingConfig config(int epochs) {
        return TrainingConfig.builder()
                .setEpochs(epochs)
                .optBatchSize(32)
                .optLearningRate(0.05)
                .optSchedule(Schedule.COSINE)
                .build();
    }

    static float[] logits(SavedModel model, ExampleSet data) {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            return Predictions.of(model, data, m, 64).logits();
        }
    }

    @Test
    void learnsWhichWordsMakeAClass() throws Exception {
        TextExampleSet train = toyCorpus("toy/train", 600, 1);
        TextExampleSet test = toyCorpus("toy/test", 300, 2);
        try (SavedModel model = SavedModel.create(SMALL, train.featureShape(), train.classNames(), FEATURES)) {
            List<EpochRecord> h = ClassifierTrainer.builder(config(4))
                    .optSeed(3)
                    .build()
                    .fit(model, train, test)
                    .history();
            // Chance is 1/3; a third of the words carry the class, so most rows are decidable.
            assertThat(h.get(3).valAccuracy()).isGreaterThan(0.85);
            assertThat(model.parameterCount()).isEqualTo(4096L * 8 + 8 * 3 + 3);
        }
    }

    @Test
    void reloadsWithIdenticalLogitsAndItsTextFeatures(@TempDir Path dir) throws Exception {
        TextExampleSet train = toyCorpus("toy/train", 200, 1);
        BagSpec spec = new BagSpec(1000, 6, List.of(12), Activation.TANH, 0.2);
        float[] before;
        long params;
        try (SavedModel model = SavedModel.create(spec, train.featureShape(), train.classNames(), FEATURES)) {
            ClassifierTrainer.builder(config(1)).optSeed(4).build().fit(model, train, null);
            before = logits(model, train);
            params = model.parameterCount();
            model.save(dir);
        }
        String json = Files.readString(dir.resolve(SavedModel.DESCRIPTOR));
        assertThat(json)
                .contains("\"type\" : \"bag\"")
                .contains("\"text_features\"")
                .contains("\"max_features\" : 32");
        try (SavedModel loaded = SavedModel.load(dir)) {
            assertThat(loaded.spec()).isEqualTo(spec);
            assertThat(loaded.descriptor().textFeatures()).isEqualTo(FEATURES);
            assertThat(loaded.parameterCount()).isEqualTo(params).isEqualTo(1000L * 6 + 6 * 12 + 12 + 12 * 3 + 3);
            assertThat(logits(loaded, train)).isEqualTo(before);
        }
    }

    @Test
    void resumedTrainingEndsLikeAnUninterruptedOne(@TempDir Path tmp) throws Exception {
        TextExampleSet train = toyCorpus("toy/train", 200, 1);
        TextExampleSet val = toyCorpus("toy/val", 100, 2);
        List<EpochRecord> full;
        try (SavedModel model = SavedModel.create(SMALL, train.featureShape(), train.classNames(), FEATURES)) {
            full = ClassifierTrainer.builder(config(3))
                    .optSeed(5)
                    .optCheckpointDir(tmp.resolve("a"))
                    .build()
                    .fit(model, train, val)
                    .history();
        }
        Path ckpt = tmp.resolve("b");
        try (SavedModel model = SavedModel.create(SMALL, train.featureShape(), train.classNames(), FEATURES)) {
            ClassifierTrainer t = ClassifierTrainer.builder(config(3))
                    .optSeed(5)
                    .optCheckpointDir(ckpt)
                    .optListener(new TrainingListener() {
                        @Override
                        public void onEpochEnd(EpochRecord r) {
                            if (r.epoch() == 1) {
                                throw new IllegalStateException("simulated kill");
                            }
                        }
                    })
                    .build();
            assertThatThrownBy(() -> t.fit(model, train, val)).hasMessageContaining("simulated kill");
        }
        try (SavedModel model = SavedModel.create(SMALL, train.featureShape(), train.classNames(), FEATURES)) {
            ClassifierTrainer.Result resumed = ClassifierTrainer.builder(config(3))
                    .optSeed(5)
                    .optCheckpointDir(ckpt)
                    .optResume(true)
                    .build()
                    .fit(model, train, val);
            assertThat(resumed.resumedAfterEpoch()).isEqualTo(1);
            assertThat(resumed.history().get(2).valLoss()).isEqualTo(full.get(2).valLoss());
            assertThat(resumed.history().get(2).trainLoss())
                    .isEqualTo(full.get(2).trainLoss());
        }
    }

    @Test
    void averagesTheEmbeddingsOfNonPaddingIdsModuloBuckets() {
        int buckets = 5;
        Block bag = new EmbeddingBag(buckets, 3);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            bag.initialize(m, DataType.FLOAT32, new Shape(3, 4));
            Parameter table = bag.getParameters().get(0).getValue();
            float[] w = table.getArray().toFloatArray();
            // fastText's initialisation: uniform in (-1/dim, 1/dim).
            for (float v : w) {
                assertThat(Math.abs(v)).isLessThanOrEqualTo(1f / 3);
            }
            // Row 0: ids 1 and 3 -> buckets 0 and 2; row 1: id 1 + 5 wraps to bucket 0; row 2: padding only.
            NDArray x = m.create(new float[] {1, 3, 0, 0, buckets + 1, 0, 0, 0, 0, 0, 0, 0}, new Shape(3, 4));
            float[] out = bag.forward(new ParameterStore(m, false), new NDList(x), false)
                    .singletonOrThrow()
                    .toFloatArray();
            for (int d = 0; d < 3; d++) {
                assertThat(out[d]).isCloseTo((w[d] + w[2 * 3 + d]) / 2, org.assertj.core.data.Offset.offset(1e-6f));
                assertThat(out[3 + d]).isEqualTo(w[d]);
                assertThat(out[6 + d]).isZero();
            }
        }
    }

    @Test
    void readsTheRecipeFormWithDefaultsAndDescribesItself() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ModelSpec spec = json.readValue("{\"type\": \"bag\", \"dim\": 32}", ModelSpec.class);
        assertThat(spec).isEqualTo(new BagSpec(BagSpec.DEFAULT_BUCKETS, 32, List.of(), Activation.RELU, 0));
        assertThat(spec.describe()).isEqualTo("Bag(buckets=262144, dim=32, hidden=[], relu, dropout=0.0)");
        assertThat(json.readValue(json.writeValueAsString(spec), ModelSpec.class))
                .isEqualTo(spec);
    }

    @Test
    void rejectsBadValuesNamingTheField() {
        assertThatThrownBy(() -> BagSpec.of(0, null, null, null, null))
                .hasMessageContaining("illegal buckets value: 0");
        assertThatThrownBy(() -> BagSpec.of(null, 0, null, null, null)).hasMessageContaining("illegal dim value: 0");
        assertThatThrownBy(() -> BagSpec.of(1 << 24, 4096, null, null, null)).hasMessageContaining("buckets * dim");
        assertThatThrownBy(() -> BagSpec.of(null, null, List.of(0), null, null)).hasMessageContaining("hidden[0]");
        assertThatThrownBy(() -> SMALL.build(new long[] {1, 28, 28}, 10)).hasMessageContaining("[1, 28, 28]");
    }
}
