package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;

/**
 * The mean of the embeddings of a row's ids, fastText's input layer.
 *
 * <p>Input: float32 (B, L) ids as {@link org.distill4j.data.TextFeatures} writes them (exact
 * integers, 0 = padding). Id {@code k >= 1} looks up row {@code (k - 1) mod buckets} of one
 * parameter table of shape (buckets, dim); padding ids are masked out and the remaining rows
 * averaged. Output: float32 (B, dim); a row with no ids gives the zero vector (not NaN). The table
 * starts uniform in (-1/dim, 1/dim), fastText's initialisation of input vectors.
 *
 * <p>Speed: PyTorch's embedding gradient is dense, (buckets, dim) per step, and so is every
 * optimiser update of the table; keep {@code buckets * dim} moderate (a few million).
 */
final class EmbeddingBag extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int buckets;
    private final int dim;
    private final Parameter table;

    /**
     * @param buckets rows of the table, &gt;= 1
     * @param dim width of the table (and of the output), &gt;= 1
     */
    EmbeddingBag(int buckets, int dim) {
        super(VERSION);
        this.buckets = buckets;
        this.dim = dim;
        this.table = addParameter(Parameter.builder()
                .setName("embedding")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(buckets, dim))
                .optInitializer(new UniformInitializer(1f / dim))
                .build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        if (x.getShape().dimension() != 2) {
            throw new IllegalArgumentException("embedding bag input must be (batch, ids), got " + x.getShape());
        }
        NDArray ids = x.toType(DataType.INT64, false);
        NDArray present = ids.gt(0);
        // Padding (0) maps to bucket 0 like any id; its vector is masked out below.
        NDArray rows = ids.sub(1).maximum(0).mod(buckets);
        NDArray weight = parameterStore.getValue(table, x.getDevice(), training);
        NDArray vectors = rows.getNDArrayInternal()
                .embedding(rows, weight, SparseFormat.DENSE)
                .singletonOrThrow();
        NDArray mask = present.toType(DataType.FLOAT32, false);
        NDArray sum = vectors.mul(mask.expandDims(2)).sum(new int[] {1});
        NDArray count = mask.sum(new int[] {1}, true).maximum(1f);
        return new NDList(sum.div(count));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), dim)};
    }

    @Override
    public String toString() {
        return "EmbeddingBag(buckets=" + buckets + ", dim=" + dim + ")";
    }
}
