package org.distill4j.model;

import ai.djl.nn.Block;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A classifier architecture declared as data (in a recipe, or in the {@code model.json} saved next
 * to a model), so a saved model reloads with no code. Implementations are immutable records
 * validated on construction.
 *
 * <p>Every architecture maps a float32 input of shape (B, featureShape...) to logits of shape
 * (B, numClasses).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = MlpSpec.class, name = "mlp"),
    @JsonSubTypes.Type(value = CnnSpec.class, name = "cnn"),
    @JsonSubTypes.Type(value = BagSpec.class, name = "bag")
})
public sealed interface ModelSpec permits MlpSpec, CnnSpec, BagSpec {

    /**
     * Builds a fresh, uninitialised DJL block for this architecture.
     *
     * @param featureShape shape of one input row, e.g. {@code [1, 28, 28]}
     * @param numClasses number of output logits, &gt;= 2
     * @return the block
     * @throws IllegalArgumentException if the architecture does not fit the input shape
     */
    Block build(long[] featureShape, int numClasses);

    /** Returns the architecture in words, e.g. {@code MLP(hidden=[64], relu, dropout=0.0)}. */
    String describe();
}
