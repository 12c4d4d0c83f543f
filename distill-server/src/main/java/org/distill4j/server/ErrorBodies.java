package org.distill4j.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one place that maps a refusal to the API's error body. Paths under {@code /v1} get OpenAI's
 * shape {@code {"error": {"message", "type", "param", "code"}}}; every other path gets the Open
 * Inference Protocol's {@code {"error": "message"}}. Used for the server's own refusals and for the
 * errors Jetty raises before a request reaches the router (see {@link JsonErrorHandler}).
 */
final class ErrorBodies {

    private ErrorBodies() {}

    /** Whether {@code path} belongs to the OpenAI facade. */
    static boolean isOpenAi(String path) {
        return path != null && (path.equals("/v1") || path.startsWith("/v1/"));
    }

    /** The error body for {@code e} on {@code path}. */
    static ObjectNode body(ApiException e, String path) {
        ObjectNode o = ModelServer.JSON.createObjectNode();
        if (!isOpenAi(path)) {
            o.put("error", e.getMessage());
            return o;
        }
        ObjectNode err = o.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", type(e.status));
        if (e.param == null) {
            err.putNull("param");
        } else {
            err.put("param", e.param);
        }
        if (e.code == null) {
            err.putNull("code");
        } else {
            err.put("code", e.code);
        }
        return o;
    }

    /** OpenAI's error type for an HTTP status. */
    static String type(int status) {
        if (status == 401) {
            return "authentication_error";
        }
        if (status == 429) {
            return "rate_limit_error";
        }
        return status >= 500 ? "server_error" : "invalid_request_error";
    }

    /** The refusal of a request hook, as the API's exception. */
    static ApiException of(RequestRefusedException e) {
        return new ApiException(e.status(), e.getMessage(), null, e.code());
    }
}
