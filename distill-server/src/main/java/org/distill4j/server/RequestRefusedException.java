package org.distill4j.server;

/**
 * Thrown by a {@link RequestObserver} to refuse a request: the client gets {@code status} (4xx or
 * 5xx) and the message in the API's error body. The message must not contain secrets.
 */
public final class RequestRefusedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    /**
     * @param status HTTP status in [400, 599], e.g. 429 for a client over its budget
     * @param code short machine-readable code for OpenAI-style bodies, e.g. {@code rate_limited}
     * @param message what the client reads
     */
    public RequestRefusedException(int status, String code, String message) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("illegal status: " + status + ", must be in [400, 599]");
        }
        this.status = status;
        this.code = code;
    }

    /** The HTTP status the client gets. */
    public int status() {
        return status;
    }

    /** The machine-readable code, or null. */
    public String code() {
        return code;
    }
}
