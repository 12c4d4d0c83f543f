package org.distill4j.audit;

/**
 * The audit cannot give a p-value because its inputs do not fit together: a model with another
 * label set or input shape than the teacher, too few references, an empty data set. The message
 * names the model and what was expected.
 */
public final class AuditException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message naming what is wrong. */
    public AuditException(String message) {
        super(message);
    }

    /** Creates the exception with a message and its cause. */
    public AuditException(String message, Throwable cause) {
        super(message, cause);
    }
}
