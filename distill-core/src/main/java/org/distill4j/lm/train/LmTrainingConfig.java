package org.distill4j.lm.train;

import org.distill4j.train.Schedule;

/**
 * How long and how fast a language model trains.
 *
 * @param steps optimiser steps, &gt;= 1
 * @param batchSize windows per step, &gt;= 1
 * @param learningRate Adam's peak learning rate (after warm-up), positive and finite
 * @param warmupSteps steps of linear warm-up from 0, &gt;= 0
 * @param seed seeds the order of windows and any teacher sampling
 * @param schedule the learning rate after warm-up, as for classifiers ({@code cosine} decays to 0
 *     at the last step, {@code step} divides by 10 after each third)
 */
public record LmTrainingConfig(
        int steps, int batchSize, double learningRate, int warmupSteps, long seed, Schedule schedule) {

    /** Validates every field. */
    public LmTrainingConfig {
        if (steps < 1 || batchSize < 1 || !(learningRate > 0) || Double.isInfinite(learningRate) || warmupSteps < 0) {
            throw new IllegalArgumentException("illegal training config: steps=" + steps + ", batchSize=" + batchSize
                    + ", learningRate=" + learningRate + ", warmupSteps=" + warmupSteps
                    + " (need steps >= 1, batchSize >= 1, finite learningRate > 0, warmupSteps >= 0)");
        }
        if (schedule == null) {
            throw new IllegalArgumentException("illegal training config: no schedule (constant, cosine or step)");
        }
    }

    /** With a constant rate after warm-up. */
    public LmTrainingConfig(int steps, int batchSize, double learningRate, int warmupSteps, long seed) {
        this(steps, batchSize, learningRate, warmupSteps, seed, Schedule.CONSTANT);
    }

    /**
     * The learning rate of update {@code t} (1-based): linear warm-up over {@code warmupSteps}, then
     * the schedule's rate over the remaining steps ({@link Schedule#rate}).
     */
    public double rate(long t) {
        return t < warmupSteps
                ? learningRate * (t + 1) / (warmupSteps + 1)
                : schedule.rate(learningRate, t, steps, warmupSteps);
    }
}
