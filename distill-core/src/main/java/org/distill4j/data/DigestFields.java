package org.distill4j.data;

import java.security.MessageDigest;

/** SHA-256 helpers for content hashes: fixed-width big-endian encodings, so fields never blur. */
final class DigestFields {

    private DigestFields() {}

    static MessageDigest sha256() {
        return org.distill4j.io.Hashing.sha256();
    }

    static void updateInt(MessageDigest sha, int v) {
        sha.update(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    static void updateLong(MessageDigest sha, long v) {
        updateInt(sha, (int) (v >>> 32));
        updateInt(sha, (int) v);
    }
}
