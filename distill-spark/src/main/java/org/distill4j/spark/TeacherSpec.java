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
import org.distill4j.lm.teacher.TorchScriptLmTeacher;
import org.distill4j.lm.token.TokenizerIdentity;
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
 *     classpath); {@code distill4j-lm} (a saved language model directory) or {@code torchscript-lm}
 *     (a TorchScript language model file), for {@link LmTopKJob}
 * @param path absolute path, readable by every executor
 * @param contentHash hex SHA-256 of the model content, as {@link org.distill4j.teacher.TeacherIdentity}
 * @param contextLength the context a {@code torchscript-lm} teacher is declared to take (TorchScript
 *     does not say): the recipe's window; 0 for every other kind
 * @param tokenizer the tokenizer a {@code torchscript-lm} teacher's ids are in (TorchScript does not
 *     say either): the corpus's, set by {@link #forCorpus}; null for every other kind
 */
public record TeacherSpec(String kind, String path, String contentHash, int contextLength, TokenizerIdentity tokenizer)
        implements Serializable {

    /** The kind of a TorchScript language-model teacher (as {@link TorchScriptLmTeacher}'s identity says). */
    public static final String TORCHSCRIPT_LM = "torchscript-lm";

    /** Requires all fields. */
    public TeacherSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(contentHash, "contentHash");
        if (contextLength < 0) {
            throw new IllegalArgumentException("illegal contextLength value: " + contextLength + ", must be >= 0");
        }
    }

    /** A teacher whose kind needs no declared context or tokenizer. */
    public TeacherSpec(String kind, String path, String contentHash) {
        this(kind, path, contentHash, 0, null);
    }

    /**
     * This teacher reading the corpus's ids: a TorchScript language model carries no tokenizer, so it
     * is declared to take the one the corpus is tokenized with ({@link LmRecipe} refuses a BPE that
     * only the run itself trains); every other kind is returned as it is.
     */
    public TeacherSpec forCorpus(TokenizerIdentity corpusTokenizer) {
        return kind.equals(TORCHSCRIPT_LM)
                ? new TeacherSpec(kind, path, contentHash, contextLength, corpusTokenizer)
                : this;
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
     * Resolves a language-model recipe's local teacher on the driver (hashing it, not loading it):
     * the saved model directory at {@code teacher.path}, a TorchScript file at {@code teacher.path}
     * (kind {@code torchscript-lm}: it must map (B, T) ids of the corpus's tokenizer to (B, T, V)
     * logits, and is declared to take the recipe's window and, by {@link #forCorpus}, that
     * tokenizer), or the model a previous {@code distill run} of the recipe
     * trained into {@code experimentOut/teacher}.
     *
     * @throws IOException if the teacher is missing; the message names the path
     * @throws IllegalArgumentException for an HTTP teacher (see {@link LmTopKJob}'s HTTP path)
     */
    public static TeacherSpec lm(LmRecipe recipe, Path experimentOut) throws IOException {
        LmRecipe.Model t = recipe.teacher();
        if (t.http() != null) {
            throw new IllegalArgumentException("the language-model teacher is reached over HTTP ("
                    + t.http().url() + "): not a local teacher");
        }
        Path dir = (t.path() != null ? t.path() : experimentOut.resolve("teacher"))
                .toAbsolutePath()
                .normalize();
        if (t.path() != null && Files.isRegularFile(dir)) {
            return new TeacherSpec(TORCHSCRIPT_LM, dir.toString(), Hashing.sha256(dir), recipe.context(), null);
        }
        if (!Files.isRegularFile(dir.resolve(LanguageModel.DESCRIPTOR))) {
            throw new IOException(
                    t.path() != null
                            ? "language-model teacher " + dir + " is neither a TorchScript file nor a directory with "
                                    + LanguageModel.DESCRIPTOR
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
        return switch (kind) {
            case LanguageModel.FORMAT -> LocalLmTeacher.load(Path.of(path));
            case TORCHSCRIPT_LM -> {
                if (tokenizer == null) {
                    throw new IOException("TorchScript language-model teacher " + path
                            + " has no tokenizer declared (TeacherSpec.forCorpus)");
                }
                yield TorchScriptLmTeacher.load(Path.of(path), tokenizer, contextLength);
            }
            default -> throw new IOException("teacher kind '" + kind + "' is not a language model");
        };
    }
}
