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
public final class GeneralizedJsd extends FullDistributionLoss {

    private final double beta;

    /**
     * @param beta mixture weight of the teacher, in (0, 1)
     * @param temperature T, positive and finite
     * @param alpha weight of the divergence, in [0, 1]
     */
    public GeneralizedJsd(double beta, double temperature, double alpha) {
        super(temperature, alpha);
        if (!(beta > 0 && beta < 1)) {
            throw new IllegalArgumentException(
                    "illegal beta value: " + beta + ", must be in (0, 1) (use FullKl for 0 and ReverseKl for 1)");
        }
        this.beta = beta;
    }

    @Override
    NDArray divergence(NDArray logP, NDArray logQ) {
        NDArray a = Positionwise.plus(logP, Math.log(beta));
        NDArray b = Positionwise.plus(logQ, Math.log(1 - beta));
        NDArray max = a.maximum(b).stopGradient();
        NDArray logM = a.sub(max).exp().add(b.sub(max).exp()).log().add(max);
        NDArray toTeacher = logP.exp().mul(logP.sub(logM)).sum(new int[] {2});
        NDArray toStudent = logQ.exp().mul(logQ.sub(logM)).sum(new int[] {2});
        return Positionwise.times(toTeacher, beta).add(Positionwise.times(toStudent, 1 - beta));
    }

    @Override
    public String toString() {
        return "GJSD(beta=" + beta + ", T=" + temperature + ", alpha=" + alpha + ")";
    }
}
