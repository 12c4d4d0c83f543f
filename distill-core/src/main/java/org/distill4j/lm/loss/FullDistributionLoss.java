package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;

/**
 * The shared shape of the losses against the teacher's full next-token distribution: both sides
 * softened by T, a per-position divergence (the only part a variant defines), its mean over real
 * positions weighted by {@code alpha * T^2}, plus {@code (1 - alpha)} cross-entropy on the corpus.
 */
abstract class FullDistributionLoss implements SequenceLoss {

    final double temperature;
    final double alpha;

    FullDistributionLoss(double temperature, double alpha) {
        Positionwise.checkTemperature(temperature);
        Positionwise.checkAlpha(alpha);
        this.temperature = temperature;
        this.alpha = alpha;
    }

    /**
     * The divergence at each position.
     *
     * @param logP teacher log-probabilities at temperature T, (B, T, V), no gradient
     * @param logQ student log-probabilities at temperature T, (B, T, V)
     * @return (B, T), before masking and weighting
     */
    abstract NDArray divergence(NDArray logP, NDArray logQ);

    @Override
    public final TeacherTargets targetsFrom(NDArray teacherLogits, long seed) {
        return new TeacherTargets.Full(teacherLogits);
    }

    @Override
    public final Terms terms(NDArray student, NDArray targets, TeacherTargets teacher) {
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
            NDArray mean =
                    Positionwise.maskedMean(divergence(logP, logQ), Positionwise.mask(targets, student.getDataType()));
            soft = Positionwise.times(mean, alpha * temperature * temperature);
        }
        NDArray hard = alpha < 1 ? Positionwise.times(Positionwise.crossEntropy(student, targets), 1 - alpha) : null;
        return Terms.of(soft, hard);
    }
}
