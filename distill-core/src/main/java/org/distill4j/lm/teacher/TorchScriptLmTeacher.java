package org.distill4j.lm.teacher;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.io.Hashing;
import org.distill4j.lm.token.TokenizerIdentity;
import org.distill4j.teacher.TeacherIdentity;

/**
 * A TorchScript module ({@code .pt}) as a language-model teacher: it must take one int64 tensor of
 * token ids (B, T) and return logits (B, T, V) (the first output if it returns several), V being
 * the declared tokenizer's vocabulary. {@link #load} runs one probe forward pass and refuses a
 * module whose output has another shape, naming the file.
 */
public final class TorchScriptLmTeacher implements LmTeacher {

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;
    private final TokenizerIdentity tokenizer;
    private final int contextLength;
    private final TeacherIdentity identity;

    private TorchScriptLmTeacher(
            ZooModel<NDList, NDList> model, TokenizerIdentity tokenizer, int contextLength, TeacherIdentity identity) {
        this.model = model;
        this.predictor = model.newPredictor();
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        this.identity = identity;
    }

    /**
     * Loads and probes a TorchScript language model.
     *
     * @param file the {@code .pt} file
     * @param tokenizer the tokenizer its ids are in (TorchScript does not say)
     * @param contextLength the longest sequence it accepts, &gt;= 1
     * @throws IOException if the file is missing, not TorchScript, or its output is not (B, T, V)
     */
    public static TorchScriptLmTeacher load(Path file, TokenizerIdentity tokenizer, int contextLength)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new FileNotFoundException("TorchScript language-model teacher not found: " + file);
        }
        if (contextLength < 1) {
            throw new IllegalArgumentException("context length must be >= 1, got " + contextLength);
        }
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                // A directory and a name, not the file itself: DJL warns about a file ("non-archive").
                .optModelPath(file.toAbsolutePath().getParent())
                .optModelName(file.getFileName().toString())
                .optEngine("PyTorch")
                .optTranslator(new NoopTranslator())
                .build();
        ZooModel<NDList, NDList> model;
        try {
            model = criteria.loadModel();
        } catch (ModelNotFoundException | MalformedModelException | RuntimeException e) {
            throw new IOException("cannot load TorchScript teacher " + file + ": " + e.getMessage(), e);
        }
        TorchScriptLmTeacher teacher = new TorchScriptLmTeacher(
                model,
                tokenizer,
                contextLength,
                new TeacherIdentity(
                        "torchscript-lm",
                        file.toAbsolutePath().normalize().toString(),
                        Hashing.sha256(file),
                        "TorchScript " + file.getFileName() + " " + tokenizer));
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Shape got = teacher.logits(m.zeros(new Shape(2, 3), DataType.INT64)).getShape();
            Shape want = new Shape(2, 3, tokenizer.vocabSize());
            if (!got.equals(want)) {
                throw new IOException(file + ": for ids (2, 3) the module returned " + got + " vs expected " + want
                        + " (logits over the " + tokenizer + " vocabulary)");
            }
        } catch (IOException | RuntimeException e) {
            teacher.close();
            throw e instanceof IOException io
                    ? io
                    : new IOException(file + ": probe forward pass failed: " + e.getMessage(), e);
        }
        return teacher;
    }

    /** Returns the number of values in the module's parameters (its buffers not counted). */
    public long parameterCount() {
        long count = 0;
        for (var p : model.getBlock().getParameters().values()) {
            count += p.getArray().size();
        }
        return count;
    }

    @Override
    public NDArray logits(NDArray ids) {
        try {
            NDArray out = predictor
                    .predict(new NDList(ids.toType(DataType.INT64, false)))
                    .head();
            NDArray result = out.toType(DataType.FLOAT32, false).stopGradient();
            result.attach(ids.getManager());
            return result;
        } catch (TranslateException e) {
            throw new IllegalStateException(
                    "TorchScript teacher " + identity.location() + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public TokenizerIdentity tokenizer() {
        return tokenizer;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public TeacherIdentity identity() {
        return identity;
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }
}
