package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile and careless JSONL input (issue 14, items 2, 9 and 10). */
class JsonlHardeningTest {

    @TempDir
    Path dir;

    private static final TextFeatures FEATURES = TextFeatures.of(16, 2, 0, 0, true);
    private static final JsonlTextDataset.Fields FIELDS = JsonlTextDataset.Fields.defaults();

    private static String row(int i) {
        return "{\"text\": \"row " + i + " with some words in it\", \"label\": \"" + (i % 2 == 0 ? "a" : "b") + "\"}";
    }

    @Test
    void invalidUtf8IsReportedOnTheLineItIsOn() throws IOException {
        Path f = dir.resolve("t.jsonl");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 1; i < 2000; i++) {
            b.write((row(i) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        b.write(new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xFF, '"', '}', '\n'});
        Files.write(f, b.toByteArray());
        assertThatThrownBy(() -> JsonlTextDataset.load(f, FIELDS, List.of("a", "b"), FEATURES))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(f + ", line 2000: not valid UTF-8");
    }

    @Test
    void gzipCutInsideItsTrailerNamesFileAndCauseWithoutNull() throws IOException {
        Path f = dir.resolve("t.jsonl.gz");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
            gz.write((row(1) + "\n" + row(2) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] whole = b.toByteArray();
        Files.write(f, java.util.Arrays.copyOf(whole, whole.length - 5));
        assertThatThrownBy(() -> JsonlTextDataset.load(f, FIELDS, List.of("a", "b"), FEATURES))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("cut short")
                .hasMessageNotContaining("(null)");
    }

    @Test
    void aByteOrderMarkIsAccepted() throws IOException {
        Path f = dir.resolve("t.jsonl");
        Files.write(f, ("\uFEFF" + row(1) + "\n" + row(2) + "\n").getBytes(StandardCharsets.UTF_8));
        TextExampleSet set = JsonlTextDataset.load(f, FIELDS, List.of("a", "b"), FEATURES);
        assertThat(set.size()).isEqualTo(2);
        assertThat(set.text(0)).isEqualTo("row 1 with some words in it");
    }

    @Test
    void aDuplicateKeyIsRefusedNamingKeyAndLine() throws IOException {
        Path f = dir.resolve("t.jsonl");
        Files.writeString(f, row(1) + "\n" + row(2) + "\n{\"text\": \"x\", \"label\": \"a\", \"label\": \"c\"}\n");
        assertThatThrownBy(() -> JsonlTextDataset.load(f, FIELDS, List.of("a", "b"), FEATURES))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(f + ", line 3")
                .hasMessageContaining("duplicate")
                .hasMessageContaining("'label'");
    }

    @Test
    void plainAndGzipSplitsSideBySideAreRefusedAsAmbiguous() throws IOException {
        JsonlTextDatasetTest.write(dir.resolve("train.jsonl"), row(1), row(2));
        JsonlTextDatasetTest.write(dir.resolve("train.jsonl.gz"), row(3), row(4));
        JsonlTextDatasetTest.write(dir.resolve("test.jsonl"), row(1), row(2));
        assertThatThrownBy(() -> JsonlTextDataset.load(dir, FIELDS, FEATURES))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("train.jsonl")
                .hasMessageContaining("train.jsonl.gz")
                .hasMessageContaining("both");
    }

    @Test
    void anOverlongLineIsRefusedNamingFileAndLine() throws IOException {
        Path f = dir.resolve("t.jsonl");
        Files.writeString(f, row(1) + "\n" + row(2) + "\n{\"text\": \"" + "z".repeat(5000) + "\", \"label\": \"a\"}\n");
        assertThatThrownBy(() -> JsonlTextDataset.load(f, FIELDS, List.of("a", "b"), FEATURES, 4096))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(f + ", line 3: longer than 4096 characters");
    }

    /**
     * The bomb: about 2 MB of gzip expanding to a 2 GiB line, loaded in a JVM with a 160 MiB
     * heap, must end in a CorruptDataException naming the file and line, quickly, not in an
     * OutOfMemoryError.
     */
    @Test
    void aGzipBombIsRefusedWithinASmallHeap() throws Exception {
        Files.createDirectories(dir.resolve("d"));
        Path bomb = dir.resolve("d/train.jsonl.gz");
        org.distill4j.testutil.GzipBombs.write(bomb, row(1) + "\n", 32 << 20, 64);
        JsonlTextDatasetTest.write(dir.resolve("d/test.jsonl"), row(1), row(2));
        assertThat(Files.size(bomb)).isLessThan(4L << 20);
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx160m",
                "-cp",
                System.getProperty("java.class.path"),
                LoadJsonl.class.getName(),
                dir.resolve("d").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
        }
        assertThat(done).as("finished within 60 s: " + out).isTrue();
        assertThat(out)
                .contains("CorruptDataException")
                .contains(bomb + ", line 2: longer than")
                .doesNotContain("OutOfMemoryError");
        assertThat(p.exitValue()).as(out).isZero();
    }

    /** Loads a JSONL directory in a child JVM and prints the outcome; exit 0 on a DataException. */
    public static final class LoadJsonl {
        public static void main(String[] args) {
            try {
                JsonlTextDataset.load(Path.of(args[0]), FIELDS, FEATURES);
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
