package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;

/**
 * The generalised Jensen-Shannon divergence of GKD (Agarwal et al., ICLR 2024), on fixed data,
 * blended with cross-entropy:
 *
 * <pre>
 *   m    = beta * p_T + (1 - beta) * q_T
 *   kd   = T^2 * [beta * KL(p_T || m) + (1 - beta) * KL(q_T || m)]
 *   loss = alpha * mean_pos kd + (1 - alpha) * mean_pos CE
 * </pre>
 *
 * <p>beta is strictly between 0 and 1; use {@link FullKl} or {@link ReverseKl} for the end
 * points. {@code log m} is computed as a log-sum-exp, so no probability underflows. GKD's
 * on-policy part (training on the student's own samples) is not implemented.
 */
public final class GeneralizedJsd implements SequenceLoss {

    private final double beta;
    private final double temperature;
    private final double alpha;

    /**
     * @param beta mixture weight of the teacher, in (0, 1)
     * @param temperature T, positive and finite
     * @param alpha weight of the divergence, in [0, 1]
     */
    public GeneralizedJsd(double beta, double temperature, double alpha) {
        if (!(beta > 0 && beta < 1)) {
            throw new IllegalArgumentException(
                    "illegal beta value: " + beta + ", must be in (0, 1) (use FullKl for 0 and ReverseKl for 1)");
        }
        Positionwise.checkTemperature(temperature);
        Positionwise.checkAlpha(alpha);
        this.beta = beta;
        this.temperature = temperature;
        this.alpha = alpha;
    }

    @Override
    public TeacherTargets targetsFrom(NDArray teacherLogits, long seed) {
        return new TeacherTargets.Full(teacherLogits);
    }

    @Override
    public Terms terms(NDArray student, NDArray targets, TeacherTargets teacher) {
        Positionwise.checkShapes(student, targets);
        NDArray soft = null;
        if (alpha > 0) {
            NDArray t = Positionwise.expect(TeacherTargets.Full.class, teacher, this)
                    .logits()
                    .stopGradient();
            Positionwise.checkTeacher("logits", t, student, student.getShape().get(2));
            double inv = 1.0 / temperature;
            NDArray logP = Positionwise.times(t, inv).logSoftmax(2);
            NDArray logQ = Positionwise.times(student, inv).logSoftmax(2);
            NDArray a = Positionwise.plus(logP, Math.log(beta));
            NDArray b = Positionwise.plus(logQ, Math.log(1 - beta));
            NDArray max = a.maximum(b).stopGradient();
            NDArray logM = a.sub(max).exp().add(b.sub(max).exp()).log().add(max);
            NDArray toTeacher = logP.exp().mul(logP.sub(logM)).sum(new int[] {2});
            NDArray toStudent = logQ.exp().mul(logQ.sub(logM)).sum(new int[] {2});
            NDArray kd = Positionwise.times(toTeacher, beta).add(Positionwise.times(toStudent, 1 - beta));
            NDArray mean = Positionwise.maskedMean(kd, Positionwise.mask(targets, student.getDataType()));
            soft = Positionwise.times(mean, alpha * temperature * temperature);
        }
        NDArray hard = alpha < 1 ? Positionwise.times(Positionwise.crossEntropy(student, targets), 1 - alpha) : null;
        return Terms.of(soft, hard);
    }

    @Override
    public String toString() {
        return "GJSD(beta=" + beta + ", T=" + temperature + ", alpha=" + alpha + ")";
    }
}
