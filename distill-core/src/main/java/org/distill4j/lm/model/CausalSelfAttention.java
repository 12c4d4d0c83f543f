package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head causal self-attention: a position attends to itself and to earlier positions only.
 *
 * <p>Input x: (B, T, C) float32; output (B, T, C). One linear layer maps x to queries, keys and
 * values (C to 3C), each split into H heads of width D; with rotary positions queries and keys are
 * rotated by their absolute position; scores {@code q k^T / sqrt(D)} of shape (B, H, T, S) get a
 * large negative number added above the causal diagonal before the softmax; the weighted values
 * (B, H, T, D) are merged back to (B, T, C) and projected (C to C).
 *
 * <p>With a {@link KvCache} the T new positions follow the S - T cached ones: their keys and values
 * are appended to the cache, and query i (absolute position S - T + i) attends to keys 0..S - T + i.
 * With a {@link SlotKvCache} step, T = 1 and each row has its own position: the window's mask
 * hides, per row, the key columns beyond that row's length.
 */
public final class CausalSelfAttention extends AbstractBlock {

    private static final byte VERSION = 1;
    /** Added to masked scores; exp(-1e9 - max) is exactly 0 in float32, and it cannot overflow. */
    private static final float MASKED = -1e9f;

    private final DecoderConfig config;
    private final int layer;
    private final Linear qkv;
    private final Linear proj;

    /**
     * @param config the architecture
     * @param layer index of the block this attention belongs to (its slot in a {@link KvCache})
     */
    public CausalSelfAttention(DecoderConfig config, int layer) {
        super(VERSION);
        this.config = config;
        this.layer = layer;
        this.qkv = addChildBlock(
                "qkv", Linear.builder().setUnits(3L * config.width()).build());
        this.proj =
                addChildBlock("proj", Linear.builder().setUnits(config.width()).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return new NDList(forward(
                ps,
                x,
                null,
                Window.of(config, x.getManager(), 0, (int) x.getShape().get(1)),
                training));
    }

    /**
     * Attends over the cached positions (if any) and the new ones.
     *
     * @param x (B, T, C)
     * @param cache the keys and values to read and extend, or null for a whole sequence starting at
     *     position 0
     * @param window the causal mask and rotary tables of these positions, shared by all layers
     * @param training whether dropout is active
     * @return (B, T, C)
     */
    NDArray forward(ParameterStore ps, NDArray x, KvStore cache, Window window, boolean training) {
        Shape s = x.getShape();
        long b = s.get(0);
        long t = s.get(1);
        int h = config.heads();
        int d = config.headWidth();
        NDList parts =
                qkv.forward(ps, new NDList(x), training).singletonOrThrow().split(3, 2);
        NDArray q = heads(parts.get(0), b, t);
        NDArray k = heads(parts.get(1), b, t);
        NDArray v = heads(parts.get(2), b, t);
        if (config.positions() == Positions.ROTARY) {
            q = Rotary.apply(q, window.cos(), window.sin());
            k = Rotary.apply(k, window.cos(), window.sin());
        }
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        // The scale is a 0-d array attached to q's manager, not mul(number): DJL 0.36 frees that
        // number's buffer at once while autograd still needs it for backward (docs/engine.md).
        NDArray scale = q.getManager().create((float) (1.0 / Math.sqrt(d)));
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale);
        if (window.mask() != null) {
            scores = scores.add(window.mask());
        }
        NDArray weights = scores.softmax(-1);
        if (training && config.dropout() > 0) {
            weights = Dropout.dropout(weights, (float) config.dropout(), true).singletonOrThrow();
        }
        NDArray y = weights.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, (long) h * d);
        return proj.forward(ps, new NDList(y), training).singletonOrThrow();
    }

    /** (B, T, C) to (B, H, T, D). */
    private NDArray heads(NDArray x, long b, long t) {
        return x.reshape(b, t, config.heads(), config.headWidth()).transpose(0, 2, 1, 3);
    }

    /**
     * The per-call position data every layer shares: the additive causal mask (null when a single
     * new position attends to everything before it) and, for rotary positions, the cos/sin tables.
     */
    record Window(NDArray mask, NDArray cos, NDArray sin) {

        static Window of(DecoderConfig config, NDManager manager, int offset, int t) {
            NDArray mask = t == 1 ? null : causalMask(manager, offset, t, offset + t);
            if (config.positions() != Positions.ROTARY) {
                return new Window(mask, null, null);
            }
            NDArray[] tables = Rotary.tables(manager, offset, t, config.headWidth());
            return new Window(mask, tables[0], tables[1]);
        }

        /**
         * One new position per row, row r at position {@code positions[r]}, over S key columns: the
         * mask (n, 1, 1, S) hides columns after each row's position, and the rotary tables are
         * (n, 1, 1, D), one rotation per row.
         */
        static Window ragged(DecoderConfig config, NDManager manager, int[] positions, int s) {
            int n = positions.length;
            float[] mask = new float[n * s];
            for (int r = 0; r < n; r++) {
                java.util.Arrays.fill(mask, r * s + positions[r] + 1, (r + 1) * s, MASKED);
            }
            NDArray m = manager.create(mask, new Shape(n, 1, 1, s));
            if (config.positions() != Positions.ROTARY) {
                return new Window(m, null, null);
            }
            int d = config.headWidth();
            NDArray[] tables = Rotary.tables(manager, positions, d);
            return new Window(m, tables[0].reshape(n, 1, 1, d), tables[1].reshape(n, 1, 1, d));
        }
    }

    /** (1, 1, T, S): 0 where key j &lt;= offset + query i, {@link #MASKED} above the diagonal. */
    static NDArray causalMask(NDManager manager, int offset, long t, long s) {
        NDArray i = manager.arange(offset, offset + (int) t).reshape(t, 1);
        NDArray j = manager.arange((int) s).reshape(1, s);
        return j.gt(i).toType(DataType.FLOAT32, false).mul(MASKED).reshape(1, 1, t, s);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        qkv.initialize(manager, dataType, inputShapes[0]);
        proj.initialize(manager, dataType, inputShapes[0]);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
