package org.distill4j.data;

import java.nio.file.Path;

/**
 * A data file exists but its content is not what it must be: wrong magic number or number of
 * dimensions, absurd dimensions, truncated, trailing bytes, mismatched counts or labels out of
 * range. The message names the file and states the actual and the expected value.
 */
public class CorruptDataException extends DataException {

    /**
     * @param file the corrupt file
     * @param message the actual value and the expected one, naming {@code file}
     */
    public CorruptDataException(Path file, String message) {
        super(file, message);
    }

    /**
     * @param file the corrupt file
     * @param message the actual value and the expected one, naming {@code file}
     * @param cause the underlying failure, e.g. a broken gzip stream
     */
    public CorruptDataException(Path file, String message, Throwable cause) {
        super(file, message, cause);
    }
}
