package org.distill4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 14, item 5: a model's size is estimated, and refused when too large, before allocation. */
class MemoryEstimateTest {

    private static final List<String> CLASSES = List.of("a", "b", "c");

    /** The estimate's parameter count equals DJL's count of the initialised block. */
    private static void assertExactParameterCount(ModelSpec spec, long[] shape) {
        try (SavedModel m = SavedModel.create(spec, shape, CLASSES);
                NDManager manager = NDManager.newBaseManager()) {
            long[] batch = new long[shape.length + 1];
            batch[0] = 2;
            System.arraycopy(shape, 0, batch, 1, shape.length);
            m.model()
                    .getBlock()
                    .initialize(
                            m.model().getNDManager(),
                            ai.djl.ndarray.types.DataType.FLOAT32,
                            new ai.djl.ndarray.types.Shape(batch));
            assertThat(MemoryEstimate.of(spec, shape, 3, 1).parameters())
                    .as(spec.describe())
                    .isEqualTo(m.parameterCount());
        }
    }

    @Test
    void parameterCountsAreExact() {
        assertExactParameterCount(new MlpSpec(List.of(32, 16), Activation.RELU, 0), new long[] {1, 28, 28});
        assertExactParameterCount(
                new CnnSpec(List.of(8, 4), 3, 2, List.of(16), Activation.RELU, 0, true), new long[] {1, 28, 28});
        assertExactParameterCount(
                new CnnSpec(List.of(6), 5, 1, List.of(), Activation.RELU, 0, false), new long[] {3, 8, 8});
        assertExactParameterCount(BagSpec.of(1000, 8, List.of(12), null, null), new long[] {64});
        assertExactParameterCount(
                new CnnSpec(List.of(8, 16, 12), 3, 2, List.of(), Activation.RELU, 0, true, true),
                new long[] {1, 28, 28});
    }

    @Test
    void theSeparableStudentsInTheRecipesAreOverTwentyTimesSmallerThanTheDemoTeacher() {
        long teacher = MemoryEstimate.of(
                        new CnnSpec(List.of(32, 64), 3, 2, List.of(256), Activation.RELU, 0.3, false),
                        new long[] {1, 28, 28},
                        10,
                        1)
                .parameters();
        assertThat(teacher).isEqualTo(824_458);
        long cnn = MemoryEstimate.of(
                        new CnnSpec(List.of(16, 32), 3, 2, List.of(), Activation.RELU, 0, false),
                        new long[] {1, 28, 28},
                        10,
                        1)
                .parameters();
        long separable = MemoryEstimate.of(
                        new CnnSpec(List.of(16, 32, 64), 3, 2, List.of(), Activation.RELU, 0, false, true),
                        new long[] {1, 28, 28},
                        10,
                        1)
                .parameters();
        long full = MemoryEstimate.of(
                        new CnnSpec(List.of(16, 32, 64), 3, 2, List.of(), Activation.RELU, 0, false, false),
                        new long[] {1, 28, 28},
                        10,
                        1)
                .parameters();
        assertThat(cnn).isEqualTo(20_490);
        assertThat(separable).isEqualTo(9_066);
        assertThat(MemoryEstimate.of(
                                new CnnSpec(List.of(8, 16), 3, 2, List.of(), Activation.RELU, 0, false),
                                new long[] {1, 28, 28},
                                10,
                                1)
                        .parameters())
                .isEqualTo(9_098);
        assertThat(teacher / cnn).isGreaterThanOrEqualTo(20);
        assertThat(teacher / separable).isGreaterThanOrEqualTo(80);
        // Factorising the 3x3 convolutions saves most of their weights.
        assertThat(separable).isLessThan(full / 3);
    }

    @Test
    void aModelOverTheLimitIsRefusedBeforeAllocationWithEstimateAndLimit() {
        // 784 -> 8192 -> 8192 -> 3: 73.6 million parameters, 281 MiB; the limit is set to 64 MiB.
        MlpSpec spec = new MlpSpec(List.of(8192, 8192), Activation.RELU, 0);
        String old = System.getProperty(MemoryEstimate.LIMIT_PROPERTY);
        System.setProperty(MemoryEstimate.LIMIT_PROPERTY, "64m");
        try {
            assertThatThrownBy(() -> SavedModel.create(spec, new long[] {1, 28, 28}, CLASSES)
                            .close())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("73,572,355 parameters")
                    .hasMessageContaining("280.7 MiB")
                    .hasMessageContaining("64.0 MiB")
                    .hasMessageContaining("--max-model-memory");
        } finally {
            if (old == null) {
                System.clearProperty(MemoryEstimate.LIMIT_PROPERTY);
            } else {
                System.setProperty(MemoryEstimate.LIMIT_PROPERTY, old);
            }
        }
    }

    @Test
    void theIssuesFourBillionParameterModelIsEstimatedWithoutAllocating() {
        MemoryEstimate e = MemoryEstimate.of(
                new MlpSpec(List.of(65536, 65536), Activation.RELU, 0), new long[] {1, 28, 28}, 3, 128);
        assertThat(e.parameters()).isEqualTo(4_346_675_203L);
        assertThat(e.trainingBytes()).isGreaterThan(16 * 4_346_675_203L);
    }

    @Test
    void trainingNeedsMoreThanInferenceAndGrowsWithTheBatch() {
        MlpSpec spec = new MlpSpec(List.of(64), Activation.RELU, 0);
        MemoryEstimate small = MemoryEstimate.of(spec, new long[] {784}, 10, 32);
        MemoryEstimate big = MemoryEstimate.of(spec, new long[] {784}, 10, 4096);
        assertThat(small.trainingBytes()).isGreaterThan(small.parameterBytes());
        assertThat(big.trainingBytes()).isGreaterThan(small.trainingBytes());
    }

    @Test
    void sizesParseWithUnitsAndBadOnesAreNamed() {
        assertThat(MemoryEstimate.parseSize("8g", "x")).isEqualTo(8L << 30);
        assertThat(MemoryEstimate.parseSize("512M", "x")).isEqualTo(512L << 20);
        assertThat(MemoryEstimate.parseSize("1048576", "x")).isEqualTo(1 << 20);
        assertThatThrownBy(() -> MemoryEstimate.parseSize("lots", "--max-model-memory"))
                .hasMessageContaining("--max-model-memory")
                .hasMessageContaining("'lots'");
    }
}
