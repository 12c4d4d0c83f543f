package org.distill4j.train;

/**
 * Hooks into a training run, for progress display and logging. All methods have no-op defaults
 * and are called on the training thread.
 */
public interface TrainingListener {

    /** A listener that ignores everything. */
    TrainingListener NONE = new TrainingListener() {};

    /**
     * An epoch starts.
     *
     * @param epoch 1-based epoch
     * @param epochs total epochs
     * @param rows training rows in this epoch
     */
    default void onEpochStart(int epoch, int epochs, int rows) {}

    /**
     * A batch was trained.
     *
     * @param rowsDone rows done so far in this epoch
     * @param meanLoss mean training loss so far in this epoch
     */
    default void onBatch(int rowsDone, double meanLoss) {}

    /** An epoch ended (after validation and checkpoint). */
    default void onEpochEnd(EpochRecord record) {}

    /** Training resumed from a checkpoint after {@code epoch}. */
    default void onResume(int epoch) {}
}
