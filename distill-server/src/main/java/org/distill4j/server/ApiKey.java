package org.distill4j.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * The server's API key checks and the client identity the serving hooks see. Client keys (any
 * number) open the model endpoints; a separate admin key, never a client key, opens {@code
 * /admin/*}. Keys are compared in constant time (every key is compared, whichever matches) and
 * never echoed or logged; a client is named by a fingerprint of its key, or by its address when
 * the server has no client key.
 */
final class ApiKey {

    private final List<byte[]> keys = new ArrayList<>();
    private final List<String> clients = new ArrayList<>();
    private final byte[] admin;

    /**
     * @param keys the client keys, empty for none (the model endpoints are then open)
     * @param admin the admin key, or null for none (the admin endpoints are then closed)
     */
    ApiKey(List<String> keys, String admin) {
        for (String k : keys) {
            byte[] b = k.getBytes(StandardCharsets.UTF_8);
            this.keys.add(b);
            this.clients.add(fingerprint(b));
        }
        this.admin = admin == null ? null : admin.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code key:} and the first 16 hex digits of the SHA-256 of {@code key}'s UTF-8 bytes. */
    static String fingerprint(byte[] key) {
        return "key:" + sha256(key).substring(0, 16);
    }

    /**
     * Returns who sent {@code request} (see {@link ClientRequest#client()}), or throws a 401 unless
     * it carries {@code Authorization: Bearer <key>} with a client key (or the server has none).
     */
    String check(Request request) {
        if (keys.isEmpty()) {
            return "addr:" + Request.getRemoteAddr(request);
        }
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        byte[] given = bearer(auth);
        int match = -1;
        for (int i = 0; i < keys.size(); i++) {
            if (MessageDigest.isEqual(given, keys.get(i))) {
                match = i;
            }
        }
        if (match < 0) {
            throw new ApiException(
                    401,
                    auth == null
                            ? "missing API key: send the header Authorization: Bearer <key>"
                            : "invalid API key in the Authorization header (expected Bearer <key>)",
                    null,
                    "invalid_api_key");
        }
        return clients.get(match);
    }

    /**
     * Throws unless {@code request} carries the admin key: 404 when the server has none (the admin
     * endpoints are off), else 401. A client key is not an admin key.
     */
    void checkAdmin(Request request) {
        if (admin == null) {
            throw new ApiException(
                    404,
                    "the admin endpoints are off: start the server with an admin key (distill serve "
                            + "--admin-key-file FILE)",
                    null,
                    "not_found");
        }
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (!MessageDigest.isEqual(bearer(auth), admin)) {
            throw new ApiException(
                    401,
                    auth == null
                            ? "missing admin key: send the header Authorization: Bearer <admin key>"
                            : "invalid admin key in the Authorization header (a client API key is not an admin key)",
                    null,
                    "invalid_admin_key");
        }
    }

    private static byte[] bearer(String auth) {
        return auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
                ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8)
                : new byte[0];
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
