package org.distill4j.model;

import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.List;

/**
 * A multi-layer perceptron: flatten, then for each hidden width a dense layer, the activation and
 * (if {@code dropout > 0}) dropout, then a dense layer to the classes.
 *
 * @param hidden hidden-layer widths, each in [1, 65536]; empty for a linear (softmax-regression)
 *     model
 * @param activation non-linearity after each hidden layer; default relu
 * @param dropout dropout probability after each hidden layer, in [0, 1); default 0
 */
public record MlpSpec(List<Integer> hidden, Activation activation, double dropout) implements ModelSpec {

    /** Validates every field. */
    public MlpSpec {
        hidden = Specs.widths("hidden", hidden, true);
        activation = activation == null ? Activation.RELU : activation;
        dropout = Specs.dropout(dropout);
    }

    @Override
    public Block build(long[] featureShape, int numClasses) {
        SequentialBlock net = new SequentialBlock().add(Blocks.batchFlattenBlock());
        Specs.denseLayers(net, hidden, activation, dropout);
        return net.add(Linear.builder().setUnits(numClasses).build());
    }

    @Override
    public String describe() {
        return "MLP(hidden=" + hidden + ", " + activation.id() + ", dropout=" + dropout + ")";
    }
}
