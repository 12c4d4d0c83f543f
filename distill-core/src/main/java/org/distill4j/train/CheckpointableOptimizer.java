package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.HashMap;
import java.util.Map;

/**
 * Adam, AdamW or SGD with momentum whose whole state (moments, momentum buffers, step count) can
 * be saved and restored, so a resumed run continues exactly where it stopped. DJL's own
 * optimisers keep their state in private maps keyed by random parameter ids; this one keys it by
 * parameter name, which is stable across processes. The update itself is DJL's fused native
 * kernel, so it is as fast as DJL's optimisers.
 */
final class CheckpointableOptimizer extends Optimizer {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;

    private final TrainingConfig config;
    private final long totalSteps;
    private final long warmupSteps;
    private final Map<String, String> nameById = new HashMap<>();
    private final OptimizerState state = new OptimizerState();
    private float currentRate;

    CheckpointableOptimizer(TrainingConfig config, long stepsPerEpoch, PairList<String, Parameter> parameters) {
        super(new Builder().optWeightDecays((float) config.weightDecay()));
        this.config = config;
        this.totalSteps = stepsPerEpoch * config.epochs();
        this.warmupSteps = stepsPerEpoch * config.warmupEpochs();
        for (Pair<String, Parameter> p : parameters) {
            nameById.put(p.getValue().getId(), p.getKey());
        }
        this.currentRate = (float) config.schedule().rate(config.learningRate(), 1, totalSteps, warmupSteps);
    }

    /** Advances the schedule by one update step; call once before each {@code trainer.step()}. */
    void beginStep() {
        state.advance();
        currentRate = (float) config.schedule().rate(config.learningRate(), state.step(), totalSteps, warmupSteps);
    }

    float learningRate() {
        return currentRate;
    }

    long step() {
        return state.step();
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        String name = nameById.get(parameterId);
        if (name == null) {
            throw new IllegalStateException("parameter " + parameterId + " is not part of the model being trained");
        }
        float wd = (float) config.weightDecay();
        NDList weights = new NDList(weight);
        switch (config.optimizer()) {
            case ADAM, ADAMW -> {
                NDArray m = state.first(name, weight);
                NDArray v = state.second(name, weight);
                double coef1 = 1.0 - Math.pow(BETA1, state.step());
                double coef2 = 1.0 - Math.pow(BETA2, state.step());
                float corrected = (float) (currentRate * Math.sqrt(coef2) / coef1);
                weight.getNDArrayInternal()
                        .adamUpdate(
                                new NDList(weight, grad, m, v),
                                weights,
                                currentRate,
                                corrected,
                                wd,
                                rescaleGrad,
                                clipGrad,
                                BETA1,
                                BETA2,
                                EPSILON,
                                true,
                                config.optimizer() == OptimizerKind.ADAMW);
            }
            case SGD -> {
                float momentum = (float) config.momentum();
                NDList inputs =
                        momentum == 0 ? new NDList(weight, grad) : new NDList(weight, grad, state.first(name, weight));
                weight.getNDArrayInternal()
                        .sgdUpdate(inputs, weights, currentRate, wd, rescaleGrad, clipGrad, momentum, true);
            }
        }
    }

    /** Returns the state as named arrays (see {@link OptimizerState#export}). */
    NDList exportState(NDManager manager) {
        return state.export(manager);
    }

    /** Restores state exported by {@link #exportState}; arrays are copied into {@code owner}. */
    void importState(NDList exported, NDManager owner) {
        state.restore(exported, owner);
        currentRate = (float)
                config.schedule().rate(config.learningRate(), Math.max(1, state.step()), totalSteps, warmupSteps);
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
