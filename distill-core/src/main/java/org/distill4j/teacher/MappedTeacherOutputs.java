package org.distill4j.teacher;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;
import org.distill4j.data.KeyedLogits;
import org.distill4j.io.MappedRegion;

/**
 * A teacher-output cache file ({@code .logits}, {@link TeacherOutputCache}'s format) read
 * memory-mapped, one key range at a time, instead of into the heap: row {@code r}'s logits are
 * the logits of the row with key {@code r} (the key of a {@link org.distill4j.data.FeatureShards}
 * row written without explicit keys is its index). Opening checks the header, the size and the
 * CRC-32 of the payload in one streaming pass (a 1 MiB buffer), so a file larger than the heap is
 * checked without being held. Thread-safe for concurrent windows.
 */
public final class MappedTeacherOutputs implements KeyedLogits {

    private final Path file;
    private final String teacherKey;
    private final String dataHash;
    private final int rows;
    private final int classes;
    private final long payloadOffset;

    private MappedTeacherOutputs(
            Path file, String teacherKey, String dataHash, int rows, int classes, long payloadOffset) {
        this.file = file;
        this.teacherKey = teacherKey;
        this.dataHash = dataHash;
        this.rows = rows;
        this.classes = classes;
        this.payloadOffset = payloadOffset;
    }

    /**
     * Opens and checks a {@code .logits} file.
     *
     * @throws IOException naming the file if it is not a valid teacher-output file
     */
    public static MappedTeacherOutputs open(Path file) throws IOException {
        long size = Files.size(file);
        int rows;
        int classes;
        String teacherKey;
        String dataHash;
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw))) {
            byte[] magic = in.readNBytes(TeacherOutputCache.MAGIC.length);
            if (!java.util.Arrays.equals(magic, TeacherOutputCache.MAGIC)) {
                throw new IOException(file + ": not a teacher-output cache file (bad magic)");
            }
            int version = in.readInt();
            if (version != TeacherOutputCache.VERSION) {
                throw new IOException(file + ": version " + version + ", expected " + TeacherOutputCache.VERSION);
            }
            rows = in.readInt();
            classes = in.readInt();
            teacherKey = in.readUTF();
            dataHash = in.readUTF();
        }
        long header = TeacherOutputCache.MAGIC.length
                + 12L
                + 2
                + teacherKey.getBytes(StandardCharsets.UTF_8).length
                + 2
                + dataHash.getBytes(StandardCharsets.UTF_8).length;
        long payload = (long) rows * classes * 4;
        if (rows < 0 || classes < 1 || header + payload + 8 != size) {
            throw new IOException(file + ": " + size + " bytes, expected " + (header + payload + 8) + " for " + rows
                    + " rows x " + classes + " classes (truncated or corrupt)");
        }
        CRC32 crc = new CRC32();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            long pos = header;
            long end = header + payload;
            while (pos < end) {
                buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new IOException(file + ": ends early (truncated)");
                }
                buf.flip();
                crc.update(buf);
                pos += n;
            }
            ByteBuffer tail = ByteBuffer.allocate(8);
            while (tail.hasRemaining() && ch.read(tail, end + tail.position()) > 0) {
                // reads the 8-byte CRC
            }
            if (tail.flip().getLong() != crc.getValue()) {
                throw new IOException(file + ": checksum mismatch (corrupt)");
            }
        }
        return new MappedTeacherOutputs(file, teacherKey, dataHash, rows, classes, header);
    }

    /** Returns the file. */
    public Path file() {
        return file;
    }

    /** Returns the rows (keys 0 to rows - 1). */
    public int rows() {
        return rows;
    }

    @Override
    public String teacherKey() {
        return teacherKey;
    }

    @Override
    public String dataHash() {
        return dataHash;
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public Window window(long firstKey, long lastKey) throws IOException {
        if (firstKey < 0 || lastKey >= rows || lastKey < firstKey) {
            throw new IOException(
                    file + ": holds logits for keys [0, " + rows + "), asked for [" + firstKey + ", " + lastKey + "]");
        }
        long bytes = (lastKey - firstKey + 1) * classes * 4L;
        MappedRegion region = MappedRegion.map(file, payloadOffset + firstKey * classes * 4L, bytes);
        FloatBuffer floats = region.buffer().asFloatBuffer();
        return new Window() {
            @Override
            public void copy(long key, float[] dst, int offset) {
                if (key < firstKey || key > lastKey) {
                    throw new IndexOutOfBoundsException("key " + key + " outside [" + firstKey + ", " + lastKey + "]");
                }
                floats.get((int) (key - firstKey) * classes, dst, offset, classes);
            }

            @Override
            public void close() {
                region.close();
            }
        };
    }

    @Override
    public void close() {
        // Nothing open between windows.
    }
}
