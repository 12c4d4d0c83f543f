package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;

/**
 * A next-token training objective for a language-model student. Every term is a mean over the real
 * positions (targets &gt;= 0; -1 is padding), and a term whose weight is 0 is not computed.
 *
 * <p>Shapes: student logits (B, T, V) float32; targets (B, T) int64. Implementations are immutable
 * and validated on construction, with a {@code toString()} such as {@code FullKL(T=2.0, alpha=0.5)}.
 */
public interface SequenceLoss {

    /**
     * Turns an in-process teacher's logits into what this loss trains on (the full logits, their
     * top k, a seeded sample, or nothing); the same thing a teacher-output cache would store.
     *
     * @param teacherLogits (B, T, V) float32
     * @param seed seeds any sampling, so a batch's targets are reproducible
     */
    TeacherTargets targetsFrom(NDArray teacherLogits, long seed);

    /**
     * Computes the weighted terms.
     *
     * @param studentLogits (B, T, V)
     * @param targets (B, T) next-token ids, -1 = padding
     * @param teacher what {@link #targetsFrom} gave (or a cache returned)
     */
    Terms terms(NDArray studentLogits, NDArray targets, TeacherTargets teacher);

    /** Returns whether this loss needs a teacher at all. */
    default boolean needsTeacher() {
        return true;
    }

    /**
     * The weighted terms of one evaluation.
     *
     * @param soft alpha times the distillation term, null when alpha = 0 (or there is none)
     * @param hard (1 - alpha) times the cross-entropy, null when alpha = 1
     * @param total their sum, a float32 scalar
     */
    record Terms(NDArray soft, NDArray hard, NDArray total) {

        /** Combines two optional terms. */
        static Terms of(NDArray soft, NDArray hard) {
            return new Terms(soft, hard, soft == null ? hard : hard == null ? soft : soft.add(hard));
        }
    }
}
