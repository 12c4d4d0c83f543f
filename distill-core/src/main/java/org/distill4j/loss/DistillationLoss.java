package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;
import java.util.Arrays;

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
     * <p>The same computation as a training step's ({@link DistillationStep}): the teacher's
     * tempered distribution ({@link TeacherTable}) and the hard term's weights are prepared on the
     * host, the device computes the student's log-softmax (both temperatures in one call) times
     * those weights, and the values are computed on the host in float64. The returned arrays carry
     * those values and the student's gradient ({@code x - stopGradient(x) + value}, where {@code x}
     * is the summed weighted log-probabilities); the teacher's logits get none.
     *
     * @param labels hard labels at index 0 and teacher logits at index 1 (see class doc)
     * @param predictions student logits at index 0
     * @return the weighted soft term, weighted hard term and total, each a scalar
     * @throws IllegalArgumentException if a shape does not match or a label is not below the class count
     */
    public Terms terms(NDList labels, NDList predictions) {
        NDArray student = predictions.head();
        Shape shape = student.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("student logits must have shape (batch, classes), got " + shape);
        }
        int batch = Math.toIntExact(shape.get(0));
        int classes = Math.toIntExact(shape.get(1));
        double alpha = parameters.alpha();
        TeacherTable teacher = null;
        if (alpha > 0) {
            if (labels.size() < 2) {
                throw new IllegalArgumentException("alpha=" + alpha + " needs teacher logits at labels[1]; got only "
                        + labels.size() + " label array(s)");
            }
            NDArray logits = labels.get(1);
            if (!logits.getShape().equals(shape)) {
                throw new IllegalArgumentException(
                        "teacher logits shape " + logits.getShape() + " does not match student logits shape " + shape);
            }
            teacher = TeacherTable.of(logits, parameters.teacherTemperature());
        }
        long[] ids = null;
        if (alpha < 1) {
            NDArray hardLabels = labels.get(0);
            if (hardLabels.size() != batch) {
                throw new IllegalArgumentException(
                        "hard labels have " + hardLabels.size() + " entries for " + batch + " rows of student logits");
            }
            ids = hardLabels.getDataType() == DataType.INT64
                    ? hardLabels.toLongArray()
                    : hardLabels.toType(DataType.INT64, false).toLongArray();
        }
        boolean f64 = student.getDataType() == DataType.FLOAT64;
        NDManager m = student.getManager();
        DistillationStep step =
                new DistillationStep(parameters, classes, batch, f64 ? DataType.FLOAT64 : DataType.FLOAT32, m);
        step.prepare(batch, ids, teacher, null);
        int size = Math.toIntExact(step.weightShape().size());
        NDArray weights = f64
                ? m.create(Arrays.copyOf(step.doubleWeights(), size), step.weightShape())
                : m.create(Arrays.copyOf(step.floatWeights(), size), step.weightShape());
        DistillationStep.Forward forward = step.forward(student, weights);
        DistillationStep.Values values = step.read(forward);
        NDArray target = forward.target();
        NDArray soft = null;
        NDArray hard = null;
        if (alpha > 0 && alpha < 1) {
            soft = valued(target.get(0), values.soft());
            hard = valued(target.get(1), values.hard());
        } else if (alpha > 0) {
            soft = valued(target, values.soft());
        } else {
            hard = valued(target, values.hard());
        }
        NDArray total = soft == null ? hard : hard == null ? soft : soft.add(hard);
        return new Terms(soft, hard, total);
    }

    /**
     * A scalar with {@code value} as its value and the gradient of {@code weighted}'s sum: {@code
     * sum - stopGradient(sum) + value}, exact in floating point ({@code x - x = 0} for finite x).
     *
     * <p>The value is a 0-d constant attached to the manager, never {@code add(number)}: DJL 0.36
     * frees a number's scalar as soon as the operation exists, while autograd may still read it
     * (see {@code docs/engine.md}); a constant kept attached lives until the manager closes.
     */
    private static NDArray valued(NDArray weighted, double value) {
        NDManager m = weighted.getManager();
        NDArray sum = weighted.sum();
        NDArray constant = sum.getDataType() == DataType.FLOAT64 ? m.create(value) : m.create((float) value);
        return sum.sub(sum.stopGradient()).add(constant);
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
