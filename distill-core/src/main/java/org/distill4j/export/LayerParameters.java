package org.distill4j.export;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.model.ModelSpec;

/**
 * The parameterised blocks of a built-in model (its sequential block's children that hold
 * parameters), handed out in order as the exporters walk the spec; a block of another type than
 * the spec implies, or one too many or too few, is an error naming the spec.
 */
final class LayerParameters {

    private final Iterator<Block> blocks;
    private final ModelSpec spec;

    LayerParameters(Block root, ModelSpec spec) {
        List<Block> withParams = new ArrayList<>();
        for (Pair<String, Block> child : root.getChildren()) {
            if (!child.getValue().getParameters().isEmpty()) {
                withParams.add(child.getValue());
            }
        }
        this.blocks = withParams.iterator();
        this.spec = spec;
    }

    /**
     * Returns the next block's initialised parameters by their names (e.g. {@code weight}).
     *
     * @param expected the block type the spec implies, or null for a distill4j-internal block
     */
    Map<String, NDArray> next(Class<? extends Block> expected) {
        if (!blocks.hasNext()) {
            throw new IllegalArgumentException("model has fewer parameterised blocks than its spec " + spec.describe());
        }
        Block b = blocks.next();
        if (expected != null && !expected.isInstance(b)) {
            throw new IllegalArgumentException(
                    "expected a " + expected.getSimpleName() + " block for " + spec.describe() + ", found " + b);
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : b.getParameters()) {
            if (!p.getValue().isInitialized()) {
                throw new IllegalArgumentException("parameter " + p.getKey() + " of " + b + " is not initialised");
            }
            out.put(p.getKey(), p.getValue().getArray());
        }
        return out;
    }

    /** Requires that every parameterised block was used. */
    void finish() {
        if (blocks.hasNext()) {
            throw new IllegalArgumentException("model has more parameterised blocks than its spec " + spec.describe());
        }
    }

    /** Returns parameter {@code name} of a block, naming the ones it has if absent. */
    static NDArray get(Map<String, NDArray> params, String name) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new IllegalArgumentException("block has no parameter '" + name + "', has " + params.keySet());
        }
        return a;
    }
}
