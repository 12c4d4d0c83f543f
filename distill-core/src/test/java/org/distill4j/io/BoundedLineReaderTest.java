package org.distill4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BoundedLineReaderTest {

    static List<String> readAll(Path file, int max) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BoundedLineReader r = BoundedLineReader.open(file, max)) {
            for (String l; (l = r.readLine()) != null; ) {
                assertThat(r.lineNumber()).isEqualTo(lines.size() + 1);
                lines.add(l);
            }
        }
        return lines;
    }

    @Test
    void splitsOnEveryTerminatorCountsBlankLinesAndSkipsTheByteOrderMark(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("a.txt");
        Files.write(f, "\uFEFFone\r\ntwo\rthree\n\nfour".getBytes(StandardCharsets.UTF_8));
        assertThat(readAll(f, 100)).containsExactly("one", "two", "three", "", "four");
    }

    @Test
    void linesLongerThanTheReadBufferAreJoined(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("a.txt");
        String longLine = "x".repeat(200_000);
        Files.writeString(f, "a\r" + longLine + "\r\nb\n");
        assertThat(readAll(f, 200_000)).containsExactly("a", longLine, "b");
    }

    @Test
    void tooLongLineFailsNamingFileAndLine(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("a.txt");
        Files.writeString(f, "ok\nok\n" + "y".repeat(100_001) + "\nok\n");
        assertThatThrownBy(() -> readAll(f, 100_000))
                .isInstanceOfSatisfying(LineReadException.class, e -> {
                    assertThat(e.line()).isEqualTo(3);
                    assertThat(e.kind()).isEqualTo(LineReadException.Kind.TOO_LONG);
                })
                .hasMessageContaining(f.toString())
                .hasMessageContaining("line 3")
                .hasMessageContaining("100000");
    }

    @Test
    void invalidUtf8IsReportedOnItsOwnLineNotPerReadAheadBuffer(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("a.jsonl");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 1; i < 2000; i++) {
            b.write(("{\"text\": \"line " + i + " of some length to fill the buffers\"}\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        b.write(new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        b.write("{}\n".getBytes(StandardCharsets.UTF_8));
        Files.write(f, b.toByteArray());
        assertThatThrownBy(() -> readAll(f, 1000))
                .isInstanceOfSatisfying(
                        LineReadException.class, e -> assertThat(e.line()).isEqualTo(2000))
                .hasMessageContaining(f + ", line 2000: not valid UTF-8");
    }

    @Test
    void gzipCutAtItsChecksumNamesTheFileAndTheCause(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("a.txt.gz");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
            gz.write("one\ntwo\n".getBytes(StandardCharsets.UTF_8));
        }
        byte[] whole = b.toByteArray();
        Files.write(f, Arrays.copyOf(whole, whole.length - 6)); // inside the CRC32 of the trailer
        assertThatThrownBy(() -> readAll(f, 100))
                .isInstanceOfSatisfying(
                        LineReadException.class,
                        e -> assertThat(e.kind()).isEqualTo(LineReadException.Kind.BROKEN_GZIP))
                .hasMessageContaining(f.toString())
                .hasMessageContaining("cut short")
                .hasMessageNotContaining("null");
    }

    @Test
    void notGzipAtAllIsNamed(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("a.txt.gz");
        Files.writeString(f, "plain text\n");
        assertThatThrownBy(() -> readAll(f, 100))
                .isInstanceOf(LineReadException.class)
                .hasMessageContaining(f + ": not a gzip file");
    }

    @Test
    void gzipBombOfOneHugeLineFailsFastAfterReadingOnlyTheBound(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("bomb.txt.gz");
        // 64 members of 32 MiB: one 2 GiB line, about 2 MB on disk.
        org.distill4j.testutil.GzipBombs.write(f, "first\n", 32 << 20, 64);
        assertThat(Files.size(f)).isLessThan(4L << 20);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> readAll(f, 1 << 20))
                .isInstanceOfSatisfying(
                        LineReadException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining(f + ", line 2: longer than 1048576 characters");
        assertThat((System.nanoTime() - t0) / 1e9).as("seconds to refuse").isLessThan(5);
    }
}
