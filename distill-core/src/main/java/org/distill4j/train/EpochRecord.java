package org.distill4j.train;

/**
 * What one training epoch measured. Losses are means over the epoch's batches; a value that was
 * not measured (e.g. the soft term of a model trained on hard labels only, or validation metrics
 * without a validation split) is {@code NaN}.
 *
 * @param epoch 1-based epoch number
 * @param trainLoss mean total training loss
 * @param trainSoftLoss mean weighted soft-target term (alpha * T^2 * KL), NaN when alpha = 0
 * @param trainHardLoss mean weighted hard-label term ((1 - alpha) * CE), NaN when alpha = 1
 * @param trainAccuracy fraction of labelled training rows classified correctly, in [0, 1]
 * @param valLoss mean cross-entropy on the validation split
 * @param valAccuracy accuracy on the validation split, in [0, 1]
 * @param seconds wall-clock seconds the epoch took (training only, not validation)
 * @param samplesPerSecond training rows processed per second
 * @param learningRate learning rate at the end of the epoch
 */
public record EpochRecord(
        int epoch,
        double trainLoss,
        double trainSoftLoss,
        double trainHardLoss,
        double trainAccuracy,
        double valLoss,
        double valAccuracy,
        double seconds,
        double samplesPerSecond,
        double learningRate) {}
