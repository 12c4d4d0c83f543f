package org.distill4j.lm.teacher;

import ai.djl.ndarray.NDArray;
import org.distill4j.lm.token.TokenizerIdentity;
import org.distill4j.teacher.TeacherIdentity;

/**
 * A language model that a student can learn from in-process: next-token logits for token ids.
 *
 * <p>Contract: {@link #logits} takes int64 ids of shape (B, T), T &lt;= {@link #contextLength()},
 * each id in [0, V) of {@link #tokenizer()}, and returns float32 logits (B, T, V) attached to the
 * ids' manager, in inference mode, with no gradient. Token-level KD needs the student to use the
 * same tokenizer; the identity names the teacher in caches and provenance.
 */
public interface LmTeacher extends AutoCloseable {

    /** Returns (B, T, V) logits for (B, T) ids. */
    NDArray logits(NDArray ids);

    /** Returns the tokenizer the ids and logits are in. */
    TokenizerIdentity tokenizer();

    /** Returns the longest T the teacher accepts. */
    int contextLength();

    /** Returns who the teacher is (kind, location, content hash). */
    TeacherIdentity identity();

    @Override
    void close();
}
