package org.distill4j.lm.teacher;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.TokenizerIdentity;
import org.distill4j.teacher.TeacherIdentity;

/** A distill4j {@link LanguageModel} as a teacher. */
public final class LocalLmTeacher implements LmTeacher {

    private final LanguageModel lm;
    private final TeacherIdentity identity;
    private final boolean owned;

    private LocalLmTeacher(LanguageModel lm, TeacherIdentity identity, boolean owned) {
        this.lm = lm;
        this.identity = identity;
        this.owned = owned;
    }

    /** Loads a saved language model directory as a teacher (closed with the teacher). */
    public static LocalLmTeacher load(Path dir) throws IOException {
        LanguageModel lm = LanguageModel.load(dir);
        return new LocalLmTeacher(
                lm,
                new TeacherIdentity(
                        "distill4j-lm",
                        dir.toAbsolutePath().normalize().toString(),
                        LanguageModel.contentHash(dir),
                        lm.config().toString()),
                true);
    }

    /**
     * Wraps a model in memory (not closed with the teacher; the caller owns it).
     *
     * @param name what the identity calls it (e.g. where it was trained)
     */
    public static LocalLmTeacher of(LanguageModel lm, String name) {
        return new LocalLmTeacher(
                lm,
                new TeacherIdentity(
                        "distill4j-lm", name, "in-memory", lm.config().toString()),
                false);
    }

    /** Returns the wrapped model. */
    public LanguageModel model() {
        return lm;
    }

    @Override
    public NDArray logits(NDArray ids) {
        return lm.logits(ids);
    }

    @Override
    public TokenizerIdentity tokenizer() {
        return lm.tokenizer().identity();
    }

    @Override
    public int contextLength() {
        return lm.config().contextLength();
    }

    @Override
    public TeacherIdentity identity() {
        return identity;
    }

    @Override
    public void close() {
        if (owned) {
            lm.close();
        }
    }
}
