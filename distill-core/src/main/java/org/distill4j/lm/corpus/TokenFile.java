package org.distill4j.lm.corpus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.distill4j.data.CorruptDataException;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.FileRanges;
import org.distill4j.io.SharedReadChannel;
import org.distill4j.lm.token.Tokenizer;

/**
 * A packed token stream on disk, so that a corpus larger than memory can be trained on: written
 * once, document by document ({@link Writer}, a {@link TokenPacker.Sink}), then read by position.
 *
 * <p>Layout, little-endian: magic {@code D4JTOKS1} (8 bytes), int version (1), int bytes per token
 * (2, unsigned, when the vocabulary has at most 65,536 ids, else 4), long tokens, long target bytes
 * (what {@link TokenPacker#targetBytes()} counted), int length and UTF-8 bytes of the tokenizer's
 * identity, then the tokens. Written atomically (a temporary file renamed once complete). Opening
 * checks the header, the tokenizer and the file's length ({@link CorruptDataException} naming the
 * file).
 *
 * <p>Reads are positional ({@link FileChannel#read(ByteBuffer, long)} into a buffer of the range
 * asked for), not a memory mapping: a mapping's touched pages count in the process's resident set
 * until the kernel reclaims them, so one full pass (evaluation, the unigram baseline, a teacher
 * labelling every window) would make the resident set as large as the file. Positional reads go
 * through the kernel's page cache, which is shared and evicted under pressure, and the process
 * holds only the range it asked for. Reads are thread-safe, and one reader's interrupt does not end
 * the others' ({@link SharedReadChannel}); close the file when done.
 */
public final class TokenFile implements TokenStream, AutoCloseable {

    private static final byte[] MAGIC = "D4JTOKS1".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    private final Path file;
    private final SharedReadChannel channel;
    private final int width;
    private final long tokens;
    private final long targetBytes;
    private final long dataStart;

    private TokenFile(Path file, SharedReadChannel channel, int width, long tokens, long targetBytes, long dataStart) {
        this.file = file;
        this.channel = channel;
        this.width = width;
        this.tokens = tokens;
        this.targetBytes = targetBytes;
        this.dataStart = dataStart;
    }

