package org.distill4j.teacher.http.lm;

import java.io.IOException;

/**
 * A completions server refused a request with a client error (4xx other than 408 and 429), which a
 * retry cannot mend. Callers act on the {@link #status()} (and, for a hint, on the server's own
 * words in {@link #body()}) rather than on the message's text.
 */
public final class RefusedRequestException extends IOException {

    private final int status;
    private final String body;

    /**
     * @param message what was refused, naming the endpoint
     * @param status the HTTP status, in [400, 500)
     * @param body the server's answer, with any API key scrubbed and long bodies abbreviated
     */
    public RefusedRequestException(String message, int status, String body) {
        super(message);
        this.status = status;
        this.body = body;
    }

    /** Returns the HTTP status. */
    public int status() {
        return status;
    }

    /** Returns the server's answer (scrubbed, abbreviated). */
    public String body() {
        return body;
    }
}
