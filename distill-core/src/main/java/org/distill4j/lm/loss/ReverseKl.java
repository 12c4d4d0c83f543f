package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;

/**
 * Token-level reverse KL against the teacher's full distribution (mode-seeking: the student is
 * penalised for mass where the teacher has little), blended with cross-entropy:
 *
 * <pre>
 *   loss = alpha * T^2 * mean_pos sum_v q_T(v) (log q_T(v) - log p_T(v)) + (1 - alpha) * mean_pos CE
 * </pre>
 *
 * <p>On fixed (corpus) data; MiniLLM-style on-policy sampling is not part of it.
 */
public final class ReverseKl extends FullDistributionLoss {

    /**
     * @param temperature T, positive and finite
     * @param alpha weight of the KL term, in [0, 1]
     */
    public ReverseKl(double temperature, double alpha) {
        super(temperature, alpha);
    }

    @Override
    NDArray divergence(NDArray logP, NDArray logQ) {
        return logQ.exp().mul(logQ.sub(logP)).sum(new int[] {2});
    }

    @Override
    public String toString() {
        return "ReverseKL(T=" + temperature + ", alpha=" + alpha + ")";
    }
}
