package org.distill4j.lm.model;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.token.TokenizerIdentity;

/**
 * A decoder-only language model with its architecture and tokenizer: a DJL {@link Model} whose
 * block is a {@link Decoder}.
 *
 * <p>On disk a directory with {@value #DESCRIPTOR} ({@code format: distill4j-lm}, version 1, the
 * {@link DecoderConfig} and the {@link TokenizerIdentity}), {@value #PARAMS} (DJL's parameter
 * format) and, for a trained tokenizer, its {@code tokenizer.json}; {@link #load} rebuilds the model
 * from these files alone. Each is written atomically. Runs on the PyTorch engine; close it.
 */
public final class LanguageModel implements AutoCloseable {

    /** File name of the descriptor. */
    public static final String DESCRIPTOR = "model.json";

    /** File name of the parameters (epoch 0 of model name "model"). */
    public static final String PARAMS = "model-0000.params";

    /** The descriptor's format name. */
    public static final String FORMAT = "distill4j-lm";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * What {@value #DESCRIPTOR} holds.
     *
     * @param format always {@value #FORMAT}
     * @param version format version, 1
     * @param decoder the architecture
     * @param tokenizer the tokenizer's identity
     */
    public record Descriptor(String format, int version, DecoderConfig decoder, TokenizerIdentity tokenizer) {}

    private final Model model;
    private final Descriptor descriptor;
    private final Tokenizer tokenizer;

    private LanguageModel(Model model, Descriptor descriptor, Tokenizer tokenizer) {
        this.model = model;
        this.descriptor = descriptor;
        this.tokenizer = tokenizer;
    }

    /**
     * Creates a model with freshly initialised parameters.
     *
     * @param config the architecture; its vocabulary must equal the tokenizer's
     * @param tokenizer the tokenizer
     * @param seed seeds the engine's random generator before initialisation, for reproducible weights
     */
    public static LanguageModel create(DecoderConfig config, Tokenizer tokenizer, long seed) {
        LanguageModel lm = build(config, tokenizer);
        Engine.getInstance().setRandomSeed((int) seed);
        lm.model.getBlock().initialize(lm.model.getNDManager(), DataType.FLOAT32, new Shape(1, config.contextLength()));
        return lm;
    }

    private static LanguageModel build(DecoderConfig config, Tokenizer tokenizer) {
        TokenizerIdentity id = tokenizer.identity();
        if (config.vocabSize() != id.vocabSize()) {
            throw new IllegalArgumentException("decoder vocab_size " + config.vocabSize() + " does not match tokenizer "
                    + id + "; use config.withVocabSize(" + id.vocabSize() + ")");
        }
        Model model = Model.newInstance("model", "PyTorch");
        model.setBlock(new Decoder(config));
        return new LanguageModel(model, new Descriptor(FORMAT, 1, config, id), tokenizer);
    }

    /**
     * Reads and checks the descriptor of a model saved by {@link #save} (architecture and tokenizer
     * identity) without loading its weights: what a caller that only needs the vocabulary or the
     * context (a Spark driver planning work for executors) reads.
     *
     * @throws IOException if {@code model.json} is missing or malformed; the message names it
     */
    public static Descriptor descriptor(Path dir) throws IOException {
        Path json = dir.resolve(DESCRIPTOR);
        if (!Files.isRegularFile(json)) {
            throw new FileNotFoundException("not a distill4j language model directory: " + json
                    + " is missing (it holds " + DESCRIPTOR + " and " + PARAMS + ")");
        }
        Descriptor d;
        try {
            d = JSON.readValue(json.toFile(), Descriptor.class);
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot read language-model descriptor " + json + ": " + e.getMessage(), e);
        }
        if (!FORMAT.equals(d.format()) || d.version() != 1 || d.decoder() == null || d.tokenizer() == null) {
            throw new IOException(json + ": format " + d.format() + " version " + d.version() + ", expected " + FORMAT
                    + " version 1 with decoder and tokenizer");
        }
        return d;
    }

    /**
     * Loads a model saved by {@link #save}.
     *
     * @throws IOException if a file is missing or malformed; the message names it
     */
    public static LanguageModel load(Path dir) throws IOException {
        Descriptor d = descriptor(dir);
        Path json = dir.resolve(DESCRIPTOR);
        LanguageModel lm;
        try {
            lm = build(d.decoder(), Tokenizer.load(d.tokenizer(), dir));
        } catch (IllegalArgumentException e) {
            throw new IOException(json + ": " + e.getMessage(), e);
        }
        try {
            lm.model.load(dir, "model", Map.of("epoch", "0"));
            lm.model
                    .getBlock()
                    .initialize(
                            lm.model.getNDManager(),
                            DataType.FLOAT32,
                            new Shape(1, d.decoder().contextLength()));
        } catch (MalformedModelException | IOException | RuntimeException e) {
            lm.close();
            throw new IOException("cannot load parameters " + dir.resolve(PARAMS) + ": " + e.getMessage(), e);
        }
        return lm;
    }

    /** Saves descriptor and parameters into {@code dir} (created if needed), each file atomically. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir, ".params-");
        try {
            model.setProperty("Epoch", "0");
            model.save(tmp, "model");
            AtomicFiles.moveAtomically(tmp.resolve(PARAMS), dir.resolve(PARAMS));
        } finally {
            try (var files = Files.list(tmp)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(tmp);
        }
        // The descriptor last: a directory whose descriptor exists is complete.
        tokenizer.writeTo(dir);
        AtomicFiles.write(dir.resolve(DESCRIPTOR), JSON.writeValueAsBytes(descriptor));
    }

    /** Returns the hex SHA-256 over a saved model directory's descriptor and parameters. */
    public static String contentHash(Path dir) throws IOException {
        return Hashing.sha256(Hashing.sha256(dir.resolve(DESCRIPTOR)) + Hashing.sha256(dir.resolve(PARAMS)));
    }

    /** Returns the DJL model (owned by this object). */
    public Model model() {
        return model;
    }

    /** Returns the decoder block. */
    public Decoder decoder() {
        return (Decoder) model.getBlock();
    }

    /** Returns the architecture. */
    public DecoderConfig config() {
        return descriptor.decoder();
    }

    /** Returns the tokenizer. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Returns the descriptor. */
    public Descriptor descriptor() {
        return descriptor;
    }

    /** Returns the number of parameters. */
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
     * Computes logits in inference mode (no dropout).
     *
     * @param ids (B, T) token ids, T &lt;= context length
     * @return (B, T, V) float32, attached to {@code ids}' manager
     */
    public NDArray logits(NDArray ids) {
        return decoder().forward(new ParameterStore(ids.getManager(), false), ids, null, false);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %s, %,d parameters", config(), tokenizer.identity(), parameterCount());
    }

    @Override
    public void close() {
        model.close();
    }
}
