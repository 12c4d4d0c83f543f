package org.distill4j.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * The server's API key check and the client identity the serving hooks see. The key is compared
 * in constant time and never echoed or logged; a client is named by a hash of its key, or by its
 * address when the server has no key.
 */
final class ApiKey {

    private final byte[] key;
    private final String client;

    /** @param key the required key, or null for none */
    ApiKey(String key) {
        this.key = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        this.client = key == null ? null : "key:" + sha256(this.key).substring(0, 16);
    }

    /** Throws a 401 unless the request carries {@code Authorization: Bearer <key>} (or no key is set). */
    void check(Request request) {
        if (key == null) {
            return;
        }
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        byte[] given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
                ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8)
                : new byte[0];
        if (!MessageDigest.isEqual(given, key)) {
            throw new ApiException(
                    401,
                    auth == null
                            ? "missing API key: send the header Authorization: Bearer <key>"
                            : "invalid API key in the Authorization header (expected Bearer <key>)",
                    null,
                    "invalid_api_key");
        }
    }

    /** Who sent an authorised request (see {@link ClientRequest#client()}). */
    String client(Request request) {
        return client != null ? client : "addr:" + Request.getRemoteAddr(request);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
