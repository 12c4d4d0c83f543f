package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Evaluates a {@link DistillationLoss} batch after batch with few native calls: everything that
 * does not depend on the student is prepared on the host, so the device computes only the
 * student's log-softmax and one product, and the loss's values are computed on the host from one
 * read-back.
 *
 * <p>How: both terms are linear in the student's log-probabilities. With {@code lq_T =
 * log_softmax(s / T)} and {@code lq = log_softmax(s)},
 *
 * <pre>
 *   soft = sum_ij wp_ij (lp_ij - lq_T,ij)      wp = alpha T^2 / B * p_T (the teacher's, a constant)
 *   hard = sum_i  h_i lq_i,y_i                 h_i = -(1 - alpha) / (labelled rows), 0 if unlabelled
 * </pre>
 *
 * so the device computes {@code target = lq_k * W} for a host-built weight block {@code W = [-wp;
 * h one-hot]} ({@code s * [1/T, 1]} broadcast makes both log-softmaxes in one call, shape (2, B,
 * C)); {@code backward(target)} (DJL sums it, seeding ones) gives exactly the gradient of soft +
 * hard, since {@code sum wp lp} has none. The values are then computed on the host, in float64,
 * from the log-probabilities read back, so a student row equal to the teacher's gives a soft term
 * of exactly 0 (the teacher's side comes from the same PyTorch operations, see {@link
 * TeacherTable}).
 *
 * <p>Per batch: one weight upload, at most three device operations ({@code mul}, {@code
 * log_softmax}, {@code mul}; the first only when T != 1 and alpha &gt; 0) and one read-back; a
 * hard-label-only step ({@code alpha = 0}) has the same minus the first {@code mul}, so
 * distillation from cached outputs adds one operation per batch (and its backward) to training
 * on labels alone.
 *
 * <p>Use: {@link #prepare} (host), upload {@link #floatWeights} (or {@link #doubleWeights}) in
 * {@link #weightShape}, {@link #forward} inside the gradient collector, {@link #read}, then
 * {@code backward(forward.target())}. One batch at a time, one thread: the host state of the last
 * {@code prepare} is read by {@code read}.
 */
public final class DistillationStep {

    private final KdParameters parameters;
    private final int classes;
    private final DataType dataType;
    private final boolean soft;
    private final boolean hard;
    /** {@code [1/T, 1]} (2, 1, 1) with both terms, {@code 1/T} (0-d) with soft only; null when T = 1. */
    private final NDArray scales;

    private final float[] weights32;
    private final double[] weights64;
    private final long[] labels;
    /** The batch's teacher log-probabilities (B, C), in the step's data type. */
    private final float[] teacherLogP32;

    private final double[] teacherLogP64;
    /** The read-back log-probabilities (float32 steps), reused. */
    private final float[] logP32;

    private int count;
    private double hardWeight;

    /**
     * Creates a step for batches of up to {@code maxBatch} rows.
     *
     * @param parameters (T, alpha)
     * @param classes classes per row, at least 1
     * @param maxBatch the largest batch, at least 1
     * @param dataType the student's logits' type: FLOAT32 or FLOAT64
     * @param constants where the step's one constant tensor lives; it must outlive every batch
     *     (a training run's manager): the backward pass reads it
     */
    public DistillationStep(
            KdParameters parameters, int classes, int maxBatch, DataType dataType, NDManager constants) {
        if (classes < 1 || maxBatch < 1) {
            throw new IllegalArgumentException(
                    "classes and maxBatch must be >= 1, got " + classes + " and " + maxBatch);
        }
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
            throw new IllegalArgumentException("student logits must be float32 or float64, got " + dataType);
        }
        this.parameters = parameters;
        this.classes = classes;
        this.dataType = dataType;
        this.soft = parameters.alpha() > 0;
        this.hard = parameters.alpha() < 1;
        double t = parameters.temperature();
        if (soft && t != 1) {
            double invT = 1.0 / t;
            boolean f64 = dataType == DataType.FLOAT64;
            if (hard) {
                scales = f64
                        ? constants.create(new double[] {invT, 1}, new Shape(2, 1, 1))
                        : constants.create(new float[] {(float) invT, 1f}, new Shape(2, 1, 1));
            } else {
                scales = f64 ? constants.create(invT) : constants.create((float) invT);
            }
        } else {
            scales = null;
        }
        int size = blocks() * maxBatch * classes;
        weights32 = dataType == DataType.FLOAT32 ? new float[size] : null;
        weights64 = dataType == DataType.FLOAT64 ? new double[size] : null;
        labels = new long[maxBatch];
        teacherLogP32 = soft && weights32 != null ? new float[maxBatch * classes] : null;
        teacherLogP64 = soft && weights64 != null ? new double[maxBatch * classes] : null;
        logP32 = weights32 != null ? new float[size] : null;
    }

    /** Returns the (T, alpha) of this step. */
    public KdParameters parameters() {
        return parameters;
    }

    /** 2 when both terms are computed, else 1. */
    private int blocks() {
        return soft && hard ? 2 : 1;
    }

    /**
     * Prepares a batch on the host: the weights of both terms and the teacher's side of the soft
     * term.
     *
     * @param rows the batch's row count B, at most {@code maxBatch}
     * @param hardLabels class ids in [0, classes) or negative for unlabelled rows, at least {@code
     *     rows} of them; with alpha = 1 read only to correct the teacher (may be null otherwise)
     * @param teacher the teacher's table, or null when alpha = 0
     * @param teacherRows the table row of each batch row, or null for rows 0 to B-1 of the table
     * @throws IllegalArgumentException if a label is not below the class count, or the teacher is
     *     missing or has another class count
     */
    public void prepare(int rows, long[] hardLabels, TeacherTable teacher, int[] teacherRows) {
        if (rows < 1 || rows > labels.length) {
            throw new IllegalArgumentException(
                    "illegal rows value: " + rows + ", must be in [1, " + labels.length + "]");
        }
        count = rows;
        int block = rows * classes;
        int hardFrom = soft ? block : 0;
        if (weights32 != null) {
            Arrays.fill(weights32, 0, blocks() * block, 0f);
        } else {
            Arrays.fill(weights64, 0, blocks() * block, 0d);
        }
        if (soft) {
            if (teacher == null) {
                throw new IllegalArgumentException(
                        "alpha=" + parameters.alpha() + " needs the teacher's distribution; got none");
            }
            if (teacher.classes() != classes) {
                throw new IllegalArgumentException(
                        "teacher logits have " + teacher.classes() + " classes but the student has " + classes);
            }
            double t = parameters.temperature();
            double factor = parameters.alpha() * t * t / rows;
            if (weights32 != null && !teacher.isFloat64()) {
                // The weighted probability exactly as PyTorch forms p * (alpha T^2 / B) in float32.
                float factor32 = (float) factor;
                float[] table = teacher.interleaved32();
                for (int i = 0; i < rows; i++) {
                    int src = 2 * (teacherRows == null ? i : teacherRows[i]) * classes;
                    int dst = i * classes;
                    for (int c = 0; c < classes; c++) {
                        weights32[dst + c] = -(table[src + c] * factor32);
                    }
                    System.arraycopy(table, src + classes, teacherLogP32, dst, classes);
                }
            } else {
                for (int i = 0; i < rows; i++) {
                    int row = teacherRows == null ? i : teacherRows[i];
                    for (int c = 0; c < classes; c++) {
                        int k = i * classes + c;
                        double p = teacher.probability(row, c);
                        if (weights32 != null) {
                            teacherLogP32[k] = (float) teacher.logProbability(row, c);
                            weights32[k] = -((float) p * (float) factor);
                        } else {
                            teacherLogP64[k] = teacher.logProbability(row, c);
                            weights64[k] = -(p * factor);
                        }
                    }
                }
            }
            if (parameters.correctTeacher() && hardLabels != null) {
                correctTeacher(rows, hardLabels);
            }
        }
        if (hard) {
            int labelled = 0;
            for (int i = 0; i < rows; i++) {
                long id = hardLabels[i];
                if (id >= classes) {
                    throw new IllegalArgumentException("hard label " + id + " is not a class id in [0, " + classes
                            + "); use a negative id for an unlabelled row");
                }
                labels[i] = id;
                labelled += id >= 0 ? 1 : 0;
            }
            double w = labelled == 0 ? 0 : -(1 - parameters.alpha()) / labelled;
            hardWeight = weights32 != null ? (float) w : w;
            for (int i = 0; i < rows; i++) {
                if (labels[i] >= 0) {
                    int k = hardFrom + i * classes + (int) labels[i];
                    if (weights32 != null) {
                        weights32[k] = (float) w;
                    } else {
                        weights64[k] = w;
                    }
                }
            }
        }
    }

    /**
     * Swaps, on each labelled row whose teacher's top class is not its label, the teacher's two
     * probabilities (and log-probabilities): a permutation of one row's tempered distribution, so it
     * stays a distribution, its entropy is unchanged, and the label becomes its top class with the
     * confidence the teacher gave its own choice. Temperature keeps the order of the classes, so
     * the top class at T is the teacher's top class.
     */
    private void correctTeacher(int rows, long[] hardLabels) {
        for (int i = 0; i < rows; i++) {
            long y = hardLabels[i];
            if (y < 0 || y >= classes) {
                continue;
            }
            int base = i * classes;
            int top = 0;
            for (int c = 1; c < classes; c++) {
                boolean higher = teacherLogP32 != null
                        ? teacherLogP32[base + c] > teacherLogP32[base + top]
                        : teacherLogP64[base + c] > teacherLogP64[base + top];
                if (higher) {
                    top = c;
                }
            }
            int a = base + top;
            int b = base + (int) y;
            if (a == b) {
                continue;
            }
            if (teacherLogP32 != null) {
                float t = teacherLogP32[a];
                teacherLogP32[a] = teacherLogP32[b];
                teacherLogP32[b] = t;
                t = weights32[a];
                weights32[a] = weights32[b];
                weights32[b] = t;
            } else {
                double t = teacherLogP64[a];
                teacherLogP64[a] = teacherLogP64[b];
                teacherLogP64[b] = t;
                t = weights64[a];
                weights64[a] = weights64[b];
                weights64[b] = t;
            }
        }
    }

    /** Returns the prepared batch's weights, float32 students (first {@code weightShape().size()} values). */
    public float[] floatWeights() {
        if (weights32 == null) {
            throw new IllegalStateException("this step is float64; use doubleWeights()");
        }
        return weights32;
    }

    /** Returns the prepared batch's weights, float64 students (first {@code weightShape().size()} values). */
    public double[] doubleWeights() {
        if (weights64 == null) {
            throw new IllegalStateException("this step is float32; use floatWeights()");
        }
        return weights64;
    }

    /** Returns the shape of the prepared batch's weights: (2, B, C) with both terms, else (B, C). */
    public Shape weightShape() {
        return soft && hard ? new Shape(2, count, classes) : new Shape(count, classes);
    }

    /**
     * The device side of a batch.
     *
     * @param target the weighted log-probabilities; the loss is its sum plus a constant, so {@code
     *     backward(target)} (ones as the seed) gives the loss's gradient
     * @param logProbabilities the student's log-probabilities the values are read from
     */
    public record Forward(NDArray target, NDArray logProbabilities) {}

    /**
     * Computes the device side of the prepared batch (record it inside the gradient collector).
     *
     * @param student the student's logits (B, C) of the prepared batch, in the step's data type
     * @param weights the prepared weights, uploaded, in {@link #weightShape}
     * @return the target to differentiate and the log-probabilities to read
     * @throws IllegalArgumentException if the student's shape does not match the prepared batch
     */
    public Forward forward(NDArray student, NDArray weights) {
        Shape shape = student.getShape();
        if (shape.dimension() != 2 || shape.get(0) != count || shape.get(1) != classes) {
            throw new IllegalArgumentException(
                    "student logits have shape " + shape + ", the prepared batch is (" + count + ", " + classes + ")");
        }
        NDArray z = scales == null ? student : student.mul(scales);
        // The last axis, named as -1: asking z for its shape would be one more native call.
        NDArray logP = z.logSoftmax(-1);
        return new Forward(logP.mul(weights), logP);
    }

    /** A batch's loss: the total and its two weighted terms (NaN for a term whose weight is 0). */
    public record Values(double total, double soft, double hard) {}

    /**
     * Reads the student's log-probabilities back (one copy) and computes the prepared batch's loss
     * in float64. A non-finite student gives a non-finite total.
     */
    public Values read(Forward forward) {
        NDArray logP = forward.logProbabilities();
        int block = count * classes;
        // (2, B, C) when s * [1/T, 1] made both log-softmaxes, else (B, C); known without asking.
        int n = soft && hard && scales != null ? 2 * block : block;
        double[] lq64 = null;
        if (logP32 != null) {
            // One native call copying into a byte array; no float[] allocated per batch.
            logP.toByteBuffer(false).asFloatBuffer().get(logP32, 0, n);
        } else {
            lq64 = logP.toDoubleArray();
        }
        // A non-finite log-probability anywhere (NaN, or -inf from a saturated student) makes the
        // loss non-finite, as the device's own sum would be: the divergence check then stops.
        double all = 0;
        for (int k = 0; k < n; k++) {
            all += logP32 != null ? logP32[k] : lq64[k];
        }
        if (!Double.isFinite(all)) {
            return new Values(Double.NaN, Double.NaN, Double.NaN);
        }
        double softValue = Double.NaN;
        double hardValue = Double.NaN;
        if (soft) {
            // wp (lp - lq) with the weight w = -wp; where p underflowed to 0 the term is exactly 0.
            softValue = 0;
            if (logP32 != null) {
                for (int k = 0; k < block; k++) {
                    if (weights32[k] != 0) {
                        softValue -= (double) weights32[k] * ((double) teacherLogP32[k] - logP32[k]);
                    }
                }
            } else {
                for (int k = 0; k < block; k++) {
                    if (weights64[k] != 0) {
                        softValue -= weights64[k] * (teacherLogP64[k] - lq64[k]);
                    }
                }
            }
        }
        if (hard) {
            // The hard term's log-probabilities: the second (T = 1) block when both terms were
            // computed at T != 1, else the only one.
            int from = n == 2 * block ? block : 0;
            hardValue = 0;
            for (int i = 0; i < count; i++) {
                if (labels[i] >= 0) {
                    int k = from + i * classes + (int) labels[i];
                    hardValue += hardWeight * (logP32 != null ? logP32[k] : lq64[k]);
                }
            }
        }
        double total = soft && hard ? softValue + hardValue : soft ? softValue : hardValue;
        return new Values(total, softValue, hardValue);
    }
}
