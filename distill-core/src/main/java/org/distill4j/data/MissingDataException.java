package org.distill4j.data;

import java.nio.file.Path;

/**
 * A data directory or one of its expected files does not exist. The message lists the expected
 * file names and, where known, how to install the data.
 */
public class MissingDataException extends DataException {

    /**
     * @param file the missing file or directory
     * @param message what is missing, what was expected, and how to get it
     */
    public MissingDataException(Path file, String message) {
        super(file, message);
    }
}
