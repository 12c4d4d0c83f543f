package org.distill4j.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own errors (a malformed request line, a URI or headers over the size limit, a bad
 * header) in the API's JSON error format instead of Jetty's HTML page, through {@link ErrorBodies}.
 * Jetty's reason is shortened with {@link Tensors#abbreviate}, so nothing the client sent is echoed
 * at length.
 */
final class JsonErrorHandler extends ErrorHandler {

    private final int requestHeaderBytes;

    JsonErrorHandler(int requestHeaderBytes) {
        this.requestHeaderBytes = requestHeaderBytes;
    }

    /** Every method gets a body; Jetty's default sends an empty one except to GET, POST and HEAD. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(
            Request request, Response response, int code, String message, Throwable cause, Callback callback)
            throws IOException {
        String path = request.getHttpURI() == null ? null : request.getHttpURI().getPath();
        byte[] body = bytes(code, message, path);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        // A request Jetty refused is malformed, its body (if any) unread, and Jetty may end the
        // connection; it does not always say so, and its error request no longer shows whether a
        // body came. Always close: else a keep-alive client sends its next request into a closed
        // socket (found by HttpFuzzTest). Such requests are rare; a new connection is cheap.
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** The body Jetty sends when it cannot even build a request (the parser failed). */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        fields.put(new HttpField(HttpHeader.CONNECTION, "close"));
        return ByteBuffer.wrap(bytes(status, reason, null));
    }

    private byte[] bytes(int code, String reason, String path) {
        ApiException e = new ApiException(code, message(code, reason), null, code(code));
        try {
            return ModelServer.JSON.writeValueAsBytes(ErrorBodies.body(e, path));
        } catch (IOException x) {
            throw new IllegalStateException("cannot write JSON: " + x.getMessage(), x);
        }
    }

    private String message(int code, String reason) {
        String why = reason == null || reason.isBlank() ? "" : " (" + Tensors.abbreviate(reason, 120) + ")";
        return switch (code) {
            case 400 -> "bad request: the request line or headers are malformed" + why;
            case 414 ->
                "request URI is too long: request line and headers are limited to " + requestHeaderBytes + " bytes"
                        + why;
            case 431 ->
                "request headers are too large: request line and headers are limited to " + requestHeaderBytes
                        + " bytes" + why;
            default -> HttpStatus.getMessage(code).toLowerCase(java.util.Locale.ROOT) + why;
        };
    }

    private static String code(int code) {
        return switch (code) {
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            case 404 -> "not_found";
            default -> code >= 500 ? "server_error" : "bad_request";
        };
    }
}
