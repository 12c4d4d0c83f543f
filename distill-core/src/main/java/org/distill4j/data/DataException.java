package org.distill4j.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data set could not be loaded. The message names the offending file (or directory) and says
 * what was found versus what was expected; {@link #file()} returns that path.
 */
public class DataException extends IOException {

    // Path is not serializable; the message carries it anyway.
    private final transient Path file;

    /**
     * @param file the file or directory at fault
     * @param message what was found and what was expected, naming {@code file}
     */
    public DataException(Path file, String message) {
        super(message);
        this.file = file;
    }

    /**
     * @param file the file or directory at fault
     * @param message what was found and what was expected, naming {@code file}
     * @param cause the underlying failure
     */
    public DataException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** Returns the file or directory at fault. */
    public Path file() {
        return file;
    }
}
