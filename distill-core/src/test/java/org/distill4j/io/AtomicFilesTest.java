package org.distill4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    static long otherFiles(Path dir, Path target) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.equals(target)).count();
        }
    }

    @Test
    void replacesExistingContentAndLeavesNoTemporaryFile(@TempDir Path tmp) throws Exception {
        Path target = tmp.resolve("out.txt");
        Files.writeString(target, "old content that is longer than the new one");
        AtomicFiles.writeString(target, "new");
        assertThat(Files.readString(target)).isEqualTo("new");
        assertThat(otherFiles(tmp, target)).isZero();
    }

    @Test
    void createsMissingParentDirectories(@TempDir Path tmp) throws Exception {
        Path target = tmp.resolve("a/b/c.bin");
        AtomicFiles.write(target, new byte[] {1, 2, 3});
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
    }

    @Test
    void writerThatThrowsLeavesOldFileIntactAndNoTemporaryFile(@TempDir Path tmp) throws Exception {
        Path target = tmp.resolve("out.txt");
        Files.writeString(target, "precious");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
                    out.write("half-written garbage".getBytes(StandardCharsets.UTF_8));
                    throw new IOException("disk on fire");
                }))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("disk on fire")
                .hasMessageContaining(target.toString());
        assertThat(Files.readString(target)).isEqualTo("precious");
        assertThat(otherFiles(tmp, target)).isZero();
    }

    /** Issue 14, item 9: the OS says "No space left on device" without a path; the message names it. */
    @Test
    void aFullDeviceIsReportedWithTheTargetPath(@TempDir Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "/dev/full (Linux)");
        Path target = tmp.resolve("metrics.json");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
                    // A real ENOSPC from the kernel, raised while the content is being produced.
                    try (java.io.FileOutputStream full = new java.io.FileOutputStream("/dev/full")) {
                        full.write(new byte[4096]);
                    }
                }))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(target.toString())
                .hasMessageContaining("No space left on device");
        assertThat(target).doesNotExist();
        assertThat(otherFiles(tmp, target)).isZero();
    }

    @Test
    void writerThatThrowsUncheckedAlsoLeavesNoTrace(@TempDir Path tmp) throws Exception {
        Path target = tmp.resolve("new.txt");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
                    out.write(42);
                    throw new IllegalStateException("boom");
                }))
                .isInstanceOf(IllegalStateException.class);
        assertThat(target).doesNotExist();
        assertThat(otherFiles(tmp, target)).isZero();
    }

    @Test
    void writtenFileIsReadableByOthers(@TempDir Path tmp) throws Exception {
        Path target = tmp.resolve("shared.txt");
        AtomicFiles.writeString(target, "x");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-r--r--");
    }
}
