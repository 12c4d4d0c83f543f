package org.distill4j.lm.train;

/**
 * How long and how fast a language model trains.
 *
 * @param steps optimiser steps, &gt;= 1
 * @param batchSize windows per step, &gt;= 1
 * @param learningRate Adam's learning rate, positive and finite
 * @param warmupSteps steps of linear warm-up from 0, &gt;= 0 (then constant)
 * @param seed seeds the order of windows and any teacher sampling
 */
public record LmTrainingConfig(int steps, int batchSize, double learningRate, int warmupSteps, long seed) {

    /** Validates every field. */
    public LmTrainingConfig {
        if (steps < 1 || batchSize < 1 || !(learningRate > 0) || Double.isInfinite(learningRate) || warmupSteps < 0) {
            throw new IllegalArgumentException("illegal training config: steps=" + steps + ", batchSize=" + batchSize
                    + ", learningRate=" + learningRate + ", warmupSteps=" + warmupSteps
                    + " (need steps >= 1, batchSize >= 1, finite learningRate > 0, warmupSteps >= 0)");
        }
    }
}
