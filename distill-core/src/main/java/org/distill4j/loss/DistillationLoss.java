package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;

/**
 * The Hinton-Vinyals-Dean knowledge-distillation loss, as a DJL {@link Loss}:
 *
 * <pre>
 *   loss = alpha * T^2 * KL(softmax(t / T) || softmax(s / T))   (summed over classes, mean over the batch)
 *        + (1 - alpha) * CrossEntropy(s, y)                       (mean over the labelled rows)
 * </pre>
 *
 * <p>This is PyTorch's {@code alpha * T*T * kl_div(log_softmax(s/T), softmax(t/T),
 * reduction='batchmean') + (1-alpha) * cross_entropy(s, y)}; golden values produced by PyTorch
 * check it (see {@code tools/golden}). Everything is computed from log-softmax, so large logits and
 * T &lt; 1 neither overflow nor take log(0).
 *
 * <p>Inputs: {@code predictions.head()} is the student's logits, shape (B, C), float32.
 * {@code labels.get(0)} holds the hard labels, shape (B), integer class ids in [0, C); a negative
 * id marks an unlabelled row, which the cross-entropy term ignores (like PyTorch's {@code
 * ignore_index}). {@code labels.get(1)} holds the teacher's logits, shape (B, C). With alpha = 0
 * the teacher logits may be absent; with alpha = 1 the hard labels are never read, so unlabelled
 * transfer data works. The teacher logits are treated as constants (no gradient flows into them).
 *
 * <p>Instances are immutable and thread-safe; {@link #softTarget()} and {@link #hardLabel()}
 * expose the two weighted terms as separate evaluators, so training can log them.
 */
public final class DistillationLoss extends Loss {

    private final KdParameters parameters;

    /**
     * Creates the loss.
     *
     * @param temperature softmax temperature T, finite and &gt; 0
     * @param alpha weight of the soft-target term, in [0, 1]
     */
    public DistillationLoss(double temperature, double alpha) {
        this(new KdParameters(temperature, alpha));
    }

    /**
     * Creates the loss.
     *
     * @param parameters validated (T, alpha)
     */
    public DistillationLoss(KdParameters parameters) {
        super("KD");
        this.parameters = parameters;
    }

    /** Returns the validated (T, alpha) of this loss. */
    public KdParameters parameters() {
        return parameters;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        return terms(labels, predictions).total();
    }

    /**
     * Computes both weighted terms and their sum in one pass.
     *
     * <p>Fused to few native calls, since on a small student each call is a visible share of a
     * step: the hard term's weights (the one-hot labels divided by the labelled count, times -(1 -
     * alpha)) are built on the host from the labels and uploaded in one block, so the term is one
     * multiply and one sum over the student's log-softmax; the soft term's constant factor alpha
     * T^2 / B folds into the teacher's probabilities; and with T = 1 both terms share one
     * log-softmax of the student.
     *
     * @param labels hard labels at index 0 and teacher logits at index 1 (see class doc)
     * @param predictions student logits at index 0
     * @return the weighted soft term, weighted hard term and total, each a scalar
     * @throws IllegalArgumentException if a shape does not match or a label is not below the class count
     */
    public Terms terms(NDList labels, NDList predictions) {
        NDArray student = predictions.head();
        if (student.getShape().dimension() != 2) {
            throw new IllegalArgumentException(
                    "student logits must have shape (batch, classes), got " + student.getShape());
        }
        double alpha = parameters.alpha();
        double t = parameters.temperature();
        NDArray studentLogP = null; // log_softmax(s), shared by both terms when T = 1
        NDArray soft = null;
        NDArray hard = null;
        if (alpha > 0) {
            if (labels.size() < 2) {
                throw new IllegalArgumentException("alpha=" + alpha + " needs teacher logits at labels[1]; got only "
                        + labels.size() + " label array(s)");
            }
            NDArray teacher = labels.get(1);
            if (!teacher.getShape().equals(student.getShape())) {
                throw new IllegalArgumentException("teacher logits shape " + teacher.getShape()
                        + " does not match student logits shape " + student.getShape());
            }
            NDArray studentLogPT;
            NDArray teacherLogP;
            if (t == 1) {
                studentLogP = student.logSoftmax(1);
                studentLogPT = studentLogP;
                teacherLogP = teacher.stopGradient().logSoftmax(1);
            } else {
                double invT = 1.0 / t;
                studentLogPT = times(student, invT).logSoftmax(1);
                teacherLogP = times(teacher.stopGradient(), invT).logSoftmax(1);
            }
            // alpha T^2 / B * sum p * (log p - log q); p = exp(log p) underflows to exactly 0 where
            // PyTorch's xlogy gives 0.
            NDArray weightedP =
                    times(teacherLogP.exp(), alpha * t * t / student.getShape().get(0));
            soft = weightedP.mul(teacherLogP.sub(studentLogPT)).sum();
        }
        if (alpha < 1) {
            if (studentLogP == null) {
                studentLogP = student.logSoftmax(1);
            }
            hard = studentLogP
                    .mul(hardWeights(labels.get(0), student, 1 - alpha))
                    .sum();
        }
        NDArray total = soft == null ? hard : hard == null ? soft : soft.add(hard);
        return new Terms(soft, hard, total);
    }

