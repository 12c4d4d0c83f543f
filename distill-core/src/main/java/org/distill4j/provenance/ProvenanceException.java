package org.distill4j.provenance;

import java.io.IOException;

/**
 * A provenance manifest is missing, unreadable or malformed. The message always names the file,
 * so a user can find it without a stack trace.
 */
public class ProvenanceException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message that names the file concerned. */
    public ProvenanceException(String message) {
        super(message);
    }

    /** Creates an exception with a message that names the file concerned, and its cause. */
    public ProvenanceException(String message, Throwable cause) {
        super(message, cause);
    }
}
