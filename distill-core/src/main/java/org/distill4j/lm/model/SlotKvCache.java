package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Keys and values of up to {@link #slots()} independent sequences, each in its own slot with its
 * own length, so that sequences which started at different times, from prompts of different
 * lengths, take their next token in one forward pass (continuous batching, as a server needs). A
 * sequence is prefilled elsewhere (a {@link KvCache} of one row) and {@link #load}ed into a free
 * slot; then {@link Decoder#forward(ai.djl.training.ParameterStore, NDArray, SlotKvCache, int[])}
 * adds one position to each of the slots it is given.
 *
 * <p>Per layer, keys and values live in one (slots, H, capacity, D) buffer, allocated at the first
 * load or step and written in place: a step writes each row's new position with one indexed write,
 * and reads the rows it needs, up to the longest of them (shorter rows' extra columns are masked):
 * a view when the step's slots are 0..n-1 in order (so fill slots from the lowest), else a gather. The buffers live in a manager owned by the cache; {@link #close()} frees them. Not
 * thread-safe: one thread loads, steps and clears.
 */
public final class SlotKvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int[] lengths;
    private final int capacity;

    /**
     * @param parent manager under which the cache's own manager is created
     * @param layers number of decoder blocks
     * @param slots the most sequences it holds at once, at least 1
     * @param capacity the most positions per sequence (the context length)
     */
    public SlotKvCache(NDManager parent, int layers, int slots, int capacity) {
        if (slots < 1 || capacity < 1) {
            throw new IllegalArgumentException("slots and capacity must be >= 1, got " + slots + " and " + capacity);
        }
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.lengths = new int[slots];
        this.capacity = capacity;
    }

    /** Returns the number of slots. */
    public int slots() {
        return lengths.length;
    }

    /** Returns the most positions a slot may hold. */
    public int capacity() {
        return capacity;
    }

    /** Returns the number of positions cached in {@code slot} (0 when free). */
    public int length(int slot) {
        return lengths[slot];
    }

    /**
     * Copies every position of {@code prefix} into {@code slot}, replacing what it held.
     *
     * @param prefix a cache of one sequence (B = 1) of this decoder, with at least one position
     * @throws IllegalArgumentException if the prefix holds no position, more than one sequence, or
     *     another number of layers, heads or head width
     */
    public void load(int slot, KvCache prefix) {
        if (prefix.layers() != keys.length) {
            throw new IllegalArgumentException(
                    "prefix has " + prefix.layers() + " layers, the slot cache " + keys.length);
        }
        int t = prefix.length();
        if (t == 0) {
            throw new IllegalArgumentException("prefix holds no position; prefill at least one token");
        }
        NDIndex into = new NDIndex("{}, :, :{}", slot, t);
        for (int layer = 0; layer < keys.length; layer++) {
            NDArray[] kv = prefix.cached(layer);
            if (kv[0].getShape().get(0) != 1) {
                throw new IllegalArgumentException(
                        "prefix holds " + kv[0].getShape().get(0) + " sequences; load one sequence per slot");
            }
            try (NDManager scope = manager.newSubManager()) {
                kv[0].attach(scope);
                kv[1].attach(scope);
                allocate(layer, kv[0].getShape(), kv[0]);
                keys[layer].set(into, kv[0].squeeze(0));
                values[layer].set(into, kv[1].squeeze(0));
            }
        }
        lengths[slot] = t;
    }

    /** Frees {@code slot}: its length becomes 0 (what it held is overwritten by the next load). */
    public void clear(int slot) {
        lengths[slot] = 0;
    }

    /**
     * Allocates layer {@code layer}'s buffers for rows of shape (?, H, ?, D), or checks that the
     * allocated ones match.
     */
    private void allocate(int layer, Shape rows, NDArray like) {
        if (keys[layer] == null) {
            Shape full = new Shape(lengths.length, rows.get(1), capacity, rows.get(3));
            keys[layer] = manager.zeros(full, like.getDataType(), like.getDevice());
            values[layer] = manager.zeros(full, like.getDataType(), like.getDevice());
        } else {
            Shape held = keys[layer].getShape();
            if (held.get(1) != rows.get(1) || held.get(3) != rows.get(3)) {
                throw new IllegalArgumentException("keys of shape " + rows + " do not fit the slot cache's (slots, H, "
                        + "capacity, D) = " + held);
            }
        }
    }

    /**
     * Begins a step that adds one position to each of {@code slots} (distinct), at each slot's
     * length; the decoder calls {@link Step#advance()} after the last layer.
     *
     * @param manager the step's manager (index arrays and gathered keys live there)
     * @throws IllegalArgumentException if a slot repeats or is out of range
     * @throws IllegalStateException if a slot is full
     */
    Step step(NDManager manager, int[] slots) {
        boolean[] seen = new boolean[lengths.length];
        long[] rows = new long[slots.length];
        long[] positions = new long[slots.length];
        int[] at = new int[slots.length];
        int longest = 0;
        for (int r = 0; r < slots.length; r++) {
            int slot = slots[r];
            if (slot < 0 || slot >= lengths.length) {
                throw new IllegalArgumentException("slot " + slot + " is not in [0, " + lengths.length + ")");
            }
            if (seen[slot]) {
                throw new IllegalArgumentException(
                        "slot " + slot + " appears twice in one step: " + Arrays.toString(slots));
            }
            seen[slot] = true;
            if (lengths[slot] >= capacity) {
                throw new IllegalStateException(
                        "slot " + slot + " is full: " + lengths[slot] + " positions = capacity (the context length)");
            }
            rows[r] = slot;
            positions[r] = lengths[slot];
            at[r] = lengths[slot];
            longest = Math.max(longest, lengths[slot] + 1);
        }
        boolean leading = true; // slots 0..n-1 in order: the rows to read are a view, not a gather
        for (int r = 0; r < slots.length && leading; r++) {
            leading = slots[r] == r;
        }
        return new Step(slots, at, manager.create(rows), manager.create(positions), longest, leading);
    }

    /** One step's rows: where each writes its new position and how many key columns they read. */
    final class Step implements KvStore {

        private final int[] slots;
        private final int[] at;
        private final NDArray positionIndex;
        private final int columns;
        private final NDIndex write;
        private final NDIndex read;

        private Step(int[] slots, int[] at, NDArray rows, NDArray positions, int columns, boolean leading) {
            this.slots = slots;
            this.at = at;
            this.positionIndex = positions;
            this.columns = columns;
            this.write = new NDIndex("{}, :, {}", rows, positions);
            this.read = leading
                    ? new NDIndex(":{}, :, :{}", slots.length, columns)
                    : new NDIndex("{}, :, :{}", rows, columns);
        }

        /** Each row's position before the step (where its new token goes). */
        int[] positions() {
            return at;
        }

        /** The same positions as an int64 array of the step's manager (to gather position rows). */
        NDArray positionIndex() {
            return positionIndex;
        }

        /** The key columns the rows read: the longest row's length after the step. */
        int columns() {
            return columns;
        }

        @Override
        public NDArray[] append(int layer, NDArray k, NDArray v) {
            Shape s = k.getShape();
            if (s.get(0) != slots.length || s.get(2) != 1) {
                throw new IllegalArgumentException("a slot step takes (" + slots.length + ", H, 1, D) keys, got " + s);
            }
            allocate(layer, s, k);
            keys[layer].set(write, k.squeeze(2));
            values[layer].set(write, v.squeeze(2));
            NDArray kv = keys[layer].get(read);
            NDArray vv = values[layer].get(read);
            kv.attach(k.getManager());
            vv.attach(k.getManager());
            return new NDArray[] {kv, vv};
        }

        /** Records the new position of every row. */
        void advance() {
            for (int slot : slots) {
                lengths[slot]++;
            }
        }
    }

    /** The arrays this cache holds in its own memory (for tests: 2 per layer once allocated). */
    int arraysHeld() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        Arrays.fill(lengths, 0);
        manager.close();
    }
}
