package org.distill4j.teacher.http;

import java.util.Objects;

/**
 * A response (or one item of it) that cannot be turned into teacher outputs: bad JSON, wrong
 * shape, non-finite values, probabilities that do not sum to 1, or no label among the listed
 * tokens. Carries the {@link ErrorKind} it is counted and journaled under.
 */
public final class MalformedResponseException extends Exception {

    private final ErrorKind kind;

    /**
     * Creates the exception.
     *
     * @param kind the kind of malformation
     * @param message what was wrong, with the offending value and what was expected
     */
    public MalformedResponseException(ErrorKind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** Returns the kind of malformation. */
    public ErrorKind kind() {
        return kind;
    }
}
