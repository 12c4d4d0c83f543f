package org.distill4j.model;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.io.Snippets;
import java.util.List;
import java.util.Map;
import org.distill4j.data.TextFeatures;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;

/**
 * A classifier together with its declared architecture: a DJL {@link Model} whose block is built
 * from a {@link ModelSpec}.
 *
 * <p>On disk a saved model is a directory holding {@value #DESCRIPTOR} (architecture, input
 * shape, classes) and {@value #PARAMS} (the parameters in DJL's own format, loadable with {@code
 * Model.load(dir, "model")} once the same block is set). Both files are written atomically. The
 * model runs on the PyTorch engine and must be closed.
 */
public final class SavedModel implements AutoCloseable {

    /** File name of the architecture descriptor. */
    public static final String DESCRIPTOR = "model.json";

    /** File name of the parameters, in DJL's format (epoch 0 of model name "model"). */
    public static final String PARAMS = "model-0000.params";

    static final String ENGINE = "PyTorch";
    private static final String FORMAT = "distill4j-model";
    private static final ObjectMapper JSON =
            new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Model model;
    private final Descriptor descriptor;

    private SavedModel(Model model, Descriptor descriptor) {
        this.model = model;
        this.descriptor = descriptor;
    }

    /**
     * What {@value #DESCRIPTOR} holds.
     *
     * @param format always {@code distill4j-model}
     * @param version format version, 1
     * @param architecture the architecture
     * @param featureShape shape of one input row
     * @param classNames class names in id order
     * @param textFeatures for models of text: how a text becomes the input row (absent otherwise)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Descriptor(
            String format,
            int version,
            ModelSpec architecture,
            @JsonProperty("feature_shape") long[] featureShape,
            @JsonProperty("class_names") List<String> classNames,
            @JsonProperty("text_features") TextFeatures textFeatures) {}

    /**
     * Creates a new, untrained model; its parameters are initialised by the trainer.
     *
     * @param spec the architecture
     * @param featureShape shape of one input row
     * @param classNames class names in id order, at least 2
     */
    public static SavedModel create(ModelSpec spec, long[] featureShape, List<String> classNames) {
        return create(spec, featureShape, classNames, null);
    }

