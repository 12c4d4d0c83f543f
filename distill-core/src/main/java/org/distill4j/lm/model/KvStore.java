package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;

/**
 * Where an attention layer keeps the keys and values of earlier positions: a {@link KvCache} (one
 * batch of sequences at one shared length) or a step of a {@link SlotKvCache} (sequences of their
 * own lengths). Package-private so that only the decoder appends.
 */
@FunctionalInterface
interface KvStore {

    /**
     * Stores the new positions' keys and values of {@code layer} and returns what the new queries
     * attend to.
     *
     * @param k (B, H, T, D) keys of the new positions
     * @param v (B, H, T, D) values
     * @return {@code [keys, values]}, each (B, H, S, D), attached to {@code k}'s manager
     */
    NDArray[] append(int layer, NDArray k, NDArray v);
}
