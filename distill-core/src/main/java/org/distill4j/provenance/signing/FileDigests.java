package org.distill4j.provenance.signing;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.distill4j.io.Hashing;

/**
 * The SHA-256 of every regular file under a model directory, recursively, hidden files and
 * sub-directories included, keyed by the path relative to the directory with '/' separators and
 * ordered as {@code model_signing} orders them (component by component). Symbolic links are never
 * followed: they and special files (sockets, pipes, devices) are listed in {@code refused}, which
 * signing and verification both treat as an error. Immutable.
 *
 * @param modelName the directory's name (informative only; renaming a model keeps it valid)
 * @param files relative path to lower-case hex SHA-256
 * @param ignorePaths relative paths left out, each with everything below it
 * @param refused relative paths of symbolic links and special files found, with why
 */
public record FileDigests(
        String modelName,
        SortedMap<String, String> files,
        List<String> ignorePaths,
        SortedMap<String, String> refused) {

    /** Orders paths as Python's {@code PurePosixPath} does: by components, each by code point. */
    public static final Comparator<String> PATH_ORDER = (a, b) -> {
        String[] x = a.split("/", -1);
        String[] y = b.split("/", -1);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = compareCodePoints(x[i], y[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    };

    /** Makes defensive, ordered copies. */
    public FileDigests {
        Objects.requireNonNull(modelName, "modelName");
        TreeMap<String, String> f = new TreeMap<>(PATH_ORDER);
        f.putAll(files);
        files = Collections.unmodifiableSortedMap(f);
        ignorePaths = List.copyOf(ignorePaths);
        TreeMap<String, String> r = new TreeMap<>(PATH_ORDER);
        r.putAll(refused);
        refused = Collections.unmodifiableSortedMap(r);
    }

    /**
     * Hashes every file under {@code dir} except {@code ignorePaths}.
     *
     * @param dir the model directory; a symbolic link to a directory is resolved here, once
     * @param ignorePaths paths relative to {@code dir} ('/'-separated) to leave out with
     *     everything below them; normally just the signature file
     * @throws NoSuchFileException if {@code dir} is not a directory
     */
    public static FileDigests scan(Path dir, Collection<String> ignorePaths) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "not a model directory");
        }
        Path root = dir.toRealPath();
        List<String> ignored =
                ignorePaths.stream().map(FileDigests::normalize).distinct().toList();
        SortedMap<String, String> files = new TreeMap<>(PATH_ORDER);
        SortedMap<String, String> refused = new TreeMap<>(PATH_ORDER);
        Files.walkFileTree(
                root,
                EnumSet.noneOf(java.nio.file.FileVisitOption.class),
                Integer.MAX_VALUE,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                        return !d.equals(root) && isIgnored(relative(root, d), ignored)
                                ? FileVisitResult.SKIP_SUBTREE
                                : FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        String rel = relative(root, file);
                        if (isIgnored(rel, ignored)) {
                            return FileVisitResult.CONTINUE;
                        }
                        if (attrs.isSymbolicLink()) {
                            refused.put(
                                    rel,
                                    "symbolic link (to " + Files.readSymbolicLink(file)
                                            + "); signed models may not contain links");
                        } else if (attrs.isRegularFile()) {
                            files.put(rel, Hashing.sha256(file));
                        } else if (!attrs.isDirectory()) {
                            refused.put(rel, "not a regular file (socket, pipe or device)");
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                        throw new IOException("cannot read " + file + " while hashing the model: " + e.getMessage(), e);
                    }
                });
        String name = root.getFileName() == null ? "model" : root.getFileName().toString();
        return new FileDigests(name, files, ignored, refused);
    }

    /**
     * The root digest {@code model_signing} puts in the statement's subject: SHA-256 over the
     * concatenated raw digests in path order, as lower-case hex.
     */
    public String rootDigest() {
        var md = Hashing.sha256();
        HexFormat hex = HexFormat.of();
        files.values().forEach(h -> md.update(hex.parseHex(h)));
        return hex.formatHex(md.digest());
    }

    /** Normalises a relative path: '/' separators, no leading "./" or trailing '/'. */
    static String normalize(String path) {
        String p = path.replace('\\', '/');
        while (p.startsWith("./")) {
            p = p.substring(2);
        }
        while (p.endsWith("/") && p.length() > 1) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    static boolean isIgnored(String rel, List<String> ignored) {
        for (String i : ignored) {
            if (rel.equals(i) || rel.startsWith(i + "/")) {
                return true;
            }
        }
        return false;
    }

    private static String relative(Path root, Path p) {
        List<String> parts = new ArrayList<>();
        root.relativize(p).forEach(c -> parts.add(c.toString()));
        return String.join("/", parts);
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
