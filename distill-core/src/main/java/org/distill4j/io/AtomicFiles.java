package org.distill4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so that a reader never sees a partial one: the content goes to a temporary file in
 * the same directory, is forced to disk, then renamed over the target in one atomic step. A crash
 * leaves either the old file or the new one, plus at worst a {@code .tmp} file that no reader
 * takes for a result.
 */
public final class AtomicFiles {

    private AtomicFiles() {}

    /** Something that writes a file's content to a stream. */
    @FunctionalInterface
    public interface Writer {
        /** Writes the content. */
        void write(OutputStream out) throws IOException;
    }

    /** Atomically replaces {@code target} with {@code bytes}. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Atomically replaces {@code target} with UTF-8 {@code text}. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Atomically replaces {@code target} with what {@code writer} writes. */
    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    OutputStream out =
                            new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
            // createTempFile makes owner-only files; results are meant to be shared like any output.
            try {
                Files.setPosixFilePermissions(
                        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: keep its defaults.
            }
            moveAtomically(tmp, target);
        } catch (IOException e) {
            // The OS reports a full disk as "No space left on device", with no path: name the file.
            // Typed exceptions (subclasses) already say what they mean and pass through unchanged.
            String msg = String.valueOf(e.getMessage());
            if (e.getClass() != IOException.class || msg.contains(target.toString())) {
                throw e;
            }
            throw new IOException(target + ": cannot write (" + msg + ")", e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Renames {@code source} over {@code target} atomically (both in the same directory). */
    public static void moveAtomically(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
