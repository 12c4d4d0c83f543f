package org.distill4j.provenance.signing;

import org.distill4j.provenance.ProvenanceException;

/**
 * A key file cannot be used: missing, not PEM, not an elliptic-curve key, an unsupported curve,
 * or encrypted. The message names the file and says how to make a usable one. Unlike {@link
 * SignatureException} this says nothing about the model: the user gave the wrong key file.
 */
public final class KeyFileException extends ProvenanceException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception whose message names the key file. */
    public KeyFileException(String message) {
        super(message);
    }

    /** Creates an exception whose message names the key file, with its cause. */
    public KeyFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
