package org.distill4j.train;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The hook that stops training at a non-finite loss, before the bad update, with a {@link
 * TrainingDivergedException} naming the epoch, the batch, the settings to change and the last
 * good checkpoint (kept).
 */
final class DivergenceCheck implements EpochHook {

    private final TrainingConfig config;
    private final Checkpointing checkpointing;

    /** @param checkpointing the run's checkpointing, or null when it writes none */
    DivergenceCheck(TrainingConfig config, Checkpointing checkpointing) {
        this.config = config;
        this.checkpointing = checkpointing;
    }

    @Override
    public void onBatchLoss(int epoch, int batch, double loss) {
        if (Double.isFinite(loss)) {
            return;
        }
        Path last = checkpointing == null ? null : checkpointing.lastGood();
        throw new TrainingDivergedException(
                String.format(
                        Locale.ROOT,
                        "training diverged: loss = %s at epoch %d, batch %d (learning_rate %s, optimizer %s). %s "
                                + "Try a lower learning_rate, or check the data for non-finite values.",
                        loss,
                        epoch,
                        batch,
                        config.learningRate(),
                        config.optimizer().id(),
                        last == null
                                ? "No checkpoint was written before it."
                                : "The last good checkpoint is kept: " + last + "."),
                epoch,
                last);
    }
}
