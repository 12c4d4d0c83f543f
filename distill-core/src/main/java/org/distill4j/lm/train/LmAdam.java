package org.distill4j.lm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.HashMap;
import java.util.Map;
import org.distill4j.train.OptimizerState;

/**
 * The language-model trainer's Adam (betas 0.9 / 0.999, epsilon 1e-8, no weight decay, each
 * gradient entry clipped to [-1, 1], learning rate per {@link LmTrainingConfig#rate}) whose whole
 * state (moments and step count) can be saved and restored, so a resumed run continues exactly
 * where it stopped. State is keyed by parameter name, which is stable across
 * processes (DJL's own Adam keys it by random parameter ids). The update is DJL's fused native
 * kernel. Call {@link #beginStep()} once before each {@code trainer.step()}.
 */
final class LmAdam extends Optimizer {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;

    private final LmTrainingConfig config;
    private final Map<String, String> nameById = new HashMap<>();
    private final OptimizerState state = new OptimizerState();

    LmAdam(LmTrainingConfig config, PairList<String, Parameter> parameters) {
        super(new Builder().optClipGrad(1f));
        this.config = config;
        for (Pair<String, Parameter> p : parameters) {
            nameById.put(p.getValue().getId(), p.getKey());
        }
    }

    /** Advances to the next update step (1-based). */
    void beginStep() {
        state.advance();
    }

    long step() {
        return state.step();
    }

    /** The learning rate of update {@code t} (1-based; DJL's Adam passed its tracker the same count). */
    float rate(long t) {
        return (float) config.rate(t);
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        String name = nameById.get(parameterId);
        if (name == null) {
            throw new IllegalStateException("parameter " + parameterId + " is not part of the model being trained");
        }
        NDArray m = state.first(name, weight);
        NDArray v = state.second(name, weight);
        float lr = rate(state.step());
        double coef1 = 1.0 - Math.pow(BETA1, state.step());
        double coef2 = 1.0 - Math.pow(BETA2, state.step());
        float corrected = (float) (lr * Math.sqrt(coef2) / coef1);
        weight.getNDArrayInternal()
                .adamUpdate(
                        new NDList(weight, grad, m, v),
                        new NDList(weight),
                        lr,
                        corrected,
                        0f,
                        rescaleGrad,
                        clipGrad,
                        BETA1,
                        BETA2,
                        EPSILON,
                        true,
                        false);
    }

    /** Returns the state as named arrays (see {@link OptimizerState#export}). */
    NDList exportState(NDManager manager) {
        return state.export(manager);
    }

    /** Restores state exported by {@link #exportState}; arrays are copied into {@code owner}. */
    void importState(NDList exported, NDManager owner) {
        state.restore(exported, owner);
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
