package org.distill4j.model;

import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.List;

/**
 * A fastText-style bag of n-grams: the mean of the embeddings of a text's hashed n-gram ids (see
 * {@link org.distill4j.data.TextFeatures}), then for each hidden width a dense layer and the
 * activation, then a dense layer to the classes. With no hidden layer this is fastText's
 * supervised model (embedding-bag mean, then linear).
 *
 * <p>Input: one row of float ids, shape (B, L) for a feature shape {@code [L]}; id {@code k >= 1}
 * uses embedding row {@code (k - 1) mod buckets}, 0 is padding. Parameters: {@code buckets * dim}
 * for the table plus the dense layers. Dropout, when {@code dropout > 0}, follows the averaged
 * embedding and each hidden layer.
 *
 * @param buckets rows of the embedding table, in [1, 2^24]; default 2^18 = 262144 (ids collide
 *     modulo it: fewer buckets, more collisions, a smaller model)
 * @param dim embedding width, in [1, 4096]; default 16
 * @param hidden hidden-layer widths, each in [1, 65536]; default empty
 * @param activation non-linearity after each hidden layer; default relu
 * @param dropout dropout probability, in [0, 1); default 0
 */
public record BagSpec(int buckets, int dim, List<Integer> hidden, Activation activation, double dropout)
        implements ModelSpec {

    /** The default number of buckets, 2^18. */
    public static final int DEFAULT_BUCKETS = 1 << 18;

    /** Validates every field; messages name the field, its value and what is allowed. */
    public BagSpec {
        if (buckets < 1 || buckets > 1 << 24) {
            throw new IllegalArgumentException("illegal buckets value: " + buckets + ", must be in [1, 16777216]");
        }
        if (dim < 1 || dim > 4096) {
            throw new IllegalArgumentException("illegal dim value: " + dim + ", must be in [1, 4096]");
        }
        if ((long) buckets * dim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("buckets * dim = " + (long) buckets * dim
                    + " is too large an embedding table, must be at most " + Integer.MAX_VALUE);
        }
        hidden = Specs.widths("hidden", hidden, true);
        activation = activation == null ? Activation.RELU : activation;
        dropout = Specs.dropout(dropout);
    }

    /** Reads the recipe form, with defaults for every absent key. */
    @JsonCreator
    public static BagSpec of(
            @JsonProperty("buckets") Integer buckets,
            @JsonProperty("dim") Integer dim,
            @JsonProperty("hidden") List<Integer> hidden,
            @JsonProperty("activation") Activation activation,
            @JsonProperty("dropout") Double dropout) {
        return new BagSpec(
                buckets == null ? DEFAULT_BUCKETS : buckets,
                dim == null ? 16 : dim,
                hidden,
                activation,
                dropout == null ? 0 : dropout);
    }

    @Override
    public Block build(long[] featureShape, int numClasses) {
        if (featureShape.length != 1) {
            throw new IllegalArgumentException("a bag model reads one row of n-gram ids (feature shape [L]), got "
                    + "feature shape " + Arrays.toString(featureShape) + "; use data.format: jsonl");
        }
        SequentialBlock net = new SequentialBlock().add(new EmbeddingBag(buckets, dim));
        if (dropout > 0) {
            net.add(Dropout.builder().optRate((float) dropout).build());
        }
        Specs.denseLayers(net, hidden, activation, dropout);
        return net.add(Linear.builder().setUnits(numClasses).build());
    }

    @Override
    public String describe() {
        return "Bag(buckets=" + buckets + ", dim=" + dim + ", hidden=" + hidden + ", " + activation.id() + ", dropout="
                + dropout + ")";
    }
}
