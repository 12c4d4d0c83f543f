package org.distill4j.train;

import org.distill4j.data.ExampleSet;
import org.distill4j.eval.Predictions;

/** The hook that measures each epoch's model on the validation rows: loss and accuracy. */
final class Validation implements EpochHook {

    private final ExampleSet rows;

    Validation(ExampleSet rows) {
        this.rows = rows;
    }

    @Override
    public EpochRecord onEpochEnd(State state, EpochRecord r) {
        Predictions p = Predictions.of(state.model(), rows, state.manager(), 512);
        return new EpochRecord(
                r.epoch(),
                r.trainLoss(),
                r.trainSoftLoss(),
                r.trainHardLoss(),
                r.trainAccuracy(),
                p.crossEntropy(rows),
                p.accuracy(rows),
                r.seconds(),
                r.samplesPerSecond(),
                r.learningRate());
    }
}
