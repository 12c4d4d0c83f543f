package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.Map;

/**
 * The state of a momentum optimizer, keyed by parameter name: first and second moments (or
 * momentum buffers) and the update count. Parameter names are stable across processes, unlike
 * DJL's random parameter ids, so the state exported for a checkpoint restores exactly in another
 * JVM. Mutable and not thread-safe: owned by one optimizer, which calls {@link #advance()} once
 * per update step.
 */
public final class OptimizerState {

    private final Map<String, NDArray> first = new HashMap<>();
    private final Map<String, NDArray> second = new HashMap<>();
    private long step;

    /** Returns the first moment of {@code name}, zeros shaped like {@code like} at first use. */
    public NDArray first(String name, NDArray like) {
        return first.computeIfAbsent(name, k -> like.zerosLike());
    }

    /** Returns the second moment of {@code name}, zeros shaped like {@code like} at first use. */
    public NDArray second(String name, NDArray like) {
        return second.computeIfAbsent(name, k -> like.zerosLike());
    }

    /** Returns the number of update steps begun, 0 before the first. */
    public long step() {
        return step;
    }

    /** Begins the next update step (1-based). */
    public void advance() {
        step++;
    }

    /**
     * Returns the state as named arrays: copies in {@code manager}, {@code m:NAME} and
     * {@code v:NAME} for the moments and {@code step} for the update count.
     */
    public NDList export(NDManager manager) {
        NDList out = new NDList();
        addCopies(first, "m:", manager, out);
        addCopies(second, "v:", manager, out);
        NDArray s = manager.create(new long[] {step});
        s.setName("step");
        out.add(s);
        return out;
    }

    private static void addCopies(Map<String, NDArray> moments, String prefix, NDManager manager, NDList out) {
        for (var e : moments.entrySet()) {
            NDArray a = e.getValue().duplicate();
            a.attach(manager);
            a.setName(prefix + e.getKey());
            out.add(a);
        }
    }

    /**
     * Replaces the state with one {@link #export}ed; the arrays are copied into {@code owner}.
     *
     * @throws IllegalArgumentException if an entry is not a moment or the step count
     */
    public void restore(NDList state, NDManager owner) {
        first.clear();
        second.clear();
        for (NDArray a : state) {
            String name = a.getName();
            if ("step".equals(name)) {
                step = a.toLongArray()[0];
                continue;
            }
            NDArray copy = a.duplicate();
            copy.attach(owner);
            if (name.startsWith("m:")) {
                first.put(name.substring(2), copy);
            } else if (name.startsWith("v:")) {
                second.put(name.substring(2), copy);
            } else {
                throw new IllegalArgumentException("unexpected optimizer state entry '" + name + "'");
            }
        }
    }
}
