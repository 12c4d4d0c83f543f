package org.distill4j.data;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 helpers for content hashes: fixed-width big-endian encodings, so fields never blur. */
final class Hashing {

    private Hashing() {}

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256.
            throw new IllegalStateException(e);
        }
    }

    static void updateInt(MessageDigest sha, int v) {
        sha.update(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    static void updateLong(MessageDigest sha, long v) {
        updateInt(sha, (int) (v >>> 32));
        updateInt(sha, (int) v);
    }
}