    /**
     * Creates a new, untrained model of text, whose input rows are {@code textFeatures} of a text.
     *
     * @param spec the architecture
     * @param featureShape shape of one input row ({@code [textFeatures.maxFeatures()]} for text)
     * @param classNames class names in id order, at least 2
     * @param textFeatures how a text becomes an input row, or null for a model of dense features
     */
    public static SavedModel create(ModelSpec spec, long[] featureShape, List<String> classNames,
            TextFeatures textFeatures) {
        if (classNames.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classNames);
        }
        // Refused before any parameter exists: a model.json or recipe declaring billions of
        // parameters must not grow until the system kills the JVM.
        MemoryEstimate estimate = MemoryEstimate.of(spec, featureShape, classNames.size(), 1);
        estimate.require(estimate.parameterBytes(), MemoryEstimate.limit(), spec.describe());
        Descriptor d = new Descriptor(FORMAT, 1, spec, featureShape.clone(), List.copyOf(classNames),
                textFeatures);
        Model model = Model.newInstance("model", ENGINE);
        model.setBlock(spec.build(featureShape, classNames.size()));
        return new SavedModel(model, d);
    }

    /**
     * Loads a model saved by {@link #save(Path)}.
     *
     * @param dir the model directory
     * @throws IOException if a file is missing or malformed; the message names it
     */
    public static SavedModel load(Path dir) throws IOException {
        Path json = dir.resolve(DESCRIPTOR);
        if (!Files.isRegularFile(json)) {
            throw new java.io.FileNotFoundException(
                    "not a distill4j model directory: " + json + " is missing (a model directory "
                            + "holds " + DESCRIPTOR + " and " + PARAMS + ", as written by distill4j)");
        }
        Descriptor d;
        try {
            d = JSON.readValue(json.toFile(), Descriptor.class);
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot read model descriptor " + json + ": " + e.getMessage(), e);
        }
        if (!FORMAT.equals(d.format()) || d.version() != 1) {
            throw new IOException(
                    json + ": format " + d.format() + " version " + d.version()
                            + ", expected " + FORMAT + " version 1");
        }
        SavedModel saved = create(d.architecture(), d.featureShape(), d.classNames(), d.textFeatures());
        try {
            saved.model.load(dir, "model", Map.of("epoch", "0"));
        } catch (MalformedModelException | IOException | RuntimeException e) {
            saved.close();
            // DJL reports a short file as an EOFException with no message ("null"): say what it means.
            String why = e.getMessage() == null || e instanceof java.io.EOFException
                    ? "the file ends early (" + e.getClass().getSimpleName() + ")" : e.getMessage();
            throw new IOException("cannot load parameters " + dir.resolve(PARAMS) + ": truncated or corrupt, "
                    + Snippets.clip(why, 200) + "; expected the complete " + PARAMS + " written with this "
                    + DESCRIPTOR, e);
        }
        // Parameters loaded into an uninitialised block still need their shapes propagated.
        saved.model.getBlock().initialize(saved.model.getNDManager(), saved.model.getDataType(), saved.inputShape(1));
        return saved;
    }

    /**
     * Saves the descriptor and parameters into {@code dir}, each file atomically.
     *
     * @param dir the model directory, created if needed
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        saveParametersTo(dir, 0);
        AtomicFiles.write(dir.resolve(DESCRIPTOR), JSON.writeValueAsBytes(descriptor));
    }

    /**
     * Writes {@code model-NNNN.params} atomically into {@code dir} (DJL writes in place, so via a
     * temporary directory); used for checkpoints.
     */
    public void saveParametersTo(Path dir, int epoch) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir, ".params-");
        try {
            model.setProperty("Epoch", Integer.toString(epoch));
            model.save(tmp, "model");
            String name = String.format(java.util.Locale.ROOT, "model-%04d.params", epoch);
            AtomicFiles.moveAtomically(tmp.resolve(name), dir.resolve(name));
        } finally {
            try (var files = Files.list(tmp)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(tmp);
        }
    }

    /** Loads {@code model-NNNN.params} from {@code dir} into this model's block; used for checkpoints. */
    public void loadParametersFrom(Path dir, int epoch) throws IOException {
        try {
            model.load(dir, "model", Map.of("epoch", Integer.toString(epoch)));
        } catch (MalformedModelException e) {
            throw new IOException("malformed parameters in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Returns the underlying DJL model (owned by this object; do not close it separately). */
    public Model model() {
        return model;
    }

    /** Returns the descriptor saved with the model. */
    public Descriptor descriptor() {
        return descriptor;
    }

    /** Returns the architecture. */
    public ModelSpec spec() {
        return descriptor.architecture();
    }

    /** Returns the number of classes (logits per row). */
    public int numClasses() {
        return descriptor.classNames().size();
    }

    /** Returns the input shape for a batch of {@code batch} rows. */
    public Shape inputShape(long batch) {
        long[] fs = descriptor.featureShape();
        long[] dims = new long[fs.length + 1];
        dims[0] = batch;
        System.arraycopy(fs, 0, dims, 1, fs.length);
        return new Shape(dims);
    }

    /** Returns the number of trainable parameters (the block must be initialised). */
    public long parameterCount() {
        long n = 0;
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            if (p.getValue().isInitialized()) {
                n += p.getValue().getArray().size();
            }
        }
        return n;
    }

    /**
     * Computes logits in inference mode (dropout off, batch-norm running statistics).
     *
     * @param inputs float32, shape (B, featureShape...)
     * @return logits (B, numClasses), attached to {@code inputs}' manager
     */
    public NDArray logits(NDArray inputs) {
        Block block = model.getBlock();
        ParameterStore ps = new ParameterStore(inputs.getManager(), false);
        return block.forward(ps, new NDList(inputs), false).singletonOrThrow();
    }

    /** Returns the hex SHA-256 identifying a saved model directory's content. */
    public static String contentHash(Path dir) throws IOException {
        return Hashing.sha256(Hashing.sha256(dir.resolve(DESCRIPTOR)) + Hashing.sha256(dir.resolve(PARAMS)));
    }

    @Override
    public void close() {
        model.close();
    }
}
