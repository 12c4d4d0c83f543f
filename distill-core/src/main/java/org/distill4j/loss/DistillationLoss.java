package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
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
     * @param labels hard labels at index 0 and teacher logits at index 1 (see class doc)
     * @param predictions student logits at index 0
     * @return the weighted soft term, weighted hard term and total, each a scalar
     */
    public Terms terms(NDList labels, NDList predictions) {
        NDArray student = predictions.head();
        if (student.getShape().dimension() != 2) {
            throw new IllegalArgumentException(
                    "student logits must have shape (batch, classes), got " + student.getShape());
        }
        double alpha = parameters.alpha();
        NDArray soft = null;
        NDArray hard = null;
        if (alpha > 0) {
            if (labels.size() < 2) {
                throw new IllegalArgumentException(
                        "alpha=" + alpha + " needs teacher logits at labels[1]; got only "
                                + labels.size() + " label array(s)");
            }
            soft = times(softTargetTerm(student, labels.get(1)), alpha);
        }
        if (alpha < 1) {
            hard = times(crossEntropy(student, labels.get(0)), 1 - alpha);
        }
        NDArray total = soft == null ? hard : hard == null ? soft : soft.add(hard);
        return new Terms(soft, hard, total);
    }

    /** T^2 * KL(softmax(t/T) || softmax(s/T)), summed over classes and averaged over rows. */
    private NDArray softTargetTerm(NDArray student, NDArray teacher) {
        if (!teacher.getShape().equals(student.getShape())) {
            throw new IllegalArgumentException(
                    "teacher logits shape " + teacher.getShape()
                            + " does not match student logits shape " + student.getShape());
        }
        double invT = 1.0 / parameters.temperature();
        NDArray teacherLogP = times(teacher.stopGradient(), invT).logSoftmax(1);
        NDArray studentLogP = times(student, invT).logSoftmax(1);
        // p * (log p - log q); p = exp(log p) underflows to exactly 0 where PyTorch's xlogy gives 0.
        NDArray klPerRow = teacherLogP.exp().mul(teacherLogP.sub(studentLogP)).sum(new int[] {1});
        double t = parameters.temperature();
        return times(klPerRow.sum().div(student.getShape().get(0)), t * t);
    }

    /**
     * Multiplies by a scalar weight without changing the dtype. DJL turns a {@code double} into a
     * 0-d float64 tensor, and PyTorch promotes a 0-d float32 tensor times a 0-d float64 tensor to
     * float64; the loss would then come out as float64 and {@link Loss#updateAccumulators}, which
     * calls {@code getFloat()}, would throw. So the weight is passed as a float unless the array
     * itself is float64 (where the double keeps full precision, e.g. for finite differences).
     */
    private static NDArray times(NDArray x, double weight) {
        return x.getDataType() == DataType.FLOAT64 ? x.mul(weight) : x.mul((float) weight);
    }

    /** Mean cross-entropy over rows whose label is &gt;= 0; 0 when no row is labelled. */
    private static NDArray crossEntropy(NDArray student, NDArray labels) {
        long classes = student.getShape().get(1);
        NDArray ids = labels.toType(DataType.INT64, false).reshape(-1);
        if (ids.size() != student.getShape().get(0)) {
            throw new IllegalArgumentException(
                    "hard labels have " + ids.size() + " entries for " + student.getShape().get(0)
                            + " rows of student logits");
        }
        NDArray labelled = ids.gte(0);
        NDArray safeIds = ids.mul(labelled.toType(DataType.INT64, false));
        NDArray oneHot = safeIds.oneHot((int) classes).mul(labelled.toType(student.getDataType(), false).expandDims(1));
        NDArray nll = oneHot.mul(student.logSoftmax(1)).sum().neg();
        NDArray count = labelled.toType(student.getDataType(), false).sum().maximum(1f);
        return nll.div(count);
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
