package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.distill4j.data.IdxTestFiles.Part;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way an IDX data set can be missing or broken gives a typed exception whose message names
 * the file and says what was found versus what was expected.
 */
class IdxCorruptionTest {

    private static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    private static final String TRAIN_LABELS = "train-labels-idx1-ubyte";

    @TempDir
    Path tmp;

    private final Part train = Part.random(6, 4, 5, 10, 1);
    private final Part test = Part.random(3, 4, 5, 10, 2);

    /** A good data set in {@code name}, whose file {@code replaced} then gets {@code content}. */
    private Path datasetWith(String replaced, byte[] content, boolean gz) throws IOException {
        Path dir = IdxTestFiles.writeDataset(tmp.resolve("ds"), train, test, gz);
        IdxTestFiles.writeFile(dir.resolve(replaced + (gz ? ".gz" : "")), content, gz);
        return dir;
    }

    private static Path file(Path dir, String name, boolean gz) {
        return dir.resolve(name + (gz ? ".gz" : ""));
    }

    @Test
    void missingDirectoryListsTheExpectedFiles() {
        Path dir = tmp.resolve("nowhere");

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(MissingDataException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("does not exist")
                .hasMessageContaining(TRAIN_IMAGES)
                .hasMessageContaining(TRAIN_LABELS)
                .hasMessageContaining("t10k-images-idx3-ubyte")
                .hasMessageContaining("t10k-labels-idx1-ubyte")
                .hasMessageNotContaining("apt-get");
    }

    @Test
    void missingFashionMnistSaysHowToInstallIt() {
        Path dir = tmp.resolve("fashion-mnist");

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(MissingDataException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("apt-get install dataset-fashion-mnist");
    }

    @Test
    void missingFileIsNamed() throws IOException {
        Path dir = IdxTestFiles.writeDataset(tmp.resolve("my-fashion-mnist"), train, test, true);
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(MissingDataException.class)
                .hasMessageContaining("lacks t10k-labels-idx1-ubyte[.gz]")
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("apt-get install dataset-fashion-mnist")
                .satisfies(
                        e -> assertThat(((DataException) e).file()).isEqualTo(dir.resolve("t10k-labels-idx1-ubyte")));
    }

    @ParameterizedTest(name = "gzip={0}")
    @ValueSource(booleans = {false, true})
    void wrongImagesMagicNumber(boolean gz) throws IOException {
        byte[] content = IdxTestFiles.concat(IdxTestFiles.header(0x12345678, 6, 4, 5), train.pixels());
        Path dir = datasetWith(TRAIN_IMAGES, content, gz);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(file(dir, TRAIN_IMAGES, gz).toString())
                .hasMessageContaining("magic number 0x12345678, expected 0x00000803");
    }

    @Test
    void labelsFileWhereImagesBelong() throws IOException {
        Path dir = datasetWith(TRAIN_IMAGES, train.labelsFile(), false);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(file(dir, TRAIN_IMAGES, false).toString())
                .hasMessageContaining("has 1 dimension (magic number 0x00000801), expected 3 for IDX images "
                        + "(magic number 0x00000803)");
    }

    @Test
    void wrongLabelsMagicNumber() throws IOException {
        byte[] content = IdxTestFiles.concat(IdxTestFiles.header(0x00000901, 6), train.labels());
        Path dir = datasetWith(TRAIN_LABELS, content, true);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(file(dir, TRAIN_LABELS, true).toString())
                .hasMessageContaining("magic number 0x00000901, expected 0x00000801");
    }

    @Test
    void wrongNumberOfDimensions() throws IOException {
        byte[] content = IdxTestFiles.concat(IdxTestFiles.header(0x00000802, 6, 20), train.pixels());
        Path dir = datasetWith(TRAIN_IMAGES, content, true);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(file(dir, TRAIN_IMAGES, true).toString())
                .hasMessageContaining("has 2 dimensions (magic number 0x00000802), expected 3");
    }

    @ParameterizedTest(name = "rows x cols = {0}")
    @ValueSource(strings = {"0x5", "5x0", "4097x1", "1x5000", "-1x5"})
    void absurdImageSidesAreRefused(String sides) throws IOException {
        String[] rc = sides.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        Path dir = datasetWith(TRAIN_IMAGES, IdxTestFiles.header(0x00000803, 6, rows, cols), false);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(file(dir, TRAIN_IMAGES, false).toString())
                .hasMessageContaining("declares images of " + Integer.toUnsignedLong(rows) + "x"
                        + Integer.toUnsignedLong(cols) + ", expected each side in [1, 4096]");
    }

    @Test
    void absurdCountIsRefusedBeforeAllocating() throws IOException {
        byte[] content = IdxTestFiles.concat(IdxTestFiles.header(0x00000803, 1 << 30, 28, 28), new byte[784]);
        Path dir = datasetWith(TRAIN_IMAGES, content, true);

        assertFailsFastInLittleMemory(
                () -> IdxDataset.load(dir),
                CorruptDataException.class,
                file(dir, TRAIN_IMAGES, true) + " declares 1073741824 images, expected at most " + "100000000");
    }

    @Test
    void hugeClaimOnTinyGzipFileFailsFastInLittleMemory() throws IOException {
        // 3.9 GB of pixels claimed, within the limits, so only incremental reading saves us.
        // The 5 MB of labels are really there (labels are read first).
        byte[] content = IdxTestFiles.concat(IdxTestFiles.header(0x00000803, 5_000_000, 28, 28), new byte[784 * 3]);
        Path dir = datasetWith(TRAIN_IMAGES, content, true);
        Files.write(
                dir.resolve("train-labels-idx1-ubyte.gz"), IdxTestFiles.gzip(IdxTestFiles.labels(new byte[5_000_000])));
        assertThat(Files.size(dir.resolve(TRAIN_IMAGES + ".gz"))).isLessThan(1000);

        // A heap smaller than the claim refuses it from the header alone (IdxHardeningTest).
        assertFailsFastInLittleMemory(
                () -> IdxDataset.load(dir),
                CorruptDataException.class,
                Runtime.getRuntime().maxMemory() < 3_920_000_000L
                        ? file(dir, TRAIN_IMAGES, true) + " declares 5000000 images of 28x28 = 3920000000 bytes"
                        : file(dir, TRAIN_IMAGES, true) + " is truncated: 2352 data bytes after the "
                                + "16-byte header, expected 3920000000 (header declares 5000000 "
                                + "images of 28x28)");
    }

    @Test
    void hugeLabelClaimOnTinyGzipFileFailsFastInLittleMemory() throws IOException {
        Path dir = IdxTestFiles.writeDataset(tmp.resolve("ds"), train, test, true);
        IdxTestFiles.writeFile(
                dir.resolve(TRAIN_IMAGES + ".gz"), IdxTestFiles.header(0x00000803, 99_999_999, 1, 1), true);
        IdxTestFiles.writeFile(
                dir.resolve(TRAIN_LABELS + ".gz"),
                IdxTestFiles.concat(IdxTestFiles.header(0x00000801, 99_999_999), new byte[10]),
                true);

        assertFailsFastInLittleMemory(
                () -> IdxDataset.load(dir),
                CorruptDataException.class,
                file(dir, TRAIN_LABELS, true) + " is truncated: 10 data bytes after the 8-byte "
                        + "header, expected 99999999");
    }

    private static void assertFailsFastInLittleMemory(
            ThrowingRunnable load, Class<? extends Exception> type, String message) {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeThat(bean)
                .as("per-thread allocation counting (HotSpot)")
                .isInstanceOf(com.sun.management.ThreadMXBean.class);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        assumeThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        threads.setThreadAllocatedMemoryEnabled(true);
        long thread = Thread.currentThread().getId();
        long bytesBefore = threads.getThreadAllocatedBytes(thread);
        long start = System.nanoTime();

        assertThatThrownBy(load::run).isInstanceOf(type).hasMessageContaining(message);

        long allocated = threads.getThreadAllocatedBytes(thread) - bytesBefore;
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(allocated).as("bytes allocated").isLessThan(16L << 20);
        assertThat(millis).as("milliseconds").isLessThan(5_000);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void truncatedRawFileSaysHowManyBytes() throws IOException {
        byte[] good = train.imagesFile();
        Path dir = datasetWith(TRAIN_IMAGES, Arrays.copyOf(good, good.length - 7), false);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessage(file(dir, TRAIN_IMAGES, false) + " is truncated: 129 bytes, expected "
                        + "136 (header declares 6 images of 4x5)");
    }

    @Test
    void truncatedGzipContentSaysHowManyBytes() throws IOException {
        byte[] good = train.imagesFile();
        Path dir = datasetWith(TRAIN_IMAGES, Arrays.copyOf(good, good.length - 7), true);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessage(file(dir, TRAIN_IMAGES, true) + " is truncated: 113 data bytes after "
                        + "the 16-byte header, expected 120 (header declares 6 images of 4x5)");
    }

    @Test
    void truncatedGzipStreamIsReported() throws IOException {
        Path dir = IdxTestFiles.writeDataset(tmp.resolve("ds"), train, test, true);
        Path images = dir.resolve(TRAIN_IMAGES + ".gz");
        byte[] compressed = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(compressed, compressed.length - 20));

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(images + " is truncated: its gzip stream ends unexpectedly");
    }

    @Test
    void corruptGzipStreamIsReported() throws IOException {
        Path dir = IdxTestFiles.writeDataset(tmp.resolve("ds"), train, test, true);
        Path images = dir.resolve(TRAIN_IMAGES + ".gz");
        byte[] compressed = Files.readAllBytes(images);
        for (int i = 12; i < compressed.length - 8; i++) {
            compressed[i] = (byte) 0xFF;
        }
        Files.write(images, compressed);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(images.toString())
                .hasMessageContaining("gzip");
    }

    @ParameterizedTest(name = "gzip={0}")
    @ValueSource(booleans = {false, true})
    void truncatedHeader(boolean gz) throws IOException {
        Path dir = datasetWith(TRAIN_IMAGES, Arrays.copyOf(train.imagesFile(), 10), gz);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessage(file(dir, TRAIN_IMAGES, gz) + " is truncated: 10 header bytes, "
                        + "expected 16 for IDX images");
    }

    @Test
    void emptyFile() throws IOException {
        Path dir = datasetWith(TRAIN_LABELS, new byte[0], false);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessage(file(dir, TRAIN_LABELS, false) + " is truncated: 0 bytes, expected "
                        + "at least a 8-byte IDX labels header");
    }

    @Test
    void trailingBytesInRawFile() throws IOException {
        byte[] content = IdxTestFiles.concat(train.labelsFile(), new byte[] {1, 2, 3});
        Path dir = datasetWith(TRAIN_LABELS, content, false);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessage(file(dir, TRAIN_LABELS, false) + " has 3 trailing bytes: 17 bytes, "
                        + "expected 14 (header declares 6 labels)");
    }

    @Test
    void trailingBytesInGzipFile() throws IOException {
        byte[] content = IdxTestFiles.concat(train.imagesFile(), new byte[100_000]);
        Path dir = datasetWith(TRAIN_IMAGES, content, true);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessage(file(dir, TRAIN_IMAGES, true) + " has 100000 trailing bytes after the "
                        + "120 declared data bytes (header declares 6 images of 4x5)");
    }

    @Test
    void imageAndLabelCountsMustMatch() throws IOException {
        byte[] labels = Arrays.copyOf(train.labels(), 5);
        Path dir = datasetWith(TRAIN_LABELS, IdxTestFiles.labels(labels), true);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessage(file(dir, TRAIN_LABELS, true) + " declares 5 labels, expected 6 to "
                        + "match the images in " + file(dir, TRAIN_IMAGES, true));
    }

    @ParameterizedTest(name = "label={0}")
    @ValueSource(ints = {10, 255})
    void labelOutOfRange(int label) throws IOException {
        byte[] labels = train.labels().clone();
        labels[4] = (byte) label;
        Path dir = datasetWith(TRAIN_LABELS, IdxTestFiles.labels(labels), false);

        assertThatThrownBy(() -> IdxDataset.load(dir))
                .isInstanceOf(CorruptDataException.class)
                .hasMessage(file(dir, TRAIN_LABELS, false) + " has label " + label + " at row 4, "
                        + "expected a class id < 10");
    }

    @Test
    void labelOutOfRangeForExplicitClassNames() throws IOException {
        Path dir = IdxTestFiles.writeDataset(tmp.resolve("ds"), train, test, false);

        assertThatThrownBy(() -> IdxDataset.load(dir, java.util.List.of("a", "b")))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(file(dir, TRAIN_LABELS, false).toString())
                .hasMessageContaining("expected a class id < 2");
    }

    @Test
    void dataExceptionsAreIoExceptions() {
        assertThat(IOException.class).isAssignableFrom(DataException.class);
        assertThat(DataException.class)
                .isAssignableFrom(MissingDataException.class)
                .isAssignableFrom(CorruptDataException.class);
    }
}
