package org.distill4j.teacher;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;
import org.distill4j.io.AtomicFiles;

/**
 * Writes a teacher-output file ({@code .logits}, {@link TeacherOutputCache}'s format) from rows
 * that arrive in any key order, e.g. the Parquet output of a Spark labelling job: each row's
 * logits are written in place at its key (into a temporary file of the final size), every key in
 * [0, rows) must come exactly once (a bit per key is kept: {@code rows / 8} bytes), and the CRC is
 * computed in a streaming pass before the file is renamed into place. Memory: the bit set and one
 * row. Not thread-safe.
 */
public final class KeyedLogitsWriter implements AutoCloseable {

    private final Path file;
    private final Path tmp;
    private final FileChannel channel;
    private final int rows;
    private final int classes;
    private final long header;
    private final long[] seen;
    private final ByteBuffer row;
    private long written;
    private boolean done;

    private KeyedLogitsWriter(Path file, Path tmp, FileChannel channel, int rows, int classes, long header) {
        this.file = file;
        this.tmp = tmp;
        this.channel = channel;
        this.rows = rows;
        this.classes = classes;
        this.header = header;
        this.seen = new long[(rows + 63) / 64];
        this.row = ByteBuffer.allocate(classes * 4).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Starts a file for {@code rows} rows of {@code classes} logits.
     *
     * @param file the target (replaced atomically by {@link #finish()})
     * @param teacherKey the teacher's cache key
     * @param dataHash the content hash of the data set the rows belong to (e.g. {@link
     *     org.distill4j.data.FeatureShards#contentHash()})
     * @param rows the rows, keys 0 to rows - 1
     * @param classes logits per row
     */
    public static KeyedLogitsWriter create(Path file, String teacherKey, String dataHash, int rows, int classes)
            throws IOException {
        if (rows < 1 || classes < 1 || (long) rows * classes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("illegal size: " + rows + " rows x " + classes + " classes");
        }
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(head);
        out.write(TeacherOutputCache.MAGIC);
        out.writeInt(TeacherOutputCache.VERSION);
        out.writeInt(rows);
        out.writeInt(classes);
        out.writeUTF(teacherKey);
        out.writeUTF(dataHash);
        out.flush();
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.READ);
        ch.write(ByteBuffer.wrap(head.toByteArray()), 0);
        return new KeyedLogitsWriter(file, tmp, ch, rows, classes, head.size());
    }

    /**
     * Writes the logits of row {@code key}.
     *
     * @throws IllegalArgumentException if the key is outside [0, rows), came before, or the row
     *     has another number of logits
     */
    public void put(long key, float[] logits) throws IOException {
        if (key < 0 || key >= rows) {
            throw new IllegalArgumentException("key " + key + " is outside [0, " + rows + ") for " + file);
        }
        if (logits.length != classes) {
            throw new IllegalArgumentException(
                    "key " + key + " has " + logits.length + " logits, expected " + classes + " for " + file);
        }
        int k = (int) key;
        if ((seen[k >>> 6] & (1L << k)) != 0) {
            throw new IllegalArgumentException("key " + key + " came twice (writing " + file + ")");
        }
        seen[k >>> 6] |= 1L << k;
        row.clear();
        row.asFloatBuffer().put(logits);
        long at = header + key * classes * 4L;
        while (row.hasRemaining()) {
            channel.write(row, at + row.position());
        }
        written++;
    }

    /**
     * Checks that every key came, writes the CRC and renames the file into place.
     *
     * @return the file, opened mapped
     * @throws IOException naming the first missing key
     */
    public MappedTeacherOutputs finish() throws IOException {
        if (written != rows) {
            for (int k = 0; k < rows; k++) {
                if ((seen[k >>> 6] & (1L << k)) == 0) {
                    throw new IOException(file + ": " + (rows - written) + " of " + rows + " keys have no logits, the "
                            + "first is " + k);
                }
            }
        }
        CRC32 crc = new CRC32();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long end = header + (long) rows * classes * 4;
        for (long pos = header; pos < end; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
            int n = channel.read(buf, pos);
            if (n <= 0) {
                throw new IOException(tmp + ": ends early");
            }
            buf.flip();
            crc.update(buf);
            pos += n;
        }
        ByteBuffer tail = ByteBuffer.allocate(8).putLong(crc.getValue()).flip();
        while (tail.hasRemaining()) {
            channel.write(tail, end + tail.position());
        }
        channel.force(true);
        channel.close();
        AtomicFiles.moveAtomically(tmp, file);
        done = true;
        return MappedTeacherOutputs.open(file);
    }

    /** Abandons the file unless {@link #finish()} succeeded. */
    @Override
    public void close() throws IOException {
        if (channel.isOpen()) {
            channel.close();
        }
        if (!done) {
            Files.deleteIfExists(tmp);
        }
    }
}