    /**
     * Multiplies by a scalar weight without changing the dtype, through a 0-d constant that stays
     * attached to {@code x}'s manager until that manager closes.
     *
     * <p>Why not {@code x.mul(number)}: DJL 0.36's PyTorch engine turns the number into a 0-d
     * tensor over a Java direct buffer ({@code torch::from_blob}, no copy) and closes it as soon as
     * the product exists. Autograd saves that scalar for the backward pass, but nothing on the Java
     * side references its buffer any more: a garbage collection between the forward and the
     * backward pass frees it, and the gradient is then scaled by whatever the freed memory holds
     * (see {@code docs/engine.md}: 50 of 50 gradients wrong under a forced GC). Kept attached, the
     * constant's buffer lives until the batch's manager closes, after the backward pass.
     *
     * <p>The dtype: a {@code double} would become a float64 tensor, and PyTorch promotes float32
     * times a 0-d float64 to float64, which {@link Loss#updateAccumulators} ({@code getFloat()})
     * rejects; so the constant is float32 unless {@code x} itself is float64 (which keeps full
     * precision for finite differences).
     */
    private static NDArray times(NDArray x, double weight) {
        NDManager m = x.getManager();
        return x.mul(x.getDataType() == DataType.FLOAT64 ? m.create(weight) : m.create((float) weight));
    }

    /**
     * The (B, C) weights that turn the student's log-softmax into the weighted mean cross-entropy
     * over labelled rows: {@code -weight / labelled} at each labelled row's class, 0 elsewhere (and
     * everywhere when no row is labelled, so the term is 0). Built on the host: the labels are a
     * few integers, and one upload replaces a dozen small device operations.
     */
    private static NDArray hardWeights(NDArray labels, NDArray student, double weight) {
        long batch = student.getShape().get(0);
        int classes = Math.toIntExact(student.getShape().get(1));
        if (labels.size() != batch) {
            throw new IllegalArgumentException(
                    "hard labels have " + labels.size() + " entries for " + batch + " rows of student logits");
        }
        long[] ids = labels.getDataType() == DataType.INT64
                ? labels.toLongArray()
                : labels.toType(DataType.INT64, false).toLongArray();
        int labelled = 0;
        for (long id : ids) {
            if (id >= classes) {
                throw new IllegalArgumentException("hard label " + id + " is not a class id in [0, " + classes
                        + "); use a negative id for an unlabelled row");
            }
            labelled += id >= 0 ? 1 : 0;
        }
        double w = labelled == 0 ? 0 : -weight / labelled;
        Shape shape = student.getShape();
        NDManager m = student.getManager();
        if (student.getDataType() == DataType.FLOAT64) {
            double[] out = new double[ids.length * classes];
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] >= 0) {
                    out[i * classes + (int) ids[i]] = w;
                }
            }
            return m.create(out, shape);
        }
        float[] out = new float[ids.length * classes];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= 0) {
                out[i * classes + (int) ids[i]] = (float) w;
            }
        }
        return m.create(out, shape);
    }

    /** Returns an evaluator of the weighted soft-target term alone, for logging. */
    public Loss softTarget() {
        return new TermLoss("KD.soft", this, true);
    }

    /** Returns an evaluator of the weighted hard-label term alone, for logging. */
    public Loss hardLabel() {
        return new TermLoss("KD.hard", this, false);
    }

    @Override
    public String toString() {
        return parameters.toString();
    }

    /**
     * The weighted terms of one evaluation; a term whose weight is 0 is {@code null} and was not
     * computed.
     *
     * @param soft alpha * T^2 * KL, or null when alpha = 0
     * @param hard (1 - alpha) * CE, or null when alpha = 1
     * @param total their sum, never null
     */
    public record Terms(NDArray soft, NDArray hard, NDArray total) {}

    /** One weighted term of a {@link DistillationLoss}, as its own evaluator. */
    private static final class TermLoss extends Loss {
        private final DistillationLoss parent;
        private final boolean soft;

        TermLoss(String name, DistillationLoss parent, boolean soft) {
            super(name);
            this.parent = parent;
            this.soft = soft;
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            Terms terms = parent.terms(labels, predictions);
            NDArray term = soft ? terms.soft() : terms.hard();
            return term != null ? term : terms.total().zerosLike();
        }
    }
}
