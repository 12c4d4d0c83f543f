package org.distill4j.teacher;

import ai.djl.ndarray.NDArray;

/**
 * A model whose outputs a student learns from. Implementations: a model trained and saved by
 * distill4j ({@link SavedModelTeacher}), a TorchScript file ({@link TorchScriptTeacher}), an ONNX
 * file ({@link OnnxTeacher}); HTTP teachers come later.
 *
 * <p>Contract: {@link #logits} maps float32 inputs of shape (B, featureShape...) to raw,
 * un-normalised scores of shape (B, C), in inference mode (no dropout), without gradient, attached
 * to the inputs' manager. A teacher's {@link #identity()} is stable for the same model content and
 * changes whenever the model changes: teacher-output caches are keyed by it. Teachers hold native
 * resources and must be closed; they are not required to be thread-safe.
 */
public interface Teacher extends AutoCloseable {

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
