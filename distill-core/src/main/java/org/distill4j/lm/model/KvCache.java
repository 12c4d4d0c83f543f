package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The keys and values every attention layer has computed so far, so that generating one more token
 * costs one position instead of the whole prefix. Per layer, keys and values have shape (B, H, S,
 * D), S = {@link #length()} cached positions, at most the decoder's context length.
 *
 * <p>The arrays live in a manager owned by the cache; {@link #close()} frees them. Not thread-safe:
 * one cache per generated sequence (or batch of sequences).
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private int length;

    /**
     * @param parent manager under which the cache's own manager is created
     * @param layers number of decoder blocks
     * @param capacity the most positions it may hold (the context length)
     */
    public KvCache(NDManager parent, int layers, int capacity) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.capacity = capacity;
    }

    /** Returns S, the number of positions cached. */
    public int length() {
        return length;
    }

    /** Returns the most positions the cache may hold. */
    public int capacity() {
        return capacity;
    }

    /**
     * Appends new keys and values of layer {@code layer} and returns everything cached for it.
     *
     * @param k (B, H, T, D) keys of the T new positions
     * @param v (B, H, T, D) values
     * @return {@code [keys, values]}, each (B, H, S + T, D)
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray oldK = keys[layer];
        NDArray oldV = values[layer];
        NDArray newK = oldK == null ? k.duplicate() : oldK.concat(k, 2);
        NDArray newV = oldV == null ? v.duplicate() : oldV.concat(v, 2);
        newK.attach(manager);
        newV.attach(manager);
        keys[layer] = newK;
        values[layer] = newV;
        if (oldK != null) {
            oldK.close();
            oldV.close();
        }
        return new NDArray[] {newK, newV};
    }

    /**
     * Records that {@code t} positions were appended to every layer.
     *
     * @throws IllegalStateException if the cache would exceed its capacity
     */
    void advance(int t) {
        if (length + t > capacity) {
            throw new IllegalStateException("key/value cache full: " + length + " + " + t + " positions > capacity "
                    + capacity + " (the context length); reset it and prefill a shorter window");
        }
        length += t;
    }

    /** Drops every cached position. */
    public void reset() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
                values[i].close();
            }
            keys[i] = null;
            values[i] = null;
        }
        length = 0;
    }

    @Override
    public void close() {
        reset();
        manager.close();
    }
}
