package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A teacher's tempered distribution on rows of logits, held on the host: per row the
 * log-probabilities {@code log_softmax(t / T)} and the probabilities {@code exp} of them, as
 * {@link DistillationLoss} uses them.
 *
 * <p>Why a table: the teacher's side of the soft term is a constant of each row. For cached
 * teacher outputs it is computed once per training run instead of once per batch (eight native
 * calls per batch, see {@code docs/engine.md}); for an online teacher it is computed once per
 * batch from the teacher's output. Either way PyTorch computes it, with the same operations the
 * student's side uses ({@code x * (1/T)} with a float32 scalar, then {@code log_softmax}), so a
 * student row equal to a teacher row gets bit-identical log-probabilities and the soft term is
 * exactly 0 there.
 *
 * <p>Rows are independent: a row's values do not depend on which other rows were computed with
 * it. Immutable; float64 logits give a float64 table, anything else float32.
 */
public final class TeacherTable {

    /** Rows per native call when a large table is computed from a host array. */
    private static final int CHUNK_ROWS = 8192;

    private final int rows;
    private final int classes;
    /**
     * Float32 tables: per row its C probabilities, then its C log-probabilities, so that a batch
     * of random rows reads one or two cache lines per row rather than two distant ones.
     */
    private final float[] rows32;

    private final double[] logP64;
    private final double[] p64;

    private TeacherTable(int rows, int classes, float[] rows32, double[] logP64, double[] p64) {
        this.rows = rows;
        this.classes = classes;
        this.rows32 = rows32;
        this.logP64 = logP64;
        this.p64 = p64;
    }

    /** Interleaves (rows, C) probabilities and log-probabilities into rows of 2C. */
    private static void interleave(float[] p, float[] logP, int classes, float[] out, int fromRow) {
        int n = p.length / classes;
        for (int i = 0; i < n; i++) {
            int dst = (fromRow + i) * 2 * classes;
            System.arraycopy(p, i * classes, out, dst, classes);
            System.arraycopy(logP, i * classes, out, dst + classes, classes);
        }
    }

    /**
     * Computes the table of a batch of teacher logits.
     *
     * @param logits shape (rows, classes); treated as a constant (no gradient flows into it)
     * @param temperature T, finite and &gt; 0
     * @return the table, float64 when {@code logits} are float64, else float32
     * @throws IllegalArgumentException if {@code logits} is not 2-D
     */
    public static TeacherTable of(NDArray logits, double temperature) {
        Shape shape = logits.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("teacher logits must have shape (batch, classes), got " + shape);
        }
        int n = Math.toIntExact(shape.get(0));
        int c = Math.toIntExact(shape.get(1));
        try (NDManager m = logits.getManager().newSubManager()) {
            NDArray t = logits.stopGradient();
            t.attach(m);
            boolean f64 = t.getDataType() == DataType.FLOAT64;
            if (!f64 && t.getDataType() != DataType.FLOAT32) {
                t = t.toType(DataType.FLOAT32, false);
            }
            NDArray logP = logSoftmax(t, temperature);
            NDArray p = logP.exp();
            if (f64) {
                return new TeacherTable(n, c, null, logP.toDoubleArray(), p.toDoubleArray());
            }
            float[] out = new float[2 * n * c];
            interleave(p.toFloatArray(), logP.toFloatArray(), c, out, 0);
            return new TeacherTable(n, c, out, null, null);
        }
    }

    /**
     * Computes the float32 table of many rows of logits held on the host (cached teacher outputs),
     * a block of rows per native call.
     *
     * @param logits row-major (rows, classes)
     * @param classes logits per row, at least 1, dividing {@code logits.length}
     * @param temperature T, finite and &gt; 0
     * @param manager where the temporary tensors live (closed before this returns)
     * @return the table
     */
    public static TeacherTable of(float[] logits, int classes, double temperature, NDManager manager) {
        if (classes < 1 || logits.length % classes != 0) {
            throw new IllegalArgumentException(
                    "illegal classes value: " + classes + ", must be >= 1 and divide " + logits.length + " logits");
        }
        int n = logits.length / classes;
        float[] out = new float[2 * logits.length];
        for (int from = 0; from < n; from += CHUNK_ROWS) {
            int count = Math.min(CHUNK_ROWS, n - from);
            float[] block = new float[count * classes];
            System.arraycopy(logits, from * classes, block, 0, block.length);
            try (NDManager m = manager.newSubManager()) {
                NDArray lp = logSoftmax(m.create(block, new Shape(count, classes)), temperature);
                interleave(lp.exp().toFloatArray(), lp.toFloatArray(), classes, out, from);
            }
        }
        return new TeacherTable(n, classes, out, null, null);
    }

    /** The operations of the student's side: {@code log_softmax(x * (1/T))}, the scalar in x's dtype. */
    private static NDArray logSoftmax(NDArray x, double temperature) {
        if (temperature == 1) {
            return x.logSoftmax(1);
        }
        NDManager m = x.getManager();
        double invT = 1.0 / temperature;
        NDArray scale = x.getDataType() == DataType.FLOAT64 ? m.create(invT) : m.create((float) invT);
        return x.mul(scale).logSoftmax(1);
    }

    /** Returns the number of rows. */
    public int rows() {
        return rows;
    }

    /** Returns the number of classes per row. */
    public int classes() {
        return classes;
    }

    /** Returns whether the values are float64. */
    public boolean isFloat64() {
        return logP64 != null;
    }

    /** Returns the log-probability of class {@code c} in row {@code row}. */
    public double logProbability(int row, int c) {
        return logP64 != null ? logP64[row * classes + c] : rows32[(2 * row + 1) * classes + c];
    }

    /** Returns the probability of class {@code c} in row {@code row}. */
    public double probability(int row, int c) {
        return p64 != null ? p64[row * classes + c] : rows32[2 * row * classes + c];
    }

    /**
     * The float32 values, row r at {@code 2 C r}: C probabilities, then C log-probabilities
     * (float32 tables only; not copied: do not modify).
     */
    float[] interleaved32() {
        return rows32;
    }
}
