package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One pre-norm transformer block:
 *
 * <pre>
 *   x = x + dropout(attention(layerNorm1(x)))
 *   x = x + dropout(fc2(gelu(fc1(layerNorm2(x)))))     fc1: C to 4C, fc2: 4C to C
 * </pre>
 *
 * <p>Input and output (B, T, C) float32. Unlike DJL's {@code TransformerEncoderBlock} (batch norm,
 * no causal mask) this is a GPT-2-style decoder block; the LayerNorms normalise over C.
 */
public final class DecoderBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final DecoderConfig config;
    private final LayerNorm norm1;
    private final CausalSelfAttention attention;
    private final LayerNorm norm2;
    private final Linear fc1;
    private final Linear fc2;

    /**
     * @param config the architecture
     * @param layer this block's index (its slot in a {@link KvCache})
     */
    public DecoderBlock(DecoderConfig config, int layer) {
        super(VERSION);
        this.config = config;
        this.norm1 = addChildBlock("ln1", LayerNorm.builder().axis(2).build());
        this.attention = addChildBlock("attention", new CausalSelfAttention(config, layer));
        this.norm2 = addChildBlock("ln2", LayerNorm.builder().axis(2).build());
        this.fc1 = addChildBlock(
                "fc1", Linear.builder().setUnits(4L * config.width()).build());
        this.fc2 =
                addChildBlock("fc2", Linear.builder().setUnits(config.width()).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return new NDList(forward(
                ps,
                x,
                null,
                CausalSelfAttention.Window.of(
                        config, x.getManager(), 0, (int) x.getShape().get(1)),
                training));
    }

    /**
     * @param x (B, T, C)
     * @param cache the keys and values of earlier positions, or null
     * @param window the causal mask and rotary tables of these positions
     * @param training whether dropout is active
     * @return (B, T, C)
     */
    NDArray forward(ParameterStore ps, NDArray x, KvStore cache, CausalSelfAttention.Window window, boolean training) {
        NDArray a = norm1.forward(ps, new NDList(x), training).singletonOrThrow();
        x = x.add(dropout(attention.forward(ps, a, cache, window, training), training));
        NDArray m = norm2.forward(ps, new NDList(x), training).singletonOrThrow();
        m = Activation.gelu(fc1.forward(ps, new NDList(m), training).singletonOrThrow());
        m = fc2.forward(ps, new NDList(m), training).singletonOrThrow();
        return x.add(dropout(m, training));
    }

    private NDArray dropout(NDArray x, boolean training) {
        if (!training || config.dropout() == 0) {
            return x;
        }
        return Dropout.dropout(x, (float) config.dropout(), true).singletonOrThrow();
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        norm1.initialize(manager, dataType, x);
        attention.initialize(manager, dataType, x);
        norm2.initialize(manager, dataType, x);
        fc1.initialize(manager, dataType, x);
        fc2.initialize(manager, dataType, new Shape(x.get(0), x.get(1), 4L * config.width()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
