package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.distill4j.testutil.GzipBombs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14, item 2: an IDX gzip bomb whose data is really there must not exhaust the heap. */
class IdxHardeningTest {

    @TempDir
    Path tmp;

    @Test
    void aGzipBombWithAllItsDeclaredDataIsRefusedBeforeFillingTheHeap() throws Exception {
        Path dir = IdxTestFiles.writeDataset(
                tmp.resolve("ds"),
                IdxTestFiles.Part.random(20, 64, 64, 3, 1),
                IdxTestFiles.Part.random(10, 64, 64, 3, 2),
                true);
        // 60 000 images of 64x64: 246 MB of pixels really present, in about 250 KB of gzip.
        Path images = dir.resolve("train-images-idx3-ubyte.gz");
        GzipBombs.write(images, IdxTestFiles.header(0x00000803, 60_000, 64, 64), 4096 * 1000, 60);
        IdxTestFiles.writeFile(dir.resolve("train-labels-idx1-ubyte.gz"), IdxTestFiles.labels(new byte[60_000]), true);
        assertThat(Files.size(images)).isLessThan(1 << 20);

        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx160m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        LoadIdx.class.getName(),
                        dir.toString())
                .redirectErrorStream(true)
                .start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
        }
        assertThat(done).as(out).isTrue();
        assertThat(out)
                .contains("CorruptDataException")
                .contains(images.toString())
                .contains("heap")
                .doesNotContain("OutOfMemoryError");
        assertThat(p.exitValue()).as(out).isZero();
    }

    /** Loads an IDX directory in a child JVM; exit 0 on a DataException. */
    public static final class LoadIdx {
        public static void main(String[] args) {
            try {
                IdxDataset.load(Path.of(args[0]));
                System.out.println("loaded");
                System.exit(1);
            } catch (DataException e) {
                System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
                System.exit(0);
            } catch (Throwable t) {
                System.out.println(t.getClass().getName() + ": " + t.getMessage());
                System.exit(2);
            }
        }
    }
}
