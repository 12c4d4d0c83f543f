package org.distill4j.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Writes real IDX files for tests: well-formed ones and deliberately broken ones. */
public final class IdxTestFiles {

    private IdxTestFiles() {}

    /** Returns an IDX header: magic then each size, big-endian. */
    static byte[] header(int magic, int... sizes) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * sizes.length);
        b.putInt(magic);
        for (int s : sizes) {
            b.putInt(s);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Returns a well-formed images file's content. */
    static byte[] images(int count, int rows, int cols, byte[] pixels) {
        return concat(header(0x00000803, count, rows, cols), pixels);
    }

    /** Returns a well-formed labels file's content. */
    static byte[] labels(byte[] labels) {
        return concat(header(0x00000801, labels.length), labels);
    }

    static byte[] gzip(byte[] content) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Path write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    /** Deterministic pseudo-random pixels. */
    static byte[] pixels(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The content of one split of a small data set. */
    public record Part(int count, int rows, int cols, byte[] pixels, byte[] labels) {

        public static Part random(int count, int rows, int cols, int numClasses, long seed) {
            byte[] labels = new byte[count];
            for (int i = 0; i < count; i++) {
                labels[i] = (byte) ((i * 7 + seed) % numClasses);
            }
            byte[] pixels = IdxTestFiles.pixels(count * rows * cols, seed);
            return new Part(count, rows, cols, pixels, labels);
        }

        byte[] imagesFile() {
            return images(count, rows, cols, pixels);
        }

        byte[] labelsFile() {
            return IdxTestFiles.labels(labels);
        }
    }

    /** Writes a complete data directory, every file gzip-compressed if {@code gz}. */
    public static Path writeDataset(Path dir, Part train, Part test, boolean gz) throws IOException {
        String suffix = gz ? ".gz" : "";
        writeFile(dir.resolve("train-images-idx3-ubyte" + suffix), train.imagesFile(), gz);
        writeFile(dir.resolve("train-labels-idx1-ubyte" + suffix), train.labelsFile(), gz);
        writeFile(dir.resolve("t10k-images-idx3-ubyte" + suffix), test.imagesFile(), gz);
        writeFile(dir.resolve("t10k-labels-idx1-ubyte" + suffix), test.labelsFile(), gz);
        return dir;
    }

    static Path writeFile(Path file, byte[] content, boolean gz) throws IOException {
        return write(file, gz ? gzip(content) : content);
    }
}
