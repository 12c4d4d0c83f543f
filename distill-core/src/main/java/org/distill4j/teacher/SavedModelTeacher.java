package org.distill4j.teacher;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import org.distill4j.model.SavedModel;

/** A teacher that is a model trained and saved by distill4j (a directory with model.json). */
public final class SavedModelTeacher implements Teacher {

    private final SavedModel model;
    private final TeacherIdentity identity;

    private SavedModelTeacher(SavedModel model, TeacherIdentity identity) {
        this.model = model;
        this.identity = identity;
    }

    /**
     * Loads the teacher from a saved model directory.
     *
     * @param dir directory written by {@link SavedModel#save(Path)}
     * @throws IOException if it is missing or malformed; the message names the file
     */
    public static SavedModelTeacher load(Path dir) throws IOException {
        return load(dir, null);
    }

    /**
     * Loads a teacher saved around a user's own DJL block, which the caller supplies again (see
     * {@link SavedModel#load(Path, ai.djl.nn.Block)}).
     *
     * @param dir directory written by {@link SavedModel#save(Path)}
     * @param block a fresh block of the saved class, or null for a built-in architecture
     * @throws IOException if it is missing, malformed or the block does not match; the message names the file
     */
    public static SavedModelTeacher load(Path dir, ai.djl.nn.Block block) throws IOException {
        SavedModel model = SavedModel.load(dir, block);
        TeacherIdentity id = new TeacherIdentity(
                "distill4j",
                dir.toAbsolutePath().normalize().toString(),
                SavedModel.contentHash(dir),
                model.describe());
        return new SavedModelTeacher(model, id);
    }

    /** Returns the loaded model. */
    public SavedModel model() {
        return model;
    }

    @Override
    public TeacherIdentity identity() {
        return identity;
    }

    @Override
    public NDArray logits(NDArray inputs) {
        return model.logits(inputs).stopGradient();
    }

    @Override
    public void close() {
        model.close();
    }
}
