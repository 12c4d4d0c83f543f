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
import java.util.List;
import java.util.Map;
import org.distill4j.data.TextFeatures;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;
import org.distill4j.io.Snippets;

/**
 * A classifier: a DJL {@link Model} whose block is any DJL {@link Block} mapping float32 inputs
 * (B, featureShape...) to logits (B, classes), with its input shape and class names. The block is
 * built from a declared {@link ModelSpec} (the built-in architectures, reloadable with no code) or
 * supplied by the user ({@link Builder#setBlock}; reloadable when the user supplies the same block
 * again, {@link #load(Path, Block)}).
 *
 * <p>On disk a saved model is a directory holding {@value #DESCRIPTOR} (architecture or custom
 * block class, input shape, classes, engine) and {@value #PARAMS} (the parameters in DJL's own
 * format, loadable with {@code Model.load(dir, "model")} once the same block is set). Both files
 * are written atomically; {@code org.distill4j.provenance.ModelWriter} also writes the model card
 * and {@code provenance.json}. The model runs on the engine it was created for (PyTorch by default)
 * and must be closed.
 */
public final class SavedModel implements AutoCloseable {

    /** File name of the architecture descriptor. */
    public static final String DESCRIPTOR = "model.json";

    /** File name of the parameters, in DJL's format (epoch 0 of model name "model"). */
    public static final String PARAMS = "model-0000.params";

    /** The engine a model runs on unless another is asked for. */
    public static final String DEFAULT_ENGINE = "PyTorch";

