package org.distill4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.io.IOException;
import java.nio.file.Path;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.eval.Predictions;
import org.distill4j.testutil.SyntheticData;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Any DJL block as the classifier: trained, saved, and reloaded when the user supplies the block. */
class CustomBlockTest {

    static final InMemoryExampleSet DATA = SyntheticData.blobs("blobs", 300, 3, 8, 1.0, 4);

    static Block block() {
        return new SequentialBlock()
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(16).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(3).build());
    }

    @Test
    void aUsersBlockTrainsSavesAndReloadsWithTheSameBlock(@TempDir Path tmp) throws Exception {
        float[] before;
        float[] x = new float[5 * DATA.featureSize()];
        DATA.copyFeatures(new int[] {0, 1, 2, 3, 4}, x);
        try (SavedModel m = SavedModel.of(block(), DATA.featureShape(), DATA.classNames());
                NDManager manager = NDManager.newBaseManager()) {
            assertThat(m.spec()).isNull();
            assertThat(m.describe()).contains("SequentialBlock");
            ClassifierTrainer.builder(TrainingConfig.builder()
                            .setEpochs(3)
                            .optBatchSize(32)
                            .optLearningRate(0.01)
                            .build())
                    .build()
                    .fit(m, DATA, null);
            assertThat(Predictions.of(m, DATA, manager, 64).accuracy(DATA)).isGreaterThan(0.7); // chance: 1/3
            assertThat(m.parameterCount()).isEqualTo(8 * 16 + 16 + 16 * 3 + 3);
            before = m.logits(manager.create(x, new Shape(5, 8))).toFloatArray();
            m.save(tmp.resolve("m"));
        }
        assertThatThrownBy(() -> SavedModel.load(tmp.resolve("m")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("custom block")
                .hasMessageContaining("SavedModel.load(dir, block)");
        assertThatThrownBy(() -> SavedModel.load(
                        tmp.resolve("m"), Linear.builder().setUnits(3).build()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("ai.djl.nn.SequentialBlock");
        try (SavedModel back = SavedModel.load(tmp.resolve("m"), block());
                NDManager manager = NDManager.newBaseManager()) {
            assertThat(back.logits(manager.create(x, new Shape(5, 8))).toFloatArray())
                    .containsExactly(before);
        }
        // It can teach from its directory too, the block supplied again.
        try (org.distill4j.teacher.SavedModelTeacher teacher =
                        org.distill4j.teacher.SavedModelTeacher.load(tmp.resolve("m"), block());
                NDManager manager = NDManager.newBaseManager()) {
            assertThat(teacher.logits(manager.create(x, new Shape(5, 8))).toFloatArray())
                    .containsExactly(before);
            assertThat(teacher.identity().description()).contains("custom block");
        }
    }

    @Test
    void aBuilderNeedsExactlyOneOfSpecAndBlock() {
        assertThatThrownBy(() -> SavedModel.builder()
                        .setFeatureShape(new long[] {8})
                        .setClassNames(DATA.classNames())
                        .build())
                .hasMessageContaining("exactly one of spec");
        assertThatThrownBy(() -> SavedModel.builder()
                        .setBlock(block())
                        .setSpec(new MlpSpec(null, null, 0))
                        .setFeatureShape(new long[] {8})
                        .setClassNames(DATA.classNames())
                        .build())
                .hasMessageContaining("exactly one of spec");
    }
}
