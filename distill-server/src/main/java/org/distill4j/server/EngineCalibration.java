package org.distill4j.server;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.distill4j.lm.model.Decoder;
import org.distill4j.lm.model.JvmDecoder;
import org.distill4j.lm.model.KvCache;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.model.InferenceThreads;

/**
 * The time of one cached token on the JVM and of one DJL step of one sequence, in milliseconds, and
 * from them how many generations a served language model decodes on the JVM under
 * {@code --lm-engine auto}: as many as fit, one token each, in the time of one DJL step of one
 * sequence ({@link #jvmRows}). Up to there feeding them in turn on the JVM is cheaper than any batched DJL pass (whose
 * fixed per-operator cost the JVM does not pay); beyond it further generations join the batched
 * pass, whose cost per extra sequence is far below a JVM token. Timed on this machine, on this
 * model: the best of two rounds of {@value #TOKENS} cached tokens per engine after one warm-up
 * round (a few hundred milliseconds for the benchmark's teacher).
 */
record EngineCalibration(double jvmMillis, double djlMillis) {

    private static final int TOKENS = 32;

    /** Returns the most generations to decode on the JVM: one DJL step's worth of JVM tokens, at least 1. */
    int jvmRows() {
        return (int) Math.max(1, Math.floor(djlMillis / jvmMillis));
    }

    /** Times a cached token of {@code lm} on each engine. */
    static EngineCalibration measure(LanguageModel lm) {
        InferenceThreads.prepare();
        JvmDecoder jvm = JvmDecoder.of(lm.decoder());
        int tokens = Math.min(TOKENS, lm.config().contextLength());
        int bos = lm.tokenizer().bos();
        double jvmNanos = Double.MAX_VALUE;
        double djlNanos = Double.MAX_VALUE;
        Decoder decoder = lm.decoder();
        for (int round = 0; round < 3; round++) {
            JvmDecoder.Session session = jvm.newSession();
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                session.next(bos);
            }
            long t1 = System.nanoTime();
            try (NDManager m = lm.model().getNDManager().newSubManager();
                    KvCache cache = decoder.newCache(m)) {
                ParameterStore ps = new ParameterStore(m, false);
                for (int i = 0; i < tokens; i++) {
                    try (NDManager step = m.newSubManager()) {
                        decoder.forward(ps, step.create(new int[] {bos}, new Shape(1, 1)), cache, false)
                                .toFloatArray();
                    }
                }
            }
            long t2 = System.nanoTime();
            if (round > 0) { // round 0 warms both up (JIT, allocator)
                jvmNanos = Math.min(jvmNanos, (double) (t1 - t0) / tokens);
                djlNanos = Math.min(djlNanos, (double) (t2 - t1) / tokens);
            }
        }
        return new EngineCalibration(jvmNanos / 1e6, djlNanos / 1e6);
    }
}
