package org.distill4j.lm.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.distill4j.data.CorruptDataException;

/**
 * Reads lines as raw bytes with a cap on the length of one line, so a file without newlines (or a
 * hostile one) cannot exhaust memory. Line terminators ({@code \n}, and a {@code \r} before it) are
 * not part of the line. Not thread-safe; the caller closes the stream.
 */
final class BoundedLineReader {

    private final InputStream in;
    private final Path file;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[1 << 16];
    private int pos;
    private int limit;
    private long lineNumber;

    BoundedLineReader(InputStream in, Path file, int maxLineBytes) {
        this.in = in;
        this.file = file;
        this.maxLineBytes = maxLineBytes;
    }

    /** Returns the 1-based number of the line last returned. */
    long lineNumber() {
        return lineNumber;
    }

    /**
     * Returns the next line's bytes, or null at the end of the stream.
     *
     * @throws CorruptDataException if a line is longer than the cap; the message names file and line
     */
    byte[] next() throws IOException {
        byte[] line = new byte[256];
        int n = 0;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                limit = in.read(buffer, 0, buffer.length);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    if (!any) {
                        return null;
                    }
                    break;
                }
            }
            any = true;
            byte b = buffer[pos++];
            if (b == '\n') {
                break;
            }
            if (n == maxLineBytes) {
                throw new CorruptDataException(
                        file,
                        file + ":" + (lineNumber + 1) + ": line longer than "
                                + maxLineBytes + " bytes; expected one document per line (raise the line cap "
                                + "if such lines are intended)");
            }
            if (n == line.length) {
                line = Arrays.copyOf(line, Math.min(maxLineBytes, line.length * 2));
            }
            line[n++] = b;
        }
        lineNumber++;
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        return Arrays.copyOf(line, n);
    }
}
