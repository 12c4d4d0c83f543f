package org.distill4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.util.concurrent.atomic.AtomicReference;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.model.SlotKvCache;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;

/**
 * {@link InferenceThreads}: on a thread other than the one that started the engine, PyTorch's grad
 * mode is on and a forward pass records an autograd graph (the premise, asserted so that this test
 * says when a DJL release changes it); after {@link InferenceThreads#prepare()} grad mode is off,
 * so nothing records, and the intra-op thread count is the configured one.
 */
class InferenceThreadsTest {

    /** Runs {@code body} on a fresh thread and returns what it returns. */
    private static String onNewThread(java.util.function.Supplier<String> body) throws Exception {
        AtomicReference<String> out = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                out.set(body.get());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return out.get();
    }

    /** Grad mode, and (where it is on) the gradient function of the logits after 5 slot-cache steps. */
    private static String forward(LanguageModel lm, boolean prepare) {
        if (prepare) {
            InferenceThreads.prepare();
        }
        StringBuilder s = new StringBuilder("grad mode " + JniUtils.isGradMode());
        NDManager root = lm.model().getNDManager();
        try (NDManager m = root.newSubManager();
                SlotKvCache cache = lm.decoder().newSlotCache(m, 2)) {
            ParameterStore ps = new ParameterStore(m, false);
            NDArray logits = null;
            for (int step = 0; step < 5; step++) {
                logits = lm.decoder().forward(ps, m.create(new int[] {1, 2}, new Shape(2, 1)), cache, new int[] {0, 1});
            }
            // Asked only where grad mode is on: DJL 0.36's torchGradFnName crashes on a tensor
            // without a gradient function.
            if (!prepare) {
                s.append(", logits from ").append(JniUtils.getGradientFunctionNames((PtNDArray) logits));
            }
        }
        return s.toString();
    }

    @Test
    void aPreparedThreadRecordsNoGraph() throws Exception {
        DecoderConfig c = new DecoderConfig(258, 1, 16, 2, 16, 0.0, Positions.ROTARY, false);
        try (LanguageModel lm = LanguageModel.create(c, ByteTokenizer.INSTANCE, 3)) {
            String bare = onNewThread(() -> forward(lm, false));
            assertThat(bare)
                    .as("the premise: DJL leaves grad mode on on other threads")
                    .startsWith("grad mode true");
            assertThat(bare).containsPattern("logits from \\w+Backward");
            assertThat(onNewThread(() -> forward(lm, true))).isEqualTo("grad mode false");
            Integer threads = Integer.getInteger("ai.djl.pytorch.num_threads");
            if (threads != null) {
                assertThat(onNewThread(() -> {
                            InferenceThreads.prepare();
                            return Integer.toString(JniUtils.getNumThreads());
                        }))
                        .isEqualTo(threads.toString());
            }
        }
    }
}
