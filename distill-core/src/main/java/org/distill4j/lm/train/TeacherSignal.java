package org.distill4j.lm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.loss.SequenceLoss;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.model.LanguageModel;

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

    /** The teacher runs in inference mode on every batch; the loss turns its logits into targets. */
    static TeacherSignal inProcess(LanguageModel teacher, SequenceLoss loss) {
        return (m, w, in, s) -> loss.targetsFrom(teacher.logits(in), s);
    }

    /** Top-k targets read from a cache built over the same windows (window length T). */
    static TeacherSignal cached(TopKCache cache, int windowLength) {
        return (m, w, in, s) -> cache.targets(m, w, windowLength);
    }
}
