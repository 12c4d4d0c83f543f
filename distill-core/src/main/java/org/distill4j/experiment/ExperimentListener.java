package org.distill4j.experiment;

import java.util.function.IntConsumer;
import org.distill4j.train.TrainingListener;

/** Progress of an experiment, for a progress bar or a log. Defaults do nothing. */
public interface ExperimentListener {

    /** A listener that ignores everything. */
    ExperimentListener NONE = new ExperimentListener() {};

    /** Returns the listener for training the model of a role ({@code teacher}, ...). */
    default TrainingListener training(String role) {
        return TrainingListener.NONE;
    }

    /**
     * Returns what to tell about computing teacher outputs over {@code rows} rows.
     *
     * @param rows rows to compute
     * @return told the rows done so far
     */
    default IntConsumer teacherOutputs(int rows) {
        return done -> {};
    }

    /**
     * Returns what to tell about collecting an HTTP teacher's outputs on a split (called from the
     * collector's worker threads).
     *
     * @param split the split, e.g. {@code train}
     */
    default org.distill4j.teacher.http.CollectionListener collection(String split) {
        return org.distill4j.teacher.http.CollectionListener.none();
    }

    /** A line of information (what is being done, what was reused). */
    default void info(String message) {}
}
