package org.distill4j.server;

/**
 * A request the server refuses, with the HTTP status and the message the client sees. The message
 * names the field at fault and what was expected. {@code param} and {@code code} fill the
 * OpenAI-style error body on {@code /v1} paths and are ignored by the v2 {@code {"error": ...}}
 * body.
 */
final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int status;
    final String param;
    final String code;

    ApiException(int status, String message, String param, String code) {
        super(message);
        this.status = status;
        this.param = param;
        this.code = code;
    }

    /** A 400 naming the field at fault. */
    static ApiException badRequest(String param, String message) {
        return new ApiException(400, message, param, null);
    }
}
