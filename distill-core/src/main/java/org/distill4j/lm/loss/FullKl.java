package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;

/**
 * Token-level forward KL against the teacher's full next-token distribution, blended with
 * cross-entropy on the corpus:
 *
 * <pre>
 *   loss = alpha * T^2 * mean_pos sum_v p_T(v) (log p_T(v) - log q_T(v)) + (1 - alpha) * mean_pos CE
 *   p_T = softmax(teacher / T), q_T = softmax(student / T), mean over real (non-padding) positions
 * </pre>
 */
public final class FullKl implements SequenceLoss {

    private final double temperature;
    private final double alpha;

    /**
     * @param temperature T, positive and finite
     * @param alpha weight of the KL term, in [0, 1]
     */
    public FullKl(double temperature, double alpha) {
        Positionwise.checkTemperature(temperature);
        Positionwise.checkAlpha(alpha);
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
            NDArray kl = logP.exp().mul(logP.sub(logQ)).sum(new int[] {2});
            NDArray mean = Positionwise.maskedMean(kl, Positionwise.mask(targets, student.getDataType()));
            soft = Positionwise.times(mean, alpha * temperature * temperature);
        }
        NDArray hard = alpha < 1 ? Positionwise.times(Positionwise.crossEntropy(student, targets), 1 - alpha) : null;
        return Terms.of(soft, hard);
    }

    @Override
    public String toString() {
        return "FullKL(T=" + temperature + ", alpha=" + alpha + ")";
    }
}
