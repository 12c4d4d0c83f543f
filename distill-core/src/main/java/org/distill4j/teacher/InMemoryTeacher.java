package org.distill4j.teacher;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;
import org.distill4j.io.Hashing;
import org.distill4j.model.SavedModel;

/**
 * A teacher that is a model held in memory, e.g. one just trained, with no round trip through a
 * directory. Made by {@link Teacher#of(SavedModel)}.
 *
 * <p>Its identity is kind {@code in-memory} and a SHA-256 over the architecture and every
 * parameter's name, shape and bytes, taken when the teacher is made: the same model content gives
 * the same identity (and so the same output-cache entries) in any run; a model trained further
 * is another teacher and needs a new {@code Teacher.of}. The teacher borrows the model: closing it
 * leaves the model open, and the caller closes the model after the teacher is no longer used.
 */
public final class InMemoryTeacher implements Teacher {

    /** The identity kind of teachers in memory. */
    public static final String KIND = "in-memory";

    private final SavedModel model;
    private final TeacherIdentity identity;

    InMemoryTeacher(SavedModel model) {
        this.model = Objects.requireNonNull(model, "model");
        String hash = contentHash(model);
        this.identity = new TeacherIdentity(KIND, "memory:" + hash.substring(0, 16), hash, model.describe());
    }

    /**
     * Returns the SHA-256 of a model's architecture and parameters (names, shapes, float bytes).
     *
     * @throws IllegalStateException if the model's parameters are not initialised (train it first)
     */
    public static String contentHash(SavedModel model) {
        MessageDigest md = Hashing.sha256();
        md.update(model.architectureKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update(String.join(",", model.descriptor().classNames()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (Pair<String, Parameter> p : model.model().getBlock().getParameters()) {
            if (!p.getValue().isInitialized()) {
                throw new IllegalStateException("parameter " + p.getKey() + " of " + model.describe()
                        + " is not initialised: train (or load) the model before it can teach");
            }
            NDArray a = p.getValue().getArray();
            md.update((p.getKey() + a.getShape() + a.getDataType()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update(a.toByteArray());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Returns the model (owned by the caller). */
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

    /** Leaves the borrowed model open. */
    @Override
    public void close() {
        // The caller owns the model.
    }
}
