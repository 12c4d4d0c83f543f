package org.distill4j.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * Finds the git commit distill4j's own classes were built from. Tries, in order: a {@code
 * git.properties} resource (git-commit-id-maven-plugin), a {@code Git-Commit} or {@code
 * SCM-Revision} attribute in the jar manifest, and {@code git rev-parse HEAD} when the classes
 * sit inside a git checkout. Never fails: returns {@value #UNKNOWN} when nothing answers.
 */
final class GitCommit {

    static final String UNKNOWN = "unknown";

    private static final Pattern HEX_COMMIT = Pattern.compile("[0-9a-f]{7,64}");
    private static final long GIT_TIMEOUT_S = 5;

    private GitCommit() {}

    static String detect() {
        String fromProperties = fromGitProperties();
        if (fromProperties != null) {
            return fromProperties;
        }
        Path codeSource = codeSource();
        if (codeSource == null) {
            return UNKNOWN;
        }
        String fromManifest = fromJarManifest(codeSource);
        if (fromManifest != null) {
            return fromManifest;
        }
        String fromGit = fromCheckout(codeSource);
        return fromGit != null ? fromGit : UNKNOWN;
    }

    private static String fromGitProperties() {
        try (InputStream in = GitCommit.class.getResourceAsStream("/git.properties")) {
            if (in == null) {
                return null;
            }
            Properties p = new Properties();
            p.load(in);
            return valid(p.getProperty("git.commit.id.full", p.getProperty("git.commit.id")));
        } catch (IOException e) {
            return null;
        }
    }

    private static Path codeSource() {
        try {
            var source = GitCommit.class.getProtectionDomain().getCodeSource();
            return source == null ? null : Path.of(source.getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            // Unusual class loaders (e.g. nested jars) have locations that are not file paths.
            return null;
        }
    }

    private static String fromJarManifest(Path codeSource) {
        if (!Files.isRegularFile(codeSource)) {
            return null;
        }
        try (JarFile jar = new JarFile(codeSource.toFile())) {
            Manifest manifest = jar.getManifest();
            if (manifest == null) {
                return null;
            }
            Attributes main = manifest.getMainAttributes();
            String commit = valid(main.getValue("Git-Commit"));
            return commit != null ? commit : valid(main.getValue("SCM-Revision"));
        } catch (IOException e) {
            return null;
        }
    }

    private static String fromCheckout(Path codeSource) {
        Path dir = Files.isDirectory(codeSource) ? codeSource : codeSource.getParent();
        Path root = dir;
        // Only start a process when a checkout is there: spawning git everywhere is slow and noisy.
        while (root != null && !Files.exists(root.resolve(".git"))) {
            root = root.getParent();
        }
        if (root == null) {
            return null;
        }
        Process process = null;
        try {
            process = new ProcessBuilder("git", "rev-parse", "HEAD")
                    .directory(root.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            byte[] out = process.getInputStream().readNBytes(256);
            if (!process.waitFor(GIT_TIMEOUT_S, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return null;
            }
            return valid(new String(out, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (process != null) {
                process.destroy();
            }
        }
    }

    private static String valid(String candidate) {
        if (candidate == null) {
            return null;
        }
        String c = candidate.strip().toLowerCase(Locale.ROOT);
        return HEX_COMMIT.matcher(c).matches() ? c : null;
    }
}
