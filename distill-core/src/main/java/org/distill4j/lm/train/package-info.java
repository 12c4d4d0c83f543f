/**
 * Training and evaluating language models: {@link org.distill4j.lm.train.LmTrainer} (a step loop
 * over packed windows with any {@link org.distill4j.lm.loss.SequenceLoss} and an optional
 * in-process teacher), {@link org.distill4j.lm.train.Evaluation} (bits per byte and perplexity),
 * {@link org.distill4j.lm.train.UnigramBaseline} (the no-context reference) and {@link
 * org.distill4j.lm.train.TeacherText} (teacher-generated text for sequence-level KD).
 */
package org.distill4j.lm.train;
