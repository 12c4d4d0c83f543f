package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The keys and values every attention layer has computed so far, so that generating one more token
 * costs one position instead of the whole prefix. Per layer, keys and values have shape (B, H, S,
 * D), S = {@link #length()} cached positions, at most the decoder's context length.
 *
 * <p>Each layer's keys and values live in one (B, H, capacity, D) buffer allocated at its first
 * append and written in place: appending T positions copies those T, not the S before them (a
 * cache that concatenated copied the whole cache at every token, which profiled at 43-51% of
 * batch-512 generation time). What {@link #append} returns are views of the first S + T positions.
 * The writes are in place, hence not differentiable: the cache is for inference only.
 *
 * <p>The buffers live in a manager owned by the cache; {@link #close()} frees them. Not
 * thread-safe: one cache per generated sequence (or batch of sequences).
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
     * Writes new keys and values of layer {@code layer} after the {@link #length()} cached positions
     * and returns everything cached for it. Every layer appends the same T before {@link #advance}.
     *
     * @param k (B, H, T, D) keys of the T new positions; B, H and D as in earlier appends
     * @param v (B, H, T, D) values
     * @return {@code [keys, values]}, each (B, H, S + T, D): views of the buffers, attached to
     *     {@code k}'s manager (valid until the next append or {@link #reset()})
     * @throws IllegalStateException if S + T exceeds the capacity
     * @throws IllegalArgumentException if B, H or D differ from the cached positions' (after a
     *     {@link #reset()} a new shape is taken)
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        Shape s = k.getShape();
        long t = s.get(2);
        if (length + t > capacity) {
            throw new IllegalStateException("key/value cache full: " + length + " + " + t + " positions > capacity "
                    + capacity + " (the context length); reset it and prefill a shorter window");
        }
        if (keys[layer] == null || !sameRows(keys[layer].getShape(), s)) {
            if (length > 0) {
                throw new IllegalArgumentException("keys of shape " + s + " do not continue the cached (B, H, S, D) = "
                        + keys[layer].getShape() + " at S = " + length + "; reset the cache to start another batch");
            }
            if (keys[layer] != null) {
                keys[layer].close();
                values[layer].close();
            }
            Shape full = new Shape(s.get(0), s.get(1), capacity, s.get(3));
            keys[layer] = manager.zeros(full, k.getDataType(), k.getDevice());
            values[layer] = manager.zeros(full, v.getDataType(), v.getDevice());
        }
        NDIndex slot = new NDIndex(":, :, {}:{}", length, length + t);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDIndex upTo = new NDIndex(":, :, :{}", length + t);
        NDArray kv = keys[layer].get(upTo);
        NDArray vv = values[layer].get(upTo);
        kv.attach(k.getManager());
        vv.attach(k.getManager());
        return new NDArray[] {kv, vv};
    }

    /**
     * The cached keys and values of {@code layer}, each (B, H, S, D): views of the buffers, valid
     * until the next append or {@link #reset()}; null before the first append.
     */
    NDArray[] cached(int layer) {
        if (keys[layer] == null || length == 0) {
            return null;
        }
        NDIndex upTo = new NDIndex(":, :, :{}", length);
        return new NDArray[] {keys[layer].get(upTo), values[layer].get(upTo)};
    }

    /** Returns the number of layers. */
    int layers() {
        return keys.length;
    }

    /** Whether a buffer of shape {@code buffer} holds rows of shape {@code rows} (same B, H and D). */
    private static boolean sameRows(Shape buffer, Shape rows) {
        return buffer.get(0) == rows.get(0) && buffer.get(1) == rows.get(1) && buffer.get(3) == rows.get(3);
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

    /** The arrays this cache holds in its own memory (for tests: 2 per layer once filled, never more). */
    int arraysHeld() {
        return manager.getManagedArrays().size();
    }

    /** Drops every cached position (the buffers are kept for the next prefill). */
    public void reset() {
        length = 0;
    }

    @Override
    public void close() {
        length = 0;
        manager.close();
    }
}
