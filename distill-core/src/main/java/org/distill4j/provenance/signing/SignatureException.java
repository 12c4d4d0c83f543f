package org.distill4j.provenance.signing;

import org.distill4j.provenance.ProvenanceException;

/**
 * A model's signature is missing, malformed, made with another key, or does not match the files:
 * the model must not be trusted. The message names the file or key concerned and what was
 * expected, so a user can act on it without a stack trace.
 */
public final class SignatureException extends ProvenanceException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception whose message names the file or key concerned. */
    public SignatureException(String message) {
        super(message);
    }

    /** Creates an exception whose message names the file or key concerned, with its cause. */
    public SignatureException(String message, Throwable cause) {
        super(message, cause);
    }
}
