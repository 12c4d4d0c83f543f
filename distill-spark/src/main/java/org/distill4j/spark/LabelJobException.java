package org.distill4j.spark;

/** The labelling job failed; the message says which input, teacher or partition and why. */
public final class LabelJobException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public LabelJobException(String message, Throwable cause) {
        super(message, cause);
    }
}
