package org.distill4j.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.List;

/**
 * A small convolutional network for images of shape (channels, height, width): for each entry of
 * {@code channels} a same-padded convolution, optional batch norm, the activation and a max-pool
 * of size {@code pool}; then flatten, the dense head ({@code dense} widths, each followed by the
 * activation and dropout) and a dense layer to the classes.
 *
 * @param channels output channels of each convolution block, each in [1, 65536]; at least one
 * @param kernel square kernel size, odd, in [1, 15]; default 3
 * @param pool max-pool size and stride after each block, in [1, 8] (1 = no pooling); default 2
 * @param dense widths of the dense head, may be empty
 * @param activation non-linearity; default relu
 * @param dropout dropout probability in the dense head, in [0, 1); default 0
 * @param batchNorm whether each convolution is followed by batch normalisation; default false
 * @param separable whether every convolution after the first is depthwise-separable (a k x k
 *     depthwise convolution, one filter per input channel, then a 1 x 1 pointwise convolution to
 *     the block's channels; MobileNet's factorisation, about k*k times fewer weights); default
 *     false. The first convolution stays full, since the input has few channels.
 */
public record CnnSpec(
        List<Integer> channels,
        Integer kernel,
        Integer pool,
        List<Integer> dense,
        Activation activation,
        double dropout,

        @com.fasterxml.jackson.annotation.JsonProperty("batch_norm")
        boolean batchNorm,
        // Left out of model.json when false, so the architecture text of existing models is unchanged.
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT)
        boolean separable)
        implements ModelSpec {

    /** A CNN with full convolutions only. */
    public CnnSpec(
            List<Integer> channels,
            Integer kernel,
            Integer pool,
            List<Integer> dense,
            Activation activation,
            double dropout,
            boolean batchNorm) {
        this(channels, kernel, pool, dense, activation, dropout, batchNorm, false);
    }

    /** Validates every field and fills defaults. */
    public CnnSpec {
        channels = Specs.widths("channels", channels, false);
        kernel = kernel == null ? 3 : kernel;
        if (kernel < 1 || kernel > 15 || kernel % 2 == 0) {
            throw new IllegalArgumentException("illegal kernel value: " + kernel + ", must be odd and in [1, 15]");
        }
        pool = pool == null ? 2 : pool;
        if (pool < 1 || pool > 8) {
            throw new IllegalArgumentException("illegal pool value: " + pool + ", must be in [1, 8]");
        }
        dense = Specs.widths("dense", dense, true);
        activation = activation == null ? Activation.RELU : activation;
        dropout = Specs.dropout(dropout);
    }

    @Override
    public Block build(long[] featureShape, int numClasses) {
        if (featureShape.length != 3) {
            throw new IllegalArgumentException(
                    "a cnn needs image input of shape (channels, height, width), got " + new Shape(featureShape));
        }
        long h = featureShape[1];
        long w = featureShape[2];
        SequentialBlock net = new SequentialBlock();
        long in = featureShape[0];
        for (int i = 0; i < channels.size(); i++) {
            int c = channels.get(i);
            if (separable && i > 0) {
                net.add(Conv2d.builder()
                        .setKernelShape(new Shape(kernel, kernel))
                        .optPadding(new Shape(kernel / 2, kernel / 2))
                        .setFilters((int) in)
                        .optGroups((int) in)
                        .build());
                net.add(Conv2d.builder()
                        .setKernelShape(new Shape(1, 1))
                        .setFilters(c)
                        .build());
            } else {
                net.add(Conv2d.builder()
                        .setKernelShape(new Shape(kernel, kernel))
                        .optPadding(new Shape(kernel / 2, kernel / 2))
                        .setFilters(c)
                        .build());
            }
            in = c;
            if (batchNorm) {
                net.add(BatchNorm.builder().build());
            }
            net.add(activation.block());
            if (pool > 1) {
                if (h / pool < 1 || w / pool < 1) {
                    throw new IllegalArgumentException("cnn with " + channels.size() + " pooling blocks of size " + pool
                            + " shrinks a " + featureShape[1] + "x" + featureShape[2]
                            + " image below 1x1; use fewer channels entries or a smaller pool");
                }
                net.add(Pool.maxPool2dBlock(new Shape(pool, pool), new Shape(pool, pool)));
                h /= pool;
                w /= pool;
            }
        }
        net.add(Blocks.batchFlattenBlock());
        Specs.denseLayers(net, dense, activation, dropout);
        return net.add(Linear.builder().setUnits(numClasses).build());
    }

    /** The record's usual text, with {@code separable} only when set (it is part of architecture keys). */
    @Override
    public String toString() {
        return "CnnSpec[channels=" + channels + ", kernel=" + kernel + ", pool=" + pool + ", dense=" + dense
                + ", activation=" + activation + ", dropout=" + dropout + ", batchNorm=" + batchNorm
                + (separable ? ", separable=true" : "") + "]";
    }

    @Override
    public String describe() {
        return "CNN(channels=" + channels + ", kernel=" + kernel + ", pool=" + pool + ", dense="
                + dense + ", " + activation.id() + ", dropout=" + dropout
                + (batchNorm ? ", batchnorm" : "") + (separable ? ", separable" : "") + ")";
    }
}
