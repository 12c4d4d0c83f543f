package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.Map;
import org.distill4j.data.ExampleSet;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.eval.Predictions;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.train.SoftTargets;

/**
 * The teacher as an experiment uses it, whether it runs in this process ({@link LocalTeacher}) or
 * behind an HTTP API ({@link RemoteTeacher}): the rows and soft targets the distilled student
 * learns from, its predictions on the test rows, and its own metrics.
 */
interface ExperimentTeacher extends AutoCloseable {

    /** Returns who the teacher is on {@code train}'s label set (its output-cache key). */
    TeacherIdentity identity(ExampleSet train);

    /**
     * Returns the training rows the distilled student learns from: all of {@code train}, or, for
     * a remote teacher, the rows it answered (collected first, resumably).
     */
    ExampleSet distillationRows(ExampleSet train) throws IOException;

    /** Returns the soft targets of {@code rows}, as returned by {@link #distillationRows}. */
    SoftTargets softTargets(ExampleSet rows, NDManager manager) throws IOException;

    /** Returns the teacher's predictions on every test row, or null when they are not collected. */
    Predictions testPredictions(ExampleSet test, NDManager manager) throws IOException;

    /**
     * Returns the teacher's logits on every validation row (for {@code distillation.calibrate_teacher});
     * a remote teacher is asked for them, resumably, like the test rows.
     */
    Predictions validationPredictions(ExampleSet validation, NDManager manager) throws IOException;

    /** Returns the teacher's row of the results; {@code p} may be null (then accuracy is NaN). */
    ModelMetrics metrics(Predictions p, ExampleSet test, NDManager manager) throws IOException;

    /** Returns how the outputs were collected from an API, for provenance, or null. */
    Map<String, Object> labelCollection();

    @Override
    void close();
}
