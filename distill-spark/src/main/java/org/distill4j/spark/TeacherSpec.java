package org.distill4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.distill4j.io.Hashing;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.OnnxTeacher;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TorchScriptTeacher;

/**
 * Which local teacher the executors load, as the driver resolved it: its kind, its path on the
 * shared filesystem and the SHA-256 of its content the driver saw. An executor that loads other
 * bytes fails instead of scoring with another model. Holds no secret, so it may travel in a
 * closure.
 *
 * @param kind {@code distill4j} (a saved model directory), {@code torchscript} (a .pt file) or {@code
 *     onnx} (a .onnx file, run by DJL's ONNX Runtime engine, which must be on the executors'
 *     classpath); {@code distill4j-lm} (a saved language model directory, for {@link LmTopKJob})
 * @param path absolute path, readable by every executor
 * @param contentHash hex SHA-256 of the model content, as {@link org.distill4j.teacher.TeacherIdentity}
 */
public record TeacherSpec(String kind, String path, String contentHash) implements Serializable {

    /** Requires all fields. */
    public TeacherSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(contentHash, "contentHash");
    }

    /**
     * Resolves the recipe's local teacher on the driver (hashing it, not loading it).
     *
     * @param recipe the recipe
     * @param experimentOut the experiment output directory, where {@code teacher.source: train}
     *     keeps the trained teacher ({@code OUT/teacher})
     * @throws IOException if the teacher is missing; the message names the path
     * @throws IllegalArgumentException for an HTTP teacher (not supported by this job yet)
     */
    public static TeacherSpec of(Recipe recipe, Path experimentOut) throws IOException {
        Recipe.TeacherSection t = recipe.teacher();
        return switch (t.source()) {
            case "distill4j" -> savedModel(t.path());
            case "train" -> {
                Path dir = experimentOut.resolve("teacher");
                if (!Files.isRegularFile(dir.resolve(SavedModel.DESCRIPTOR))) {
                    throw new IOException("teacher.source is 'train' but no trained teacher is in " + dir
                            + "; train it first (distill train-teacher RECIPE --out " + experimentOut + ")");
                }
                yield savedModel(dir);
            }
            case "torchscript" -> file("torchscript", "TorchScript", t.path());
            case "onnx" -> file("onnx", "ONNX", t.path());
            default ->
                throw new IllegalArgumentException("teacher.source is '" + t.source()
                        + "': the Spark job scores with a local teacher (distill4j, train, torchscript, onnx); "
                        + "for an HTTP teacher use `distill label` (see docs/scale-out.md)");
        };
    }

    /**
     * Resolves a language-model recipe's teacher on the driver (hashing it, not loading it): the
     * saved model at {@code teacher.path}, or the one a previous {@code distill run} of the recipe trained into
     * {@code experimentOut/teacher}.
     *
     * @throws IOException if the teacher is missing; the message names the path
     * @throws IllegalArgumentException for an HTTP teacher (not supported by this job)
     */
    public static TeacherSpec lm(LmRecipe recipe, Path experimentOut) throws IOException {
        LmRecipe.Model t = recipe.teacher();
        if (t.http() != null) {
            throw new IllegalArgumentException("the language-model teacher is reached over HTTP ("
                    + t.http().url()
                    + "): the Spark job scores with a saved language model (teacher.path); collect an HTTP "
                    + "teacher's top-k with `distill run` (docs/lm.md)");
        }
        Path dir = (t.path() != null ? t.path() : experimentOut.resolve("teacher"))
                .toAbsolutePath()
                .normalize();
        if (!Files.isRegularFile(dir.resolve(LanguageModel.DESCRIPTOR))) {
            throw new IOException(
                    t.path() != null
                            ? "language-model teacher directory " + dir + " has no " + LanguageModel.DESCRIPTOR
                            : "the recipe trains its teacher but no trained teacher is in " + dir
                                    + "; train it first (distill run RECIPE --out " + experimentOut
                                    + ") or set teacher.path");
        }
        return new TeacherSpec(LanguageModel.FORMAT, dir.toString(), LanguageModel.contentHash(dir));
    }

    private static TeacherSpec file(String kind, String what, Path path) throws IOException {
        Path file = path.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new IOException(what + " teacher file not found: " + file);
        }
        return new TeacherSpec(kind, file.toString(), Hashing.sha256(file));
    }

    private static TeacherSpec savedModel(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.isRegularFile(abs.resolve(SavedModel.DESCRIPTOR))) {
            throw new IOException("distill4j teacher directory " + abs + " has no " + SavedModel.DESCRIPTOR);
        }
        return new TeacherSpec("distill4j", abs.toString(), SavedModel.contentHash(abs));
    }

    /** Returns the key of this teacher in an executor's {@link TeacherPool}: kind and content hash. */
    public String cacheKey() {
        return kind + ":" + contentHash;
    }

    /** Loads the teacher described here (on an executor), as the single-JVM path loads it. */
    public Teacher load() throws IOException {
        Path p = Path.of(path);
        return switch (kind) {
            case "distill4j" -> SavedModelTeacher.load(p);
            case "torchscript" -> TorchScriptTeacher.load(p);
            // As the single-JVM path (TeacherProvider) loads it: ONNX Runtime's default threading.
            case "onnx" -> OnnxTeacher.load(p);
            default -> throw new IOException("teacher kind '" + kind + "' is not a classifier teacher");
        };
    }

    /** Loads the language-model teacher described here (on an executor), as {@code distill run} loads it. */
    public LmTeacher loadLm() throws IOException {
        if (!kind.equals(LanguageModel.FORMAT)) {
            throw new IOException("teacher kind '" + kind + "' is not a language model");
        }
        return LocalLmTeacher.load(Path.of(path));
    }
}
