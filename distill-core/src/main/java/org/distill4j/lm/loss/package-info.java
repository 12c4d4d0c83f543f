/**
 * Sequence-level distillation objectives as data, one small class per variant behind {@link
 * org.distill4j.lm.loss.SequenceLoss}: {@link org.distill4j.lm.loss.TokenCrossEntropy} (no
 * teacher; also what sequence-level KD trains with, on teacher-generated text), {@link
 * org.distill4j.lm.loss.FullKl} (the teacher's whole next-token distribution), {@link
 * org.distill4j.lm.loss.TopKKl} (the k largest log-probabilities plus a tail bucket, what an API
 * returns), {@link org.distill4j.lm.loss.SampledKd} (random-sampling KD, an unbiased sparse
 * estimate), {@link org.distill4j.lm.loss.ReverseKl} and {@link org.distill4j.lm.loss.GeneralizedJsd}
 * (GKD's divergence, on fixed data). What each needs from the teacher is a {@link org.distill4j.lm.loss.TeacherTargets}.
 * Golden values and gradients: {@code tools/golden/lm_loss_golden.py}.
 */
package org.distill4j.lm.loss;
