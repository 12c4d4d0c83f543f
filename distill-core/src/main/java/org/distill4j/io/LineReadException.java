package org.distill4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A text file could not be read line by line: a line longer than the bound, bytes that are not
 * UTF-8, or a damaged gzip stream. The message names the file and the 1-based line; {@link
 * #file()}, {@link #line()} and {@link #kind()} say the same for code.
 */
public final class LineReadException extends IOException {

    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** A line exceeds the reader's bound. */
        TOO_LONG,
        /** Bytes that are not UTF-8. */
        NOT_UTF8,
        /** The gzip stream is damaged or cut short. */
        BROKEN_GZIP
    }

    // Path is not serializable; the message carries it anyway.
    private final transient Path file;
    private final long line;
    private final Kind kind;

    /**
     * @param file the file being read
     * @param line the 1-based line at fault
     * @param kind what went wrong
     * @param message the full message, naming the file and line
     * @param cause the underlying failure, or null
     */
    public LineReadException(Path file, long line, Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
        this.line = line;
        this.kind = kind;
    }

    /**
     * @param file the file being read
     * @param line the 1-based line at fault
     * @param kind what went wrong
     * @param message the full message, naming the file and line
     */
    public LineReadException(Path file, long line, Kind kind, String message) {
        this(file, line, kind, message, null);
    }

    /** Returns the file being read. */
    public Path file() {
        return file;
    }

    /** Returns the 1-based line at fault. */
    public long line() {
        return line;
    }

    /** Returns what went wrong. */
    public Kind kind() {
        return kind;
    }
}
