package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.distill4j.lm.loss.FullKl;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A decoder's gradients must not depend on a garbage collection between the forward and the
 * backward pass. DJL 0.36's {@code NDArray.mul(Number)} releases its scalar's direct buffer while
 * autograd still holds it; the attention scale and the sequence losses' weights once used it, so a
 * GC made training runs differ (the same bug as the classifier loss's, docs/engine.md). Here a
 * forced GC frees such buffers and small direct buffers filled with 1000 reuse their memory.
 */
class DecoderGcTest {

    @ParameterizedTest
    @EnumSource(Positions.class)
    void gradientsAreTheSameWithACollectionBetweenForwardAndBackward(Positions positions) throws Exception {
        float[] clean = gradients(positions, false);
        for (int run = 0; run < 3; run++) {
            assertThat(gradients(positions, true))
                    .as("run %d under GC pressure", run)
                    .containsExactly(clean);
        }
    }

    private static float[] gradients(Positions positions, boolean collect) throws InterruptedException {
        DecoderConfig config = new DecoderConfig(258, 2, 32, 4, 16, 0.0, positions, false);
        Random rng = new Random(11);
        long[][] ids = new long[2][12];
        long[][] targets = new long[2][12];
        float[] teacher = new float[2 * 12 * 258];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 12; t++) {
                ids[b][t] = rng.nextInt(256);
                targets[b][t] = t == 11 && b == 1 ? -1 : rng.nextInt(256);
            }
        }
        for (int i = 0; i < teacher.length; i++) {
            teacher[i] = (float) rng.nextGaussian();
        }
        try (LanguageModel lm = LanguageModel.create(config, ByteTokenizer.INSTANCE, 1);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(ids);
            NDArray y = m.create(targets);
            NDArray t = m.create(teacher, new Shape(2, 12, 258));
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = lm.logits(x);
                NDArray loss = new FullKl(2.0, 0.5)
                        .terms(logits, y, new TeacherTargets.Full(t))
                        .total();
                List<ByteBuffer> reuse = new ArrayList<>();
                if (collect) {
                    System.gc();
                    Thread.sleep(20); // lets the reference handler run the freed buffers' cleaners
                    for (int i = 0; i < 2000; i++) {
                        ByteBuffer buf = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
                        buf.putFloat(0, 1000f);
                        reuse.add(buf);
                    }
                }
                gc.backward(loss);
                assertThat(reuse).hasSize(collect ? 2000 : 0);
            }
            List<Float> all = new ArrayList<>();
            for (Pair<String, Parameter> p : lm.decoder().getParameters()) {
                for (float g : p.getValue().getArray().getGradient().toFloatArray()) {
                    all.add(g);
                }
            }
            float[] out = new float[all.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = all.get(i);
            }
            return out;
        }
    }
}
