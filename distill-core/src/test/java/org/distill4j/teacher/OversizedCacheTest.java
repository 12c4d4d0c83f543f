package org.distill4j.teacher;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.teacher.http.CollectionJournal;
import org.distill4j.teacher.http.JournalException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 2: caches and journals refuse oversized input naming the file, never with an
 * OutOfMemoryError. The files are sparse: gigabytes long, costing no disk.
 */
class OversizedCacheTest {

    @Test
    void aCacheDeclaringMoreThanTheHeapIsRefusedNamingTheFile(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("huge.logits");
        int rows = 1 << 20;
        int classes = 1024; // 4 GiB of logits, size consistent with the header
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
            out.write(new byte[] {'D', '4', 'J', 'L', 'O', 'G', 'I', 'T'});
            out.writeInt(1);
            out.writeInt(rows);
            out.writeInt(classes);
            out.writeUTF("k");
            out.writeUTF("h");
        }
        long header = 8 + 12 + 3 + 3;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(header + (long) rows * classes * 4 + 8);
        }
        assertThatThrownBy(() -> TeacherOutputCache.read(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("1048576 rows x 1024 classes");
    }

    @Test
    void aJournalLargerThanTheLimitIsRefusedNamingTheFile(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve(CollectionJournal.FILE);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(3L << 30);
        }
        assertThatThrownBy(() -> CollectionJournal.read(tmp))
                .isInstanceOf(JournalException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("bytes");
    }
}
