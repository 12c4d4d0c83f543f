package org.distill4j.teacher;

import ai.djl.ndarray.NDArray;
import org.distill4j.model.SavedModel;

/**
 * A model whose outputs a student learns from. Implementations: a model in memory ({@link
 * #of(SavedModel)}), a model trained and saved by distill4j ({@link SavedModelTeacher}), a
 * TorchScript file ({@link TorchScriptTeacher}), an ONNX file ({@link OnnxTeacher}); teachers behind
 * an HTTP API are collected by {@code teacher.http.LabelCollector} instead.
 *
 * <p>Contract: {@link #logits} maps float32 inputs of shape (B, featureShape...) to raw,
 * un-normalised scores of shape (B, C), in inference mode (no dropout), without gradient, attached
 * to the inputs' manager. A teacher's {@link #identity()} is stable for the same model content and
 * changes whenever the model changes: teacher-output caches are keyed by it. Teachers hold native
 * resources and must be closed; they are not required to be thread-safe.
 */
public interface Teacher extends AutoCloseable {

    /**
     * Returns a teacher for a model held in memory (e.g. just trained), identified by a hash of
     * its architecture and parameters; the model stays the caller's to close.
     *
     * @param model a trained (initialised) model
     * @throws IllegalStateException if the model's parameters are not initialised
     */
    static Teacher of(SavedModel model) {
        return new InMemoryTeacher(model);
    }

    /** Returns who this teacher is: kind, location and content hash. */
    TeacherIdentity identity();

    /**
     * Computes the teacher's logits for a batch.
     *
     * @param inputs float32, shape (B, featureShape...)
     * @return float32 logits, shape (B, C), attached to {@code inputs}' manager
     */
    NDArray logits(NDArray inputs);

    @Override
    void close();
}
