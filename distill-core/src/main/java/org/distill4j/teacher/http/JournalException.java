package org.distill4j.teacher.http;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A collection journal that cannot be used: written for a different job (its fingerprint differs)
 * or damaged before its last line. The message names the file and says how to proceed.
 */
public final class JournalException extends IOException {

    private final Path file;

    /**
     * Creates the exception.
     *
     * @param file the journal file
     * @param message what is wrong and how to proceed
     */
    public JournalException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    /** Returns the journal file. */
    public Path file() {
        return file;
    }
}
