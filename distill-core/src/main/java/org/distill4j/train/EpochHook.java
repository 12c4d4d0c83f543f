package org.distill4j.train;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import org.distill4j.model.SavedModel;

/**
 * One concern of the training loop that acts at its boundaries, in the manner of DJL's training
 * listeners: {@link ClassifierTrainer} runs its batches and calls its hooks (validation,
 * checkpointing, the divergence check) in order, so each concern changes in its own class. All
 * methods have no-op defaults and are called on the training thread.
 */
interface EpochHook {

    /**
     * What a hook may read and update: the model, its optimiser, the history so far (epochs
     * completed before the current one) and the run's manager.
     */
    record State(SavedModel model, CheckpointableOptimizer optimizer, List<EpochRecord> history, NDManager manager) {}

    /** Before the DJL trainer exists: e.g. parameters restored from a checkpoint. */
    default void beforeTrainer(SavedModel model) throws IOException {}

    /**
     * The trainer is initialised; returns the epoch training resumes after (0 to start at epoch 1).
     * A hook that resumes adds the resumed epochs' records to {@code state.history()}.
     */
    default int onTrainingStart(State state) throws IOException {
        return 0;
    }

    /** A batch's loss was read, before the update is applied. */
    default void onBatchLoss(int epoch, int batch, double loss) {}

    /**
     * An epoch's training finished; returns its record, completed or unchanged. Hooks run in order,
     * each given the previous one's record; the last one's goes into the history.
     */
    default EpochRecord onEpochEnd(State state, EpochRecord record) throws IOException {
        return record;
    }
}
