package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;

/**
 * Plain next-token cross-entropy, mean over real positions: training from scratch, and
 * sequence-level KD (Kim and Rush, 2016), where the text itself came from the teacher (see
 * {@code org.distill4j.lm.train.TeacherText}).
 */
public final class TokenCrossEntropy implements SequenceLoss {

    @Override
    public TeacherTargets targetsFrom(NDArray teacherLogits, long seed) {
        return new TeacherTargets.None();
    }

    @Override
    public Terms terms(NDArray studentLogits, NDArray targets, TeacherTargets teacher) {
        Positionwise.checkShapes(studentLogits, targets);
        return Terms.of(null, Positionwise.crossEntropy(studentLogits, targets));
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }

    @Override
    public String toString() {
        return "CE()";
    }
}
