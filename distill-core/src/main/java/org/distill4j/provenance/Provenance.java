package org.distill4j.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;

/**
 * Writes, reads and verifies a model directory's {@value #FILE_NAME}.
 *
 * <p>The manifest records the SHA-256 of the directory's <em>top-level regular files</em>:
 * sub-directories (such as {@code checkpoints/}) are not descended into, and symbolic links,
 * {@value #FILE_NAME} itself, the signature {@code model.sig} and names starting with '.' (hidden
 * files and {@link AtomicFiles} temporaries) are skipped. This detects accidental change only:
 * anyone can rewrite the manifest; {@link org.distill4j.provenance.signing.ModelSigner} signs every
 * file, recursively, against deliberate change. Write everything else first — the model, {@code training.json}, the
 * model card — and the manifest last, so that it covers them.
 *
 * <p>JSON keys are snake_case; unknown keys are ignored on reading so that later minor additions
 * do not break older readers, while a different {@code format} or {@code version} is refused.
 */
public final class Provenance {

    /** The manifest's file name inside a model directory. */
    public static final String FILE_NAME = "provenance.json";
    /**
     * File name of a model directory's signature ({@code provenance.signing.ModelSigner}); the
     * manifest does not hash it, since it is written after the manifest and covers it.
     */
    public static final String SIGNATURE_FILE_NAME = "model.sig";

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Provenance() {}

    /**
     * Hashes the directory's files and writes the manifest atomically.
     *
     * @param modelDir an existing model directory
     * @param withoutFiles the manifest; its {@code files} are ignored and replaced
     * @return the manifest as written, with {@code files} filled in
     * @throws NoSuchFileException if {@code modelDir} is not a directory
     */
    public static ProvenanceManifest write(Path modelDir, ProvenanceManifest withoutFiles) throws IOException {
        requireDirectory(modelDir);
        ProvenanceManifest manifest = withoutFiles.withFiles(hashFiles(modelDir));
        byte[] bytes = (JSON.writeValueAsString(manifest) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // Serialised up front: Jackson closes the stream it writes to, and AtomicFiles must force it afterwards.
        AtomicFiles.write(modelDir.resolve(FILE_NAME), bytes);
        return manifest;
    }

    /**
     * Reads a model directory's manifest.
     *
     * @throws ProvenanceException if the manifest is missing, not valid JSON, or not a valid
     *     distill4j provenance manifest; the message names the file
     */
    public static ProvenanceManifest read(Path modelDir) throws IOException {
        Path file = modelDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new ProvenanceException("no provenance manifest: " + file.toAbsolutePath()
                    + " does not exist (was the model saved by distill4j with provenance?)");
        }
        try {
            ProvenanceManifest manifest = JSON.readValue(file.toFile(), ProvenanceManifest.class);
            if (manifest == null) {
                throw new ProvenanceException(
                        "malformed provenance manifest " + file.toAbsolutePath() + ": it is empty");
            }
            return manifest;
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ProvenanceException(
                    "invalid provenance manifest " + file.toAbsolutePath() + ": " + cause.getMessage(), e);
        } catch (JsonProcessingException e) {
            throw new ProvenanceException(
                    "malformed provenance manifest " + file.toAbsolutePath() + ": " + e.getOriginalMessage()
                            + locationOf(e),
                    e);
        }
    }

    /**
     * Compares a model directory's files with its manifest.
     *
     * @return what changed; {@link VerificationReport#ok()} when nothing did
     * @throws ProvenanceException if the manifest is missing or malformed
     */
    public static VerificationReport verify(Path modelDir) throws IOException {
        ProvenanceManifest manifest = read(modelDir);
        Map<String, String> expected = manifest.files();
        SortedMap<String, String> actual = hashFiles(modelDir);
        List<VerificationReport.ChangedFile> changed = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> unrecorded = new ArrayList<>();
        expected.forEach((name, hash) -> {
            String now = actual.get(name);
            if (now == null) {
                missing.add(name);
            } else if (!now.equalsIgnoreCase(hash)) {
                changed.add(new VerificationReport.ChangedFile(name, hash, now));
            }
        });
        actual.keySet().stream().filter(name -> !expected.containsKey(name)).forEach(unrecorded::add);
        return new VerificationReport(modelDir, expected.size(), changed, missing, unrecorded);
    }

    /**
     * Returns the SHA-256 of every file the manifest covers, by file name, sorted.
     *
     * @param modelDir an existing directory
     */
    public static SortedMap<String, String> hashFiles(Path modelDir) throws IOException {
        requireDirectory(modelDir);
        SortedMap<String, String> hashes = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(modelDir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isCovered(name) && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    hashes.put(name, Hashing.sha256(entry));
                }
            }
        }
        return hashes;
    }

    private static boolean isCovered(String name) {
        // The signature (ModelSigner) is written after the manifest and covers it; it cannot be in it.
        return !name.equals(FILE_NAME) && !name.equals(SIGNATURE_FILE_NAME) && !name.startsWith(".");
    }

    private static void requireDirectory(Path modelDir) throws NoSuchFileException {
        if (!Files.isDirectory(modelDir)) {
            throw new NoSuchFileException(modelDir.toAbsolutePath().toString(), null, "not a model directory");
        }
    }

    private static String locationOf(JsonProcessingException e) {
        var loc = e.getLocation();
        return loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }
}
