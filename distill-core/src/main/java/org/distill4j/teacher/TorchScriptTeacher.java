package org.distill4j.teacher;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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

/**
 * A teacher loaded from a TorchScript file ({@code torch.jit.trace} or {@code torch.jit.script}
 * output, {@code .pt}) through DJL's PyTorch engine. The module must take one float32 tensor of
 * shape (B, featureShape...) and return logits (B, C).
 */
public final class TorchScriptTeacher implements Teacher {

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;
    private final TeacherIdentity identity;

    private TorchScriptTeacher(ZooModel<NDList, NDList> model, TeacherIdentity identity) {
        this.model = model;
        this.predictor = model.newPredictor();
        this.identity = identity;
    }

    /**
     * Loads a TorchScript file.
     *
     * @param file the {@code .pt} file
     * @throws IOException if it is missing or not TorchScript; the message names the file
     */
    public static TorchScriptTeacher load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new FileNotFoundException("TorchScript teacher file not found: " + file);
        }
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                // A directory and a name, not the file itself: DJL warns about a file ("non-archive").
                .optModelPath(file.toAbsolutePath().getParent())
                .optModelName(file.getFileName().toString())
                .optEngine("PyTorch")
                .optTranslator(new NoopTranslator())
                .build();
        try {
            ZooModel<NDList, NDList> model = criteria.loadModel();
            String hash = Hashing.sha256(file);
            return new TorchScriptTeacher(
                    model,
                    new TeacherIdentity(
                            "torchscript",
                            file.toAbsolutePath().normalize().toString(),
                            hash,
                            "TorchScript " + file.getFileName()));
        } catch (ModelNotFoundException | MalformedModelException | RuntimeException e) {
            throw new IOException("cannot load TorchScript teacher " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public TeacherIdentity identity() {
        return identity;
    }

    @Override
    public NDArray logits(NDArray inputs) {
        try {
            NDArray out = predictor.predict(new NDList(inputs)).head();
            // The Noop translator leaves outputs on the model's manager; move them to the caller's.
            NDArray result = out.stopGradient();
            result.attach(inputs.getManager());
            return result;
        } catch (TranslateException e) {
            throw new IllegalStateException(
                    "TorchScript teacher " + identity.location() + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }
}
