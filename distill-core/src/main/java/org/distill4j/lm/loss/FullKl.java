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
public final class FullKl extends FullDistributionLoss {

    /**
     * @param temperature T, positive and finite
     * @param alpha weight of the KL term, in [0, 1]
     */
    public FullKl(double temperature, double alpha) {
        super(temperature, alpha);
    }

    @Override
    NDArray divergence(NDArray logP, NDArray logQ) {
        return logP.exp().mul(logP.sub(logQ)).sum(new int[] {2});
    }

    @Override
    public String toString() {
        return "FullKL(T=" + temperature + ", alpha=" + alpha + ")";
    }
}
