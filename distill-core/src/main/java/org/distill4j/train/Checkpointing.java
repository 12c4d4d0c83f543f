package org.distill4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.model.SavedModel;

/**
 * The hook that writes a complete checkpoint (parameters, optimiser state, history) after every
 * epoch and, when resuming, restores the newest one of the same run before training starts.
 */
final class Checkpointing implements EpochHook {

    private final Checkpoints checkpoints;
    private final boolean resume;
    private final TrainingListener listener;
    private Checkpoints.Saved restored;

    Checkpointing(Checkpoints checkpoints, boolean resume, TrainingListener listener) {
        this.checkpoints = checkpoints;
        this.resume = resume;
        this.listener = listener;
    }

    @Override
    public void beforeTrainer(SavedModel model) throws IOException {
        restored = resume ? checkpoints.latest() : null;
        if (restored != null) {
            restored.loadParameters(model);
        }
    }

    @Override
    public int onTrainingStart(State state) throws IOException {
        if (restored == null) {
            return 0;
        }
        restored.loadOptimizer(state.optimizer(), state.model().model().getNDManager());
        state.history().addAll(restored.history());
        listener.onResume(restored.epoch());
        return restored.epoch();
    }

    @Override
    public EpochRecord onEpochEnd(State state, EpochRecord record) throws IOException {
        List<EpochRecord> history = new ArrayList<>(state.history());
        history.add(record);
        checkpoints.save(record.epoch(), state.model(), state.optimizer(), history);
        return record;
    }

    /** Returns the directory of the newest complete checkpoint, or null when there is none or it is unreadable. */
    Path lastGood() {
        try {
            Checkpoints.Saved saved = checkpoints.latest();
            return saved == null ? null : saved.dir();
        } catch (IOException e) {
            // Only a hint in an error message is lost.
            return null;
        }
    }
}
