package org.distill4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.testutil.SyntheticData;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SavedModelTest {

    static final InMemoryExampleSet BLOBS = SyntheticData.blobs("blobs", 200, 4, 16, 1.0, 3);

    static TrainingConfig oneEpoch() {
        return TrainingConfig.builder()
                .setEpochs(1)
                .optBatchSize(32)
                .optLearningRate(0.01)
                .build();
    }

    /** 8x8 single-channel images: class 0 bright top half, class 1 bright bottom half, class 2 dark. */
    static InMemoryExampleSet images(int rows, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[rows * 64];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = i % 3;
            for (int p = 0; p < 64; p++) {
                boolean top = p < 32;
                float base = y[i] == 0 ? (top ? 0.9f : 0.1f) : y[i] == 1 ? (top ? 0.1f : 0.9f) : 0.1f;
                x[i * 64 + p] = base + 0.1f * (float) rng.nextGaussian();
            }
        }
        return new InMemoryExampleSet("images", new long[] {1, 8, 8}, x, y, List.of("top", "bottom", "dark"));
    }

    static float[] logits(SavedModel model, InMemoryExampleSet data, int rows) {
        int fs = data.featureSize();
        float[] x = new float[rows * fs];
        int[] ids = new int[rows];
        for (int i = 0; i < rows; i++) {
            ids[i] = i;
        }
        data.copyFeatures(ids, x);
        long[] dims = new long[data.featureShape().length + 1];
        dims[0] = rows;
        System.arraycopy(data.featureShape(), 0, dims, 1, data.featureShape().length);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            return model.logits(m.create(x, new Shape(dims))).toFloatArray();
        }
    }

    void assertReloadsWithIdenticalLogits(ModelSpec spec, InMemoryExampleSet data, Path dir) throws Exception {
        float[] before;
        long params;
        try (SavedModel model = SavedModel.create(spec, data.featureShape(), data.classNames())) {
            ClassifierTrainer.builder(oneEpoch()).optSeed(9).build().fit(model, data, null);
            before = logits(model, data, 20);
            params = model.parameterCount();
            model.save(dir);
        }
        assertThat(dir.resolve(SavedModel.DESCRIPTOR)).isRegularFile();
        assertThat(dir.resolve(SavedModel.PARAMS)).isRegularFile();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder(SavedModel.DESCRIPTOR, SavedModel.PARAMS);
        }
        // No code: the architecture comes from model.json alone.
        try (SavedModel loaded = SavedModel.load(dir)) {
            assertThat(loaded.spec()).isEqualTo(spec);
            assertThat(loaded.descriptor().classNames()).isEqualTo(data.classNames());
            assertThat(loaded.descriptor().featureShape()).isEqualTo(data.featureShape());
            assertThat(loaded.parameterCount()).isEqualTo(params);
            assertThat(logits(loaded, data, 20)).containsExactly(before);
        }
    }

    @Test
    void trainedMlpReloadsFromItsDirectoryWithIdenticalLogits(@TempDir Path tmp) throws Exception {
        assertReloadsWithIdenticalLogits(new MlpSpec(List.of(24, 12), Activation.TANH, 0.2), BLOBS, tmp.resolve("mlp"));
    }

    @Test
    void trainedCnnWithBatchNormReloadsFromItsDirectoryWithIdenticalLogits(@TempDir Path tmp) throws Exception {
        assertReloadsWithIdenticalLogits(
                new CnnSpec(List.of(4, 8), 3, 2, List.of(16), null, 0.1, true), images(90, 5), tmp.resolve("cnn"));
    }

    @Test
    void trainingChangesTheSavedParameters(@TempDir Path tmp) throws Exception {
        // Guards the reload test: an untrained model saved and reloaded must differ from a trained one.
        MlpSpec spec = new MlpSpec(List.of(8), null, 0);
        try (SavedModel a = SavedModel.create(spec, BLOBS.featureShape(), BLOBS.classNames());
                SavedModel b = SavedModel.create(spec, BLOBS.featureShape(), BLOBS.classNames())) {
            ClassifierTrainer.builder(oneEpoch()).optSeed(1).build().fit(a, BLOBS, null);
            ClassifierTrainer.builder(oneEpoch()).optSeed(2).build().fit(b, BLOBS, null);
            a.save(tmp.resolve("a"));
            b.save(tmp.resolve("b"));
        }
        assertThat(SavedModel.contentHash(tmp.resolve("a"))).isNotEqualTo(SavedModel.contentHash(tmp.resolve("b")));
    }

    @Test
    void missingModelJsonGivesAMessageNamingThePath(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("empty-model"));
        assertThatThrownBy(() -> SavedModel.load(dir))
                .isInstanceOf(FileNotFoundException.class)
                .hasMessageContaining(dir.resolve("model.json").toString())
                .hasMessageContaining("missing");
    }

    @Test
    void missingParametersGiveAMessageNamingTheFile(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("m");
        try (SavedModel model =
                SavedModel.create(new MlpSpec(List.of(4), null, 0), BLOBS.featureShape(), BLOBS.classNames())) {
            ClassifierTrainer.builder(oneEpoch()).build().fit(model, BLOBS, null);
            model.save(dir);
        }
        Files.delete(dir.resolve(SavedModel.PARAMS));
        assertThatThrownBy(() -> SavedModel.load(dir))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining(dir.resolve(SavedModel.PARAMS).toString());
    }

    /** Issue 14, item 9: a truncated parameters file was reported as "null". */
    @Test
    void truncatedParametersSayTruncatedAndNameTheFile(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("m");
        try (SavedModel model =
                SavedModel.create(new MlpSpec(List.of(16), null, 0), BLOBS.featureShape(), BLOBS.classNames())) {
            ClassifierTrainer.builder(oneEpoch()).build().fit(model, BLOBS, null);
            model.save(dir);
        }
        Path params = dir.resolve(SavedModel.PARAMS);
        byte[] bytes = Files.readAllBytes(params);
        Files.write(params, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> SavedModel.load(dir))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining(params.toString())
                .hasMessageContaining("truncated or corrupt")
                .hasMessageNotContaining("null");
    }

    @Test
    void malformedModelJsonGivesAMessageNamingTheFile(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(
                dir.resolve("model.json"),
                "{\"format\": \"distill4j-model\", \"version\": 1, "
                        + "\"architecture\": {\"type\": \"transformer\"}}");
        assertThatThrownBy(() -> SavedModel.load(dir))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining(dir.resolve("model.json").toString());
    }

    @Test
    void nonPositiveWidthIsRejectedNamingFieldAndIndex() {
        assertThatThrownBy(() -> new MlpSpec(List.of(16, 0), null, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hidden[1]")
                .hasMessageContaining("0")
                .hasMessageContaining("[1, 65536]");
        assertThatThrownBy(() -> new CnnSpec(List.of(-3), null, null, null, null, 0, false))
                .hasMessageContaining("channels[0]")
                .hasMessageContaining("-3");
        assertThatThrownBy(() -> new CnnSpec(List.of(), null, null, null, null, 0, false))
                .hasMessageContaining("channels");
    }

    @Test
    void dropoutOutsideZeroToOneIsRejected() {
        assertThatThrownBy(() -> new MlpSpec(List.of(8), null, 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dropout")
                .hasMessageContaining("1.0")
                .hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> new MlpSpec(List.of(8), null, -0.1)).hasMessageContaining("dropout");
        assertThatThrownBy(() -> new MlpSpec(List.of(8), null, Double.NaN)).hasMessageContaining("dropout");
    }

    @Test
    void evenKernelIsRejected() {
        assertThatThrownBy(() -> new CnnSpec(List.of(4), 4, null, null, null, 0, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kernel")
                .hasMessageContaining("4")
                .hasMessageContaining("odd");
    }

    @Test
    void cnnThatPoolsTheImageAwayIsRejectedWhenBuilt() {
        CnnSpec spec = new CnnSpec(List.of(4, 4, 4, 4), 3, 2, null, null, 0, false);
        assertThatThrownBy(() -> spec.build(new long[] {1, 8, 8}, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("8x8");
    }

    @Test
    void defaultsAreFilled() {
        CnnSpec cnn = new CnnSpec(List.of(4), null, null, null, null, 0, false);
        assertThat(cnn.kernel()).isEqualTo(3);
        assertThat(cnn.pool()).isEqualTo(2);
        assertThat(cnn.activation()).isEqualTo(Activation.RELU);
        assertThat(new MlpSpec(null, null, 0).hidden()).isEmpty();
    }
}
