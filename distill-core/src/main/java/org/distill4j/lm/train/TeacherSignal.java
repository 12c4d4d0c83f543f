package org.distill4j.lm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.loss.SequenceLoss;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.token.TokenizerIdentity;

/**
 * Where a training step gets its teacher targets: from an in-process teacher through the loss's
 * {@link SequenceLoss#targetsFrom}, from a {@link TopKCache} on disk, or nowhere.
 */
@FunctionalInterface
public interface TeacherSignal {

    /**
     * Returns the teacher targets of one batch.
     *
     * @param manager the batch's manager
     * @param windowIndices the windows of the batch
     * @param inputs (B, T) their input ids
     * @param seed a per-step seed for sampled targets
     */
    TeacherTargets targets(NDManager manager, int[] windowIndices, NDArray inputs, long seed);

    /** No teacher (cross-entropy). */
    static TeacherSignal none() {
        return (m, w, in, s) -> new TeacherTargets.None();
    }

    /**
     * The teacher runs in inference mode on every batch; the loss turns its logits into targets.
     *
     * @param student the student's tokenizer (token-level KD needs one vocabulary)
     * @param window the window length T the teacher must accept
     * @throws IllegalArgumentException if the tokenizers differ or the teacher's context is shorter than T
     */
    static TeacherSignal inProcess(LmTeacher teacher, SequenceLoss loss, TokenizerIdentity student, int window) {
        if (!teacher.tokenizer().equals(student)) {
            throw new IllegalArgumentException("token-level KD needs one vocabulary: teacher tokenizer "
                    + teacher.tokenizer() + " vs student " + student
                    + "; use sequence-level KD (TeacherText) across tokenizers, or, where both spell the same tokens, "
                    + "map them (distillation.vocabulary_map: auto; MappedLmTeacher)");
        }
        if (teacher.contextLength() < window) {
            throw new IllegalArgumentException("teacher context " + teacher.contextLength()
                    + " is shorter than the window " + window + "; use windows of at most " + teacher.contextLength());
        }
        return (m, w, in, s) -> loss.targetsFrom(teacher.logits(in), s);
    }

    /** Top-k targets read from a cache built over the same windows (window length T). */
    static TeacherSignal cached(TopKCache cache, int windowLength) {
        return (m, w, in, s) -> cache.targets(m, w, windowLength);
    }
}
