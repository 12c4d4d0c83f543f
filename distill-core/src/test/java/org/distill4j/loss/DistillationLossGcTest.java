package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The gradient of {@link DistillationLoss} must not depend on a garbage collection between the
 * forward and the backward pass. DJL's {@code NDArray.mul(Number)} builds its scalar over a Java
 * direct buffer that it releases at once while autograd still holds the scalar for the backward
 * pass; here a forced GC frees that buffer and small direct buffers filled with 1000 reuse its
 * memory, which made the old loss's gradient wrong in every run (see {@code docs/engine.md}).
 */
class DistillationLossGcTest {

    private static final int BATCH = 8;
    private static final int CLASSES = 5;

    @ParameterizedTest(name = "T={0}, alpha={1}")
    @CsvSource({"4, 0.5", "1, 0.5", "2, 1", "1, 0", "3, 0"})
    void gradientIsTheSameWithACollectionBetweenForwardAndBackward(double temperature, double alpha)
            throws InterruptedException {
        float[] clean = gradient(temperature, alpha, false);
        for (int run = 0; run < 5; run++) {
            assertThat(gradient(temperature, alpha, true))
                    .as("run %d under GC pressure", run)
                    .containsExactly(clean);
        }
    }

    private static float[] gradient(double temperature, double alpha, boolean collect) throws InterruptedException {
        Random rng = new Random(7);
        float[] s = new float[BATCH * CLASSES];
        float[] t = new float[BATCH * CLASSES];
        long[] y = new long[BATCH];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) rng.nextGaussian() * 2;
            t[i] = (float) rng.nextGaussian() * 2;
        }
        for (int i = 0; i < BATCH; i++) {
            y[i] = i % 3 == 0 ? -1 : rng.nextInt(CLASSES);
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray student = m.create(s, new Shape(BATCH, CLASSES));
            student.setRequiresGradient(true);
            NDList labels = new NDList(m.create(y), m.create(t, new Shape(BATCH, CLASSES)));
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray loss = new DistillationLoss(temperature, alpha).evaluate(labels, new NDList(student));
                List<ByteBuffer> reuse = new ArrayList<>();
                if (collect) {
                    System.gc();
                    Thread.sleep(20); // lets the reference handler run the freed buffers' cleaners
                    for (int i = 0; i < 2000; i++) {
                        ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
                        b.putFloat(0, 1000f);
                        reuse.add(b);
                    }
                }
                gc.backward(loss);
                assertThat(reuse).hasSize(collect ? 2000 : 0);
            }
            return student.getGradient().toFloatArray();
        }
    }
}
