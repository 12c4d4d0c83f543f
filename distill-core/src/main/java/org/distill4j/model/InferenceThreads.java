package org.distill4j.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Makes the calling thread fit to run forward passes with the PyTorch engine. PyTorch keeps grad
 * mode and the intra-op thread count per thread, and DJL sets them (grad mode off, {@code
 * -Dai.djl.pytorch.num_threads}) only on the thread that starts the engine. On any other thread
 * grad mode is on, so a forward pass over parameters records an autograd graph and keeps its
 * activations; and an in-place write into an array that outlives the pass (a key/value cache)
 * chains every pass's graph to the one before: 2.6 MB more native memory per step of 8 generations
 * (measured, docs/engine.md). Call {@link #prepare()} at
 * the start of every thread that runs inference (a batcher's thread, a request thread, a Spark
 * task); never inside a {@code GradientCollector}, whose training must record.
 */
public final class InferenceThreads {

    private InferenceThreads() {}

    /**
     * Turns grad mode off on the calling thread and applies {@code ai.djl.pytorch.num_threads} to
     * it (a different count changes summation order, hence the last bits of results). Cheap when
     * already done; does nothing under another engine.
     */
    public static void prepare() {
        if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
            return;
        }
        if (JniUtils.isGradMode()) {
            JniUtils.setGradMode(false);
        }
        Integer threads = Integer.getInteger("ai.djl.pytorch.num_threads");
        if (threads != null && threads > 0 && JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
    }
}
