package org.distill4j.data;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * One open IDX file of unsigned bytes (the MNIST family's format), raw or gzip-compressed: its
 * validated header, then its data read on request.
 *
 * <p>Format: a big-endian magic number {@code 0x000008NN} (0x08 = unsigned byte, NN = number of
 * dimensions), NN big-endian 32-bit sizes, then the product of the sizes in bytes, nothing more.
 * Compression is detected by the gzip magic bytes 0x1f 0x8b, never by the file name.
 *
 * <p>Every size is checked against {@link #MAX_COUNT} and {@link #MAX_SIDE} before anything is
 * allocated, and data is read block by block, so a lying header costs at most one block of
 * memory; a raw file's length is checked against its header before any data is read.
 */
final class IdxFile implements Closeable {

    /** The most items (images or labels) an IDX file may declare. */
    static final int MAX_COUNT = 100_000_000;

    /** The most rows or columns an image may declare; the least is 1. */
    static final int MAX_SIDE = 4096;

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private static final int UNSIGNED_BYTE_TYPE = 0x0800;
    private static final int BUFFER = 1 << 16;

    private final Path path;
    private final InputStream in;
    private final int[] dims;
    private final String what;

    private IdxFile(Path path, InputStream in, int[] dims, String what) {
        this.path = path;
        this.in = in;
        this.dims = dims;
        this.what = what;
    }

    /** Opens an images file: magic 0x00000803, sizes [count, rows, cols]. */
    static IdxFile openImages(Path path) throws IOException {
        return open(path, 3);
    }

    /** Opens a labels file: magic 0x00000801, sizes [count]. */
    static IdxFile openLabels(Path path) throws IOException {
        return open(path, 1);
    }

    private static IdxFile open(Path path, int expectedDims) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(path), BUFFER);
        try {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            InputStream in = gzip ? openGzip(path, raw) : raw;
            int[] dims = readHeader(path, in, expectedDims);
            String what = expectedDims == 3
                    ? String.format(Locale.ROOT, "%d images of %dx%d", dims[0], dims[1], dims[2])
                    : dims[0] + " labels";
            IdxFile file = new IdxFile(path, in, dims, what);
            if (!gzip) {
                file.checkRawLength(Files.size(path));
            }
            return file;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static InputStream openGzip(Path path, InputStream raw) throws IOException {
        try {
            return new GZIPInputStream(raw, BUFFER);
        } catch (EOFException | ZipException e) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s starts with the gzip magic bytes but has a corrupt gzip header: %s",
                            path,
                            e.getMessage()),
                    e);
        }
    }

    private static int[] readHeader(Path path, InputStream in, int expectedDims) throws IOException {
        int headerBytes = 4 + 4 * expectedDims;
        byte[] header = new byte[headerBytes];
        int n = readFully(path, in, header, 0, 4, 0);
        int expectedMagic = UNSIGNED_BYTE_TYPE | expectedDims;
        String kind = expectedDims == 3 ? "images" : "labels";
        if (n < 4) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s is truncated: %d bytes, expected at least a %d-byte IDX %s header",
                            path,
                            n,
                            headerBytes,
                            kind));
        }
        int magic = readInt(header, 0);
        if ((magic & 0xFFFFFF00) == UNSIGNED_BYTE_TYPE && magic != expectedMagic) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s has %d dimension%s (magic number 0x%08x), expected %d for IDX %s "
                                    + "(magic number 0x%08x)",
                            path,
                            magic & 0xFF,
                            (magic & 0xFF) == 1 ? "" : "s",
                            magic,
                            expectedDims,
                            kind,
                            expectedMagic));
        }
        if (magic != expectedMagic) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s has magic number 0x%08x, expected 0x%08x (IDX unsigned-byte %s, " + "%d dimension%s)",
                            path,
                            magic,
                            expectedMagic,
                            kind,
                            expectedDims,
                            expectedDims == 1 ? "" : "s"));
        }
        n = readFully(path, in, header, 4, headerBytes - 4, 4);
        if (n < headerBytes - 4) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s is truncated: %d header bytes, expected %d for IDX %s",
                            path,
                            4 + n,
                            headerBytes,
                            kind));
        }
        int[] dims = new int[expectedDims];
        for (int i = 0; i < expectedDims; i++) {
            dims[i] = readInt(header, 4 + 4 * i);
        }
        // Sizes are unsigned 32-bit: a negative int is above 2^31 and so above any limit.
        long count = Integer.toUnsignedLong(dims[0]);
        if (count > MAX_COUNT) {
            throw new CorruptDataException(
                    path,
                    String.format(Locale.ROOT, "%s declares %d %s, expected at most %d", path, count, kind, MAX_COUNT));
        }
        for (int i = 1; i < expectedDims; i++) {
            long side = Integer.toUnsignedLong(dims[i]);
            if (side < 1 || side > MAX_SIDE) {
                throw new CorruptDataException(
                        path,
                        String.format(
                                Locale.ROOT,
                                "%s declares images of %dx%d, expected each side in [1, %d]",
                                path,
                                Integer.toUnsignedLong(dims[1]),
                                Integer.toUnsignedLong(dims[2]),
                                MAX_SIDE));
            }
        }
        // Within the limits, a gzip bomb can still supply every declared byte cheaply: refuse what
        // cannot fit the heap before reading, rather than ending in an OutOfMemoryError.
        long bytes = count;
        for (int i = 1; i < expectedDims; i++) {
            bytes *= Integer.toUnsignedLong(dims[i]);
        }
        long heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s declares %d %s%s = %d bytes of data, more than this JVM's maximum heap of %d bytes; "
                                    + "expected a smaller file, or raise the heap (-Xmx; DISTILL4J_JAVA_OPTS=-Xmx8g for the distill launcher)",
                            path,
                            count,
                            kind,
                            expectedDims == 3
                                    ? String.format(
                                            Locale.ROOT,
                                            " of %dx%d",
                                            Integer.toUnsignedLong(dims[1]),
                                            Integer.toUnsignedLong(dims[2]))
                                    : "",
                            bytes,
                            heap));
        }
        return dims;
    }

    /** Returns the declared sizes: [count, rows, cols] for images, [count] for labels. */
    int[] dims() {
        return dims.clone();
    }

    /** Returns the declared number of items. */
    int count() {
        return dims[0];
    }

    /** Returns the path this file was opened from. */
    Path path() {
        return path;
    }

    /** Returns the bytes of one item: rows * cols for images, 1 for labels. */
    int itemBytes() {
        int n = 1;
        for (int i = 1; i < dims.length; i++) {
            n *= dims[i];
        }
        return n;
    }

    private long headerBytes() {
        return 4L + 4L * dims.length;
    }

    private long dataBytes() {
        return (long) count() * itemBytes();
    }

    private void checkRawLength(long fileBytes) throws CorruptDataException {
        long expected = headerBytes() + dataBytes();
        if (fileBytes < expected) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s is truncated: %d bytes, expected %d (header declares %s)",
                            path,
                            fileBytes,
                            expected,
                            what));
        }
        if (fileBytes > expected) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s has %d trailing bytes: %d bytes, expected %d (header declares %s)",
                            path,
                            fileBytes - expected,
                            fileBytes,
                            expected,
                            what));
        }
    }

    /**
     * Reads all declared items, block by block, and checks that nothing follows them.
     *
     * @throws CorruptDataException if the data is short, followed by extra bytes, or the gzip
     *     stream is broken
     */
    ByteBlocks readData() throws IOException {
        int recordBytes = itemBytes();
        int perBlock = ByteBlocks.recordsPerBlock(recordBytes);
        byte[][] blocks = new byte[ByteBlocks.blockCount(count(), recordBytes)][];
        long present = 0;
        for (int b = 0; b < blocks.length; b++) {
            int records = Math.min(perBlock, count() - b * perBlock);
            // Allocated only once the previous block was filled: memory follows the data present.
            byte[] block = new byte[records * recordBytes];
            int n = readFully(path, in, block, 0, block.length, headerBytes() + present);
            present += n;
            if (n < block.length) {
                throw new CorruptDataException(
                        path,
                        String.format(
                                Locale.ROOT,
                                "%s is truncated: %d data bytes after the %d-byte header, expected %d "
                                        + "(header declares %s)",
                                path,
                                present,
                                headerBytes(),
                                dataBytes(),
                                what));
            }
            blocks[b] = block;
        }
        long trailing = skipToEnd(present);
        if (trailing > 0) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s has %d trailing bytes after the %d declared data bytes " + "(header declares %s)",
                            path,
                            trailing,
                            dataBytes(),
                            what));
        }
        return new ByteBlocks(recordBytes, count(), blocks);
    }

    private long skipToEnd(long present) throws IOException {
        byte[] scratch = new byte[BUFFER];
        long trailing = 0;
        while (true) {
            long position = headerBytes() + present + trailing;
            int n = readFully(path, in, scratch, 0, scratch.length, position);
            trailing += n;
            if (n < scratch.length) {
                return trailing;
            }
        }
    }

    /**
     * Reads until {@code len} bytes or the end, turning a broken gzip stream into a {@link
     * CorruptDataException} that says where ({@code position}, in decompressed bytes) it broke.
     */
    private static int readFully(Path path, InputStream in, byte[] dst, int off, int len, long position)
            throws IOException {
        int total = 0;
        try {
            while (total < len) {
                int n = in.read(dst, off + total, len - total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        } catch (EOFException e) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s is truncated: its gzip stream ends unexpectedly after %d decompressed " + "bytes (%s)",
                            path,
                            position + total,
                            e.getMessage()),
                    e);
        } catch (ZipException e) {
            throw new CorruptDataException(
                    path,
                    String.format(
                            Locale.ROOT,
                            "%s has a corrupt gzip stream after %d decompressed bytes: %s",
                            path,
                            position + total,
                            e.getMessage()),
                    e);
        }
    }

    private static int readInt(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
