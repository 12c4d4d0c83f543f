package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.lm.model.LanguageModel;

/**
 * A saved distill4j language model ({@code org.distill4j.lm}) that {@link ModelServer} serves on
 * {@code /v1/completions} and {@code /v1/chat/completions}: a name, a version (the content hash of
 * {@code model.json} and the parameters) and the loaded {@link LanguageModel}. Only the byte-level
 * tokenizer is served (its tokens map one-to-one to bytes, which the OpenAI {@code bytes} field and
 * the {@code bytes:\xNN} token strings describe). The server closes the models it serves.
 */
public final class ServedLanguageModel implements AutoCloseable {

    private final String name;
    private final String contentHash;
    private final LanguageModel lm;

    private ServedLanguageModel(String name, String contentHash, LanguageModel lm) {
        this.name = ServedModel.checkName(name);
        this.contentHash = contentHash;
        this.lm = lm;
    }

    /**
     * Whether {@code dir} holds a distill4j language model: a {@code model.json} whose {@code
     * format} is {@value LanguageModel#FORMAT}. False for classifier directories and unreadable files.
     */
    public static boolean isLanguageModel(Path dir) {
        Path json = dir.resolve(LanguageModel.DESCRIPTOR);
        if (!Files.isRegularFile(json)) {
            return false;
        }
        try {
            JsonNode d = ModelServer.JSON.readTree(json.toFile());
            return d != null && LanguageModel.FORMAT.equals(d.path("format").asText());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Loads the language model saved in {@code dir}.
     *
     * @throws IOException if files are missing or malformed (the message names them)
     */
    public static ServedLanguageModel load(String name, Path dir) throws IOException {
        ServedModel.checkName(name);
        String hash = LanguageModel.contentHash(dir);
        LanguageModel lm = LanguageModel.load(dir);
        return new ServedLanguageModel(name, hash, lm);
    }

    /** Name in requests' {@code model} field. */
    public String name() {
        return name;
    }

    /** Hex SHA-256 over descriptor and parameters. */
    public String contentHash() {
        return contentHash;
    }

    /** First {@value ModelServer#VERSION_CHARS} hex digits of the content hash ({@code system_fingerprint}). */
    public String version() {
        return contentHash.substring(0, ModelServer.VERSION_CHARS);
    }

    /** The model (owned by this object). */
    public LanguageModel lm() {
        return lm;
    }

    /** One line for logs and startup output. */
    public String describe() {
        return "language model " + lm;
    }

    @Override
    public void close() {
        lm.close();
    }
}
