package org.distill4j.guard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.distill4j.io.AtomicFiles;

/**
 * Reading and writing watermark key files (JSON holding a secret): written atomically and
 * owner-readable only where the file system allows; read with errors that name the file and
 * field but never quote the content, since Jackson's messages may.
 */
final class KeyFiles {

    private KeyFiles() {}

    /**
     * Reads a key file of the given format.
     *
     * @throws IOException if it is missing, not JSON or of another format; the message names the file
     */
    static JsonNode read(Path file, String format) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new FileNotFoundException("watermark key file not found: " + file);
        }
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("watermark key file " + file + " is not valid JSON (content not shown)");
        }
        if (n == null || !format.equals(n.path("format").asText())) {
            throw new IOException("watermark key file " + file + ": field format must be '" + format + "'");
        }
        return n;
    }

    /** Writes a key file atomically, owner-readable only where supported. */
    static void write(Path file, ObjectNode n) throws IOException {
        AtomicFiles.write(file, n.toPrettyString().getBytes(StandardCharsets.UTF_8));
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the caller protects the file.
        }
    }
}