    private static final String FORMAT = "distill4j-model";
    private static final ObjectMapper JSON = new ObjectMapper()
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
     * @param architecture the built-in architecture, or null for a user-supplied block
     * @param featureShape shape of one input row
     * @param classNames class names in id order
     * @param textFeatures for models of text: how a text becomes the input row (absent otherwise)
     * @param customBlock for a user-supplied block: its class name, which {@link #load(Path, Block)}
     *     checks (absent for built-in architectures)
     * @param engine the DJL engine the model was made with (absent means PyTorch)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Descriptor(
            String format,
            int version,
            ModelSpec architecture,
            @JsonProperty("feature_shape") long[] featureShape,
            @JsonProperty("class_names") List<String> classNames,
            @JsonProperty("text_features") TextFeatures textFeatures,
            @JsonProperty("custom_block") String customBlock,
            String engine) {}

    /** Starts a builder for a new, untrained model (parameters are initialised by the trainer). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates a new, untrained model; its parameters are initialised by the trainer.
     *
     * @param spec the architecture
     * @param featureShape shape of one input row
     * @param classNames class names in id order, at least 2
     */
    public static SavedModel create(ModelSpec spec, long[] featureShape, List<String> classNames) {
        return builder()
                .setSpec(spec)
                .setFeatureShape(featureShape)
                .setClassNames(classNames)
                .build();
    }

    /**
     * Creates a new, untrained model of text, whose input rows are {@code textFeatures} of a text.
     *
     * @param spec the architecture
     * @param featureShape shape of one input row ({@code [textFeatures.maxFeatures()]} for text)
     * @param classNames class names in id order, at least 2
     * @param textFeatures how a text becomes an input row, or null for a model of dense features
     */
    public static SavedModel create(
            ModelSpec spec, long[] featureShape, List<String> classNames, TextFeatures textFeatures) {
        return builder()
                .setSpec(spec)
                .setFeatureShape(featureShape)
                .setClassNames(classNames)
                .optTextFeatures(textFeatures)
                .build();
    }

    /**
     * Creates a new, untrained model around any DJL block (the block is owned by the model from
     * here on).
     *
     * @param block maps float32 (B, featureShape...) to logits (B, classNames.size())
     * @param featureShape shape of one input row
     * @param classNames class names in id order, at least 2
     */
    public static SavedModel of(Block block, long[] featureShape, List<String> classNames) {
        return builder()
                .setBlock(block)
                .setFeatureShape(featureShape)
                .setClassNames(classNames)
                .build();
    }

    private static SavedModel create(Descriptor d, Block block) {
        if (block == null) {
            // Refused before any parameter exists: a model.json or recipe declaring billions of
            // parameters must not grow until the system kills the JVM.
            MemoryEstimate estimate = MemoryEstimate.of(
                    d.architecture(), d.featureShape(), d.classNames().size(), 1);
            estimate.require(
                    estimate.parameterBytes(),
                    MemoryEstimate.limit(),
                    d.architecture().describe());
        }
        Model model = Model.newInstance("model", d.engine() == null ? DEFAULT_ENGINE : d.engine());
        model.setBlock(
                block != null
                        ? block
                        : d.architecture()
                                .build(d.featureShape(), d.classNames().size()));
        return new SavedModel(model, d);
    }

    /**
     * Reads and checks the descriptor of a model saved by {@link #save(Path)} (architecture, input
     * shape, class names) without starting an engine or loading its parameters.
     *
     * @param dir the model directory
     * @throws IOException if {@code model.json} is missing, malformed or of another format; the
     *     message names it
     */
    public static Descriptor descriptor(Path dir) throws IOException {
        Path json = dir.resolve(DESCRIPTOR);
        if (!Files.isRegularFile(json)) {
            throw new java.io.FileNotFoundException(
                    "not a distill4j model directory: " + json + " is missing (a model directory " + "holds "
                            + DESCRIPTOR + " and " + PARAMS + ", as written by distill4j)");
        }
        Descriptor d;
        try {
            d = JSON.readValue(json.toFile(), Descriptor.class);
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot read model descriptor " + json + ": " + e.getMessage(), e);
        }
        if (!FORMAT.equals(d.format()) || d.version() != 1) {
            throw new IOException(json + ": format " + d.format() + " version " + d.version() + ", expected " + FORMAT
                    + " version 1");
        }
        return d;
    }

    /**
     * Loads a model saved by {@link #save(Path)}.
     *
     * @param dir the model directory
     * @throws IOException if a file is missing or malformed; the message names it
     */
    public static SavedModel load(Path dir) throws IOException {
        return load(dir, null);
    }

    /**
     * Loads a model saved by {@link #save(Path)} whose block the caller supplies: needed for a
     * model made around a user's own block ({@link #of}), whose code distill4j cannot rebuild.
     *
     * @param dir the model directory
     * @param block a fresh block of the same class and structure as the saved one, or null for a
     *     built-in architecture
     * @throws IOException if a file is missing or malformed, or the block does not match; the
     *     message names the file
     */
    public static SavedModel load(Path dir, Block block) throws IOException {
        Descriptor d = descriptor(dir);
        Path json = dir.resolve(DESCRIPTOR);
        if (block == null && d.architecture() == null) {
            throw new IOException(json + ": the model was made around a custom block (" + d.customBlock()
                    + "); load it with SavedModel.load(dir, block), passing a fresh block of that class");
        }
        if (block != null
                && d.customBlock() != null
                && !d.customBlock().equals(block.getClass().getName())) {
            throw new IOException(json + ": the model was saved with a block of class " + d.customBlock() + ", not "
                    + block.getClass().getName());
        }
        SavedModel saved = create(d, block);
        try {
            saved.model.load(dir, "model", Map.of("epoch", "0"));
        } catch (MalformedModelException | IOException | RuntimeException e) {
            saved.close();
            // DJL reports a short file as an EOFException with no message ("null"): say what it means.
            String why = e.getMessage() == null || e instanceof java.io.EOFException
                    ? "the file ends early (" + e.getClass().getSimpleName() + ")"
                    : e.getMessage();
            throw new IOException(
                    "cannot load parameters " + dir.resolve(PARAMS) + ": truncated or corrupt, "
                            + Snippets.clip(why, 200) + "; expected the complete " + PARAMS + " written with this "
                            + DESCRIPTOR,
                    e);
        }
        // Parameters loaded into an uninitialised block still need their shapes propagated.
        saved.model.getBlock().initialize(saved.model.getNDManager(), saved.model.getDataType(), saved.inputShape(1));
        OneDnnIsa.warnIfExposed(saved.model.getBlock());
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

    /** Returns the built-in architecture, or null for a model made around a user's own block. */
    public ModelSpec spec() {
        return descriptor.architecture();
    }

    /** Returns the architecture in words (the spec's, or the custom block's class name). */
    public String describe() {
        return descriptor.architecture() != null
                ? descriptor.architecture().describe()
                : "custom block " + descriptor.customBlock();
    }

    /**
     * Returns a stable description of the architecture for fingerprints: the spec, or the custom
     * block's class and structure as DJL prints it.
     */
    public String architectureKey() {
        return descriptor.architecture() != null
                ? descriptor.architecture().toString()
                : descriptor.customBlock() + ":" + model.getBlock();
    }

    /** Returns the name of the DJL engine the model runs on. */
    public String engine() {
        return model.getNDManager().getEngine().getEngineName();
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

    /**
     * Builds a new, untrained model: {@code setSpec} (a built-in architecture) or {@code setBlock}
     * (any DJL block), {@code setFeatureShape} and {@code setClassNames} are required.
     */
    public static final class Builder {
        private ModelSpec spec;
        private Block block;
        private long[] featureShape;
        private List<String> classNames;
        private TextFeatures textFeatures;
        private String engine = DEFAULT_ENGINE;

        private Builder() {}

        /** Sets a built-in architecture, declared as data (reloads with no code). */
        public Builder setSpec(ModelSpec value) {
            this.spec = value;
            return this;
        }

        /**
         * Sets any DJL block as the classifier: float32 (B, featureShape...) to logits (B, C). The
         * block is owned by the model. Reload it with {@link SavedModel#load(Path, Block)}.
         */
        public Builder setBlock(Block value) {
            this.block = value;
            return this;
        }

        /** Sets the shape of one input row, e.g. {@code [1, 28, 28]}. */
        public Builder setFeatureShape(long[] value) {
            this.featureShape = value.clone();
            return this;
        }

        /** Sets the class names in id order, at least 2. */
        public Builder setClassNames(List<String> value) {
            this.classNames = List.copyOf(value);
            return this;
        }

        /** Sets how a text becomes an input row, for models of text (default none). */
        public Builder optTextFeatures(TextFeatures value) {
            this.textFeatures = value;
            return this;
        }

        /** Sets the DJL engine by name (default PyTorch); its library must be on the class path. */
        public Builder optEngine(String value) {
            this.engine = java.util.Objects.requireNonNull(value, "engine");
            return this;
        }

        /**
         * Builds the model.
         *
         * @throws IllegalArgumentException if a required value is missing, both or neither of spec
         *     and block are set, or there are fewer than 2 classes
         */
        public SavedModel build() {
            if ((spec == null) == (block == null)) {
                throw new IllegalArgumentException(
                        "set exactly one of spec (a built-in architecture) and block " + "(a DJL block of your own)");
            }
            if (featureShape == null || classNames == null) {
                throw new IllegalArgumentException("featureShape and classNames are required");
            }
            if (classNames.size() < 2) {
                throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classNames);
            }
            Descriptor d = new Descriptor(
                    FORMAT,
                    1,
                    spec,
                    featureShape.clone(),
                    classNames,
                    textFeatures,
                    block == null ? null : block.getClass().getName(),
                    engine.equals(DEFAULT_ENGINE) ? null : engine);
            return create(d, block);
        }
    }
}
