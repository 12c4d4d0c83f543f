package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;

/**
 * What a sequence loss learns from the teacher at every position: the full distribution, its top k,
 * a sparse sample, or nothing. Arrays are treated as constants (no gradient flows into them).
 */
public sealed interface TeacherTargets {

    /** No teacher signal (cross-entropy on the corpus, or on teacher-generated text). */
    record None() implements TeacherTargets {}

    /** @param logits (B, T, V) float32 teacher logits */
    record Full(NDArray logits) implements TeacherTargets {}

    /**
     * @param ids (B, T, k) int64, the teacher's k most likely next tokens
     * @param logProbs (B, T, k) float32, their log-probabilities (at temperature 1, as an API gives them);
     *     -inf marks an absent entry, whose id repeats one present at that position
     */
    record TopK(NDArray ids, NDArray logProbs) implements TeacherTargets {}

    /**
     * @param ids (B, T, n) int64 sampled token ids, unique per position; padding entries have weight 0
     * @param weights (B, T, n) float32 importance weights, summing to 1 per position
     */
    record Sampled(NDArray ids, NDArray weights) implements TeacherTargets {}
}