    /**
     * Opens a file written by {@link Writer} for {@code tokenizer}.
     *
     * @throws CorruptDataException if it is not a token file of this version and tokenizer, or its
     *     length does not match its header (the message names the file)
     */
    public static TokenFile open(Path file, Tokenizer tokenizer) throws IOException {
        SharedReadChannel ch = new SharedReadChannel(file);
        try {
            ByteBuffer head = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(head, 0);
            byte[] magic = new byte[8];
            head.flip();
            if (head.remaining() < 36) {
                throw corrupt(file, "shorter than the header");
            }
            head.get(magic);
            int version = head.getInt();
            int width = head.getInt();
            long tokens = head.getLong();
            long targetBytes = head.getLong();
            int idLength = head.getInt();
            if (!Arrays.equals(magic, MAGIC) || version != VERSION) {
                throw corrupt(file, "not a distill4j token file of version " + VERSION);
            }
            if ((width != 2 && width != 4) || tokens < 0 || targetBytes < 0 || idLength < 0 || idLength > 4096) {
                throw corrupt(
                        file,
                        "bad header (bytes per token " + width + ", tokens " + tokens + ", target bytes " + targetBytes
                                + ", identity length " + idLength + ")");
            }
            ByteBuffer id = ByteBuffer.allocate(idLength);
            ch.read(id, 36);
            String identity = new String(id.array(), 0, id.position(), StandardCharsets.UTF_8);
            if (!identity.equals(tokenizer.identity().toString())) {
                throw corrupt(
                        file,
                        "tokenized with " + identity + ", expected " + tokenizer.identity()
                                + "; pack the corpus again with this tokenizer");
            }
            long dataStart = 36L + idLength;
            long expected = dataStart + tokens * width;
            if (ch.size() != expected) {
                throw corrupt(
                        file,
                        ch.size() + " bytes, expected " + expected + " for " + tokens
                                + " tokens (truncated or not written completely)");
            }
            return new TokenFile(file, ch, width, tokens, targetBytes, dataStart);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static CorruptDataException corrupt(Path file, String what) {
        return new CorruptDataException(file, "token file " + file + ": " + what);
    }

    /** Returns the file. */
    public Path file() {
        return file;
    }

    @Override
    public long length() {
        return tokens;
    }

    /** Returns the UTF-8 bytes the stream's targets stand for. */
    public long targetBytes() {
        return targetBytes;
    }

    @Override
    public void copy(long from, int[] out, int offset, int n) {
        if (from < 0 || n < 0 || from + n > tokens || offset < 0 || offset + n > out.length) {
            throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + n) + ") of " + tokens + " in " + file
                    + " into " + out.length + " at " + offset);
        }
        ByteBuffer buf = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (!channel.read(buf, dataStart + from * width)) {
                throw new CorruptDataException(file, file + ": ended before token " + (from + n));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read tokens " + from + ".." + (from + n), e);
        }
        buf.flip();
        if (width == 2) {
            for (int i = 0; i < n; i++) {
                out[offset + i] = Short.toUnsignedInt(buf.getShort());
            }
        } else {
            for (int i = 0; i < n; i++) {
                out[offset + i] = buf.getInt();
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /**
     * Writes a token file: append tokens (it is a {@link TokenPacker.Sink}), then {@link #commit};
     * until then the tokens are in a temporary file next to the target, deleted by {@link #close}
     * if the write did not complete. Not thread-safe.
     */
    public static final class Writer implements TokenPacker.Sink, AutoCloseable {

        private final Path target;
        private final Path tmp;
        private final FileChannel channel;
        private final String identity;
        private final int width;
        private final int vocabSize;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final long dataStart;
        private long tokens;
        private boolean committed;

        /** Starts writing {@code target} for tokens of {@code tokenizer}. */
        public Writer(Path target, Tokenizer tokenizer) throws IOException {
            this.target = target;
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            this.tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            this.channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
            this.identity = tokenizer.identity().toString();
            this.vocabSize = tokenizer.vocabSize();
            this.width = vocabSize <= 65536 ? 2 : 4;
            this.dataStart = 36L + identity.getBytes(StandardCharsets.UTF_8).length;
            channel.position(dataStart);
        }

        @Override
        public void append(int[] ids, int n) throws IOException {
            for (int i = 0; i < n; i++) {
                int id = ids[i];
                if (id < 0 || id >= vocabSize) {
                    throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocabSize);
                }
                if (buffer.remaining() < 4) {
                    flush();
                }
                if (width == 2) {
                    buffer.putShort((short) id);
                } else {
                    buffer.putInt(id);
                }
            }
            tokens += n;
        }

        private void flush() throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }

        /**
         * Writes the header and renames the file into place.
         *
         * @param targetBytes what the packer counted ({@link TokenPacker#targetBytes()})
         */
        public void commit(long targetBytes) throws IOException {
            flush();
            byte[] id = identity.getBytes(StandardCharsets.UTF_8);
            ByteBuffer head = ByteBuffer.allocate((int) dataStart).order(ByteOrder.LITTLE_ENDIAN);
            head.put(MAGIC).putInt(VERSION).putInt(width).putLong(tokens).putLong(targetBytes);
            head.putInt(id.length).put(id).flip();
            FileRanges.write(channel, head, 0);
            channel.force(true);
            channel.close();
            try {
                // createTempFile makes owner-only files; a packed corpus is shared like any output.
                Files.setPosixFilePermissions(
                        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: keep its defaults.
            }
            AtomicFiles.moveAtomically(tmp, target);
            committed = true;
        }

        /** Returns the tokens appended so far. */
        public long tokens() {
            return tokens;
        }

        @Override
        public void close() throws IOException {
            channel.close();
            if (!committed) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
