package org.distill4j.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Directories that distill4j creates and may later delete (checkpoints), proven by a marker file
 * {@value #MARKER} written when the directory is created. A directory without the marker was made
 * by someone else: it is never deleted, and never written into unless it is empty. The marker holds
 * one line, a label chosen by the creator (e.g. the fingerprint of the configuration whose
 * checkpoints the directory holds), so a later run can tell whether the content is its own.
 */
public final class OwnedDirectory {

    /** The marker file's name. */
    public static final String MARKER = ".distill4j-owned";

    private OwnedDirectory() {}

    /**
     * Makes {@code dir} owned with {@code label}: creates it with the marker when it is missing,
     * adopts it when it is empty, rewrites the label when it is already owned.
     *
     * @throws IOException if {@code dir} exists, is not empty and has no marker (naming it), or is
     *     not a directory
     */
    public static void claim(Path dir, String label) throws IOException {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            requireOwnedOrEmpty(dir);
        }
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(MARKER), label + "\n");
    }

    /** Returns whether {@code dir} is a directory holding the marker (a symbolic link never is). */
    public static boolean isOwned(Path dir) {
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                && Files.isRegularFile(dir.resolve(MARKER), LinkOption.NOFOLLOW_LINKS);
    }

    /** Returns the label in the marker of {@code dir}, or null when it is not owned. */
    public static String label(Path dir) throws IOException {
        if (!isOwned(dir)) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(dir.resolve(MARKER));
        return new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.UTF_8).strip();
    }

    /**
     * Checks that {@code dir} may be written into: missing, empty or owned.
     *
     * @throws IOException naming {@code dir} and what to do otherwise
     */
    public static void requireOwnedOrEmpty(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS) || isOwned(dir)) {
            return;
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " exists and is not a directory (or is a symbolic link), expected a "
                    + "directory created by distill4j; move it away or choose another --out");
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) {
                throw new IOException(dir + " exists and was not created by distill4j (it has no " + MARKER
                        + " marker), so distill4j will neither write into nor delete it; move it away or choose "
                        + "another --out");
            }
        }
    }

    /**
     * Deletes {@code dir} and everything in it, if distill4j created it; does nothing when it is
     * missing. Symbolic links inside are deleted, never followed.
     *
     * An empty directory without the marker is left as it is.
     *
     * @throws IOException if it exists without the marker and is not empty (nothing is deleted), or
     *     cannot be deleted
     */
    public static void delete(Path dir) throws IOException {
        requireOwnedOrEmpty(dir);
        if (isOwned(dir)) {
            deleteTree(dir);
        }
    }

    /**
     * Deletes a tree without following symbolic links; for trees inside an owned directory only.
     */
    public static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
