package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole decoder-only transformer as one DJL block: token ids in, next-token logits out.
 *
 * <p>Input: ids (B, T), int64 (or any integer type), each in [0, V), T &lt;= context length.
 * Output: logits (B, T, V) float32, where position t predicts token t + 1. Token embedding (V, C),
 * plus learned positions (context, C) if configured, then the blocks, a final LayerNorm and the
 * head (C to V, no bias; the transposed token embedding when tied). Weights start as N(0, 0.02)
 * (GPT-2), biases 0, LayerNorm gain 1.
 */
public final class Decoder extends AbstractBlock {

    private static final byte VERSION = 1;

    private final DecoderConfig config;
    private final Parameter tokenEmbedding;
    private final Parameter positionEmbedding;
    private final List<DecoderBlock> blocks = new ArrayList<>();
    private final LayerNorm finalNorm;
    private final Linear head;

    /** @param config the architecture */
    public Decoder(DecoderConfig config) {
        super(VERSION);
        this.config = config;
        this.tokenEmbedding = addParameter(Parameter.builder()
                .setName("token_embedding")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(config.vocabSize(), config.width()))
                .build());
        this.positionEmbedding = config.positions() == Positions.LEARNED
                ? addParameter(Parameter.builder()
                        .setName("position_embedding")
                        .setType(Parameter.Type.WEIGHT)
                        .optShape(new Shape(config.contextLength(), config.width()))
                        .build())
                : null;
        for (int i = 0; i < config.layers(); i++) {
            blocks.add(addChildBlock("block" + i, new DecoderBlock(config, i)));
        }
        this.finalNorm = addChildBlock("ln_f", LayerNorm.builder().axis(2).build());
        this.head = config.tiedEmbeddings()
                ? null
                : addChildBlock(
                        "head",
                        Linear.builder()
                                .setUnits(config.vocabSize())
                                .optBias(false)
                                .build());
        setInitializer(new NormalInitializer(0.02f), Parameter.Type.WEIGHT);
    }

    /** Returns the architecture. */
    public DecoderConfig config() {
        return config;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.head(), null, training));
    }

    /**
     * Computes logits for new positions, reading and extending a key/value cache if one is given.
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids of the new positions
     * @param cache the cache (its length is the absolute position of ids[:, 0]), or null for
     *     positions 0..T-1 without caching
     * @param training whether dropout is active
     * @return logits (B, T, V)
     */
    public NDArray forward(ParameterStore ps, NDArray ids, KvCache cache, boolean training) {
        if (ids.getShape().dimension() != 2) {
            throw new IllegalArgumentException(
                    "decoder input must be token ids (batch, positions), got " + ids.getShape());
        }
        int t = (int) ids.getShape().get(1);
        int offset = cache == null ? 0 : cache.length();
        if (offset + t > config.contextLength()) {
            throw new IllegalArgumentException("positions " + offset + ".." + (offset + t - 1)
                    + " exceed the context length " + config.contextLength());
        }
        NDArray positions = null;
        if (positionEmbedding != null) {
            NDArray wpe = ps.getValue(positionEmbedding, ids.getDevice(), training);
            positions = wpe.get(new NDIndex(offset + ":" + (offset + t)));
        }
        CausalSelfAttention.Window window = CausalSelfAttention.Window.of(config, ids.getManager(), offset, t);
        NDArray logits = run(ps, ids, positions, cache == null ? null : cache::append, window, training);
        if (cache != null) {
            cache.advance(t);
        }
        return logits;
    }

    /**
     * Computes the next-token logits of several sequences that each have their own length: one new
     * token per slot of a {@link SlotKvCache}, at that slot's length, which the call advances by
     * one. Inference only. The logits of a row equal, to float rounding, those of the same sequence
     * decoded alone with a {@link KvCache}.
     *
     * @param ids (n, 1) token ids, row r the next token of slot {@code slots[r]}
     * @param cache the slot cache
     * @param slots n distinct slots, each holding fewer positions than the context length
     * @return logits (n, 1, V)
     * @throws IllegalArgumentException if the shapes disagree or a slot repeats
     * @throws IllegalStateException if a slot is full
     */
    public NDArray forward(ParameterStore ps, NDArray ids, SlotKvCache cache, int[] slots) {
        Shape shape = ids.getShape();
        if (shape.dimension() != 2 || shape.get(1) != 1 || shape.get(0) != slots.length) {
            throw new IllegalArgumentException("a slot step takes (" + slots.length + ", 1) token ids, got " + shape);
        }
        if (cache.capacity() > config.contextLength()) {
            throw new IllegalArgumentException("slot cache capacity " + cache.capacity()
                    + " exceeds the context length " + config.contextLength());
        }
        NDManager manager = ids.getManager();
        SlotKvCache.Step step = cache.step(manager, slots);
        int[] at = step.positions();
        NDArray positions = null;
        if (positionEmbedding != null) {
            NDArray wpe = ps.getValue(positionEmbedding, ids.getDevice(), false);
            positions = wpe.get(new NDIndex("{}", step.positionIndex())).reshape(at.length, 1, config.width());
        }
        CausalSelfAttention.Window window = CausalSelfAttention.Window.ragged(config, manager, at, step.columns());
        NDArray logits = run(ps, ids, positions, step, window, false);
        step.advance();
        return logits;
    }

    /**
     * Embeds {@code ids}, adds {@code positions} (the learned position rows, broadcast over the
     * batch; null with rotary positions), runs the blocks over {@code cache} and returns the logits.
     */
    private NDArray run(
            ParameterStore ps,
            NDArray ids,
            NDArray positions,
            KvStore cache,
            CausalSelfAttention.Window window,
            boolean training) {
        NDArray longIds = ids.toType(DataType.INT64, false);
        NDArray wte = ps.getValue(tokenEmbedding, ids.getDevice(), training);
        NDArray x = longIds.getNDArrayInternal()
                .embedding(longIds, wte, SparseFormat.DENSE)
                .singletonOrThrow();
        if (positions != null) {
            x = x.add(positions);
        }
        if (training && config.dropout() > 0) {
            x = Dropout.dropout(x, (float) config.dropout(), true).singletonOrThrow();
        }
        for (DecoderBlock block : blocks) {
            x = block.forward(ps, x, cache, window, training);
        }
        x = finalNorm.forward(ps, new NDList(x), training).singletonOrThrow();
        if (head == null) {
            return x.matMul(wte.transpose());
        }
        return head.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    /** Returns a new slot cache of {@code slots} sequences for this decoder. */
    public SlotKvCache newSlotCache(NDManager manager, int slots) {
        return new SlotKvCache(manager, config.layers(), slots, config.contextLength());
    }

    /** Returns a new, empty key/value cache for this decoder. */
    public KvCache newCache(NDManager manager) {
        return new KvCache(manager, config.layers(), config.contextLength());
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        Shape x = new Shape(ids.get(0), ids.get(1), config.width());
        for (DecoderBlock block : blocks) {
            block.initialize(manager, dataType, x);
        }
        finalNorm.initialize(manager, dataType, x);
        if (head != null) {
            head.initialize(manager, dataType, x);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return new Shape[] {new Shape(ids.get(0), ids.get(1), config.vocabSize())};
    }

    @Override
    public String toString() {
        return config.toString();
    }
}
