package org.distill4j.train;

import java.nio.file.Path;

/**
 * Training produced a non-finite loss and was stopped before the bad update was applied. The last
 * good checkpoint (if any) is kept on disk and named in the message.
 */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final Path lastGoodCheckpoint;

    /**
     * Creates the exception.
     *
     * @param message what happened and what to try
     * @param epoch the 1-based epoch in which it happened
     * @param lastGoodCheckpoint the newest complete checkpoint, or null when there is none
     */
    public TrainingDivergedException(String message, int epoch, Path lastGoodCheckpoint) {
        super(message);
        this.epoch = epoch;
        this.lastGoodCheckpoint = lastGoodCheckpoint;
    }

    /** Returns the 1-based epoch in which the loss became non-finite. */
    public int epoch() {
        return epoch;
    }

    /** Returns the newest complete checkpoint directory, or null. */
    public Path lastGoodCheckpoint() {
        return lastGoodCheckpoint;
    }
}
