package org.distill4j.io;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a UTF-8 text file line by line with a bound on each line's length that is enforced
 * <em>while</em> the line is read, so one oversized line (a gzip bomb expanding to gigabytes
 * without a newline) fails fast within a heap of a few times the bound, never with an {@code
 * OutOfMemoryError}. Files whose name ends in {@code .gz} are decompressed on the fly.
 *
 * <p>Contract: lines end at {@code \n}, {@code \r\n} or {@code \r} (as {@link
 * java.io.BufferedReader#readLine()}); line numbers are 1-based and count every line, blank ones
 * included; a UTF-8 byte-order mark at the start of the file is skipped. Every failure is a {@link
 * LineReadException} naming the file and the line: a line longer than the bound, bytes that are not
 * UTF-8, a gzip stream that is damaged or cut short (also at its trailer). Not thread-safe.
 */
public final class BoundedLineReader implements Closeable {

    /**
     * The default bound on one line, in chars: 32 Mi; the system property {@code
     * distill4j.maxLineChars} changes it.
     */
    public static final int DEFAULT_MAX_LINE_CHARS = Integer.getInteger("distill4j.maxLineChars", 32 << 20);

    private static final int BUFFER = 1 << 16;

    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer bytes = ByteBuffer.allocate(BUFFER).flip();
    private boolean eof;
    private boolean malformed;
    private boolean flushed;
    private final Path file;
    private final int maxLineChars;
    private final char[] buf = new char[BUFFER];
    private char[] lineBuf = new char[256];
    private int pos;
    private int end;
    private long line;
    private boolean first = true;
    private boolean skipLf;

    private BoundedLineReader(InputStream in, Path file, int maxLineChars) {
        if (maxLineChars < 1) {
            throw new IllegalArgumentException("illegal maxLineChars value: " + maxLineChars + ", must be >= 1");
        }
        this.in = in;
        this.file = file;
        this.maxLineChars = maxLineChars;
    }

    /**
     * Opens {@code file} (gzip-decompressed when its name ends in {@code .gz}) with the default bound.
     *
     * @throws java.nio.file.NoSuchFileException if it does not exist
     */
    public static BoundedLineReader open(Path file) throws IOException {
        return open(file, DEFAULT_MAX_LINE_CHARS);
    }

    /**
     * Opens {@code file} (gzip-decompressed when its name ends in {@code .gz}).
     *
     * @param maxLineChars the longest line accepted, in chars, &gt;= 1
     */
    public static BoundedLineReader open(Path file, int maxLineChars) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            InputStream bytes = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, BUFFER) : raw;
            return of(bytes, file, maxLineChars);
        } catch (ZipException | EOFException e) {
            raw.close();
            throw new LineReadException(
                    file,
                    1,
                    LineReadException.Kind.BROKEN_GZIP,
                    file + ": not a gzip file (" + e.getMessage()
                            + "), expected gzip-compressed text because the name ends in .gz",
                    e);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Reads UTF-8 lines from an open stream (closed by {@link #close()}).
     *
     * @param file the file the stream reads, for messages
     * @param maxLineChars the longest line accepted, in chars, &gt;= 1
     */
    public static BoundedLineReader of(InputStream bytes, Path file, int maxLineChars) {
        return new BoundedLineReader(bytes, file, maxLineChars);
    }

    /**
     * Returns the next line without its terminator, or null at the end of the file.
     *
     * @throws LineReadException if the line is too long, not UTF-8, or the gzip stream is broken
     */
    public String readLine() throws IOException {
        int have = -1; // chars of the current line kept in lineBuf; -1 while none are
        while (true) {
            if (pos >= end) {
                if (fill()) {
                    continue;
                }
                if (have < 0) {
                    return null;
                }
                line++;
                return new String(lineBuf, 0, have);
            }
            if (skipLf) {
                skipLf = false;
                if (buf[pos] == '\n') {
                    pos++;
                    continue;
                }
            }
            int start = pos;
            while (pos < end && buf[pos] != '\n' && buf[pos] != '\r') {
                pos++;
            }
            int taken = pos - start;
            int kept = Math.max(have, 0);
            if ((long) kept + taken > maxLineChars) {
                throw new LineReadException(
                        file,
                        line + 1,
                        LineReadException.Kind.TOO_LONG,
                        file + ", line " + (line + 1)
                                + ": longer than " + maxLineChars + " characters, expected at most " + maxLineChars
                                + " per line (a damaged or hostile file; the bound is the system property "
                                + "distill4j.maxLineChars)");
            }
            if (pos < end) {
                char terminator = buf[pos++];
                skipLf = terminator == '\r';
                line++;
                if (have < 0) {
                    return new String(buf, start, taken);
                }
                keep(kept, start, taken);
                return new String(lineBuf, 0, kept + taken);
            }
            keep(kept, start, taken);
            have = kept + taken;
        }
    }

    /** Appends {@code buf[start, start + n)} after {@code kept} chars of lineBuf, growing it up to the bound. */
    private void keep(int kept, int start, int n) {
        if (lineBuf.length < kept + n) {
            // Doubling, but never past the bound: the heap a line can take is at most ~2x the bound.
            long grown = Math.max((long) lineBuf.length * 2, kept + n);
            lineBuf = java.util.Arrays.copyOf(lineBuf, (int) Math.min(grown, maxLineChars));
        }
        System.arraycopy(buf, start, lineBuf, kept, n);
    }

    /** Returns the 1-based number of the line last returned (0 before the first). */
    public long lineNumber() {
        return line;
    }

    /** Returns the file being read. */
    public Path file() {
        return file;
    }

    /**
     * Decodes the next chars into {@code buf}. Decoding is done here rather than by a Reader so
     * that the chars before a malformed byte are delivered first: the error is then reported on
     * the line it is in, not on the line a read-ahead buffer happened to start at.
     */
    private boolean fill() throws IOException {
        if (malformed) {
            throw notUtf8(null);
        }
        if (flushed) {
            return false;
        }
        CharBuffer out = CharBuffer.wrap(buf);
        while (true) {
            CoderResult r = decoder.decode(bytes, out, eof);
            if (r.isError()) {
                if (out.position() > 0) {
                    malformed = true;
                    break;
                }
                throw notUtf8(null);
            }
            if (r.isOverflow() || out.position() > 0) {
                break;
            }
            if (eof) {
                decoder.flush(out);
                flushed = true;
                break;
            }
            bytes.compact();
            int n;
            try {
                n = in.read(bytes.array(), bytes.position(), bytes.remaining());
            } catch (ZipException | EOFException e) {
                throw new LineReadException(
                        file,
                        line + 1,
                        LineReadException.Kind.BROKEN_GZIP,
                        file + ": broken gzip "
                                + "stream at line " + (line + 1) + " ("
                                + (e.getMessage() == null ? "cut short before its end" : e.getMessage())
                                + "), expected a complete gzip-compressed file",
                        e);
            }
            if (n < 0) {
                eof = true;
            } else {
                bytes.position(bytes.position() + n);
            }
            bytes.flip();
        }
        pos = 0;
        end = out.position();
        if (first && end > 0) {
            first = false;
            if (buf[0] == '\uFEFF') {
                pos = 1;
            }
        }
        return end > 0;
    }

    private LineReadException notUtf8(Throwable cause) {
        return new LineReadException(
                file,
                line + 1,
                LineReadException.Kind.NOT_UTF8,
                file + ", line " + (line + 1) + ": not valid UTF-8, expected UTF-8 text",
                cause);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
