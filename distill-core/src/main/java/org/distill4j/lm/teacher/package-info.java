/**
 * In-process language-model teachers behind one interface, {@link org.distill4j.lm.teacher.LmTeacher}
 * (token ids in, next-token logits out): a saved distill4j language model ({@link
 * org.distill4j.lm.teacher.LocalLmTeacher}) or a TorchScript module ({@link
 * org.distill4j.lm.teacher.TorchScriptLmTeacher}).
 */
package org.distill4j.lm.teacher;
