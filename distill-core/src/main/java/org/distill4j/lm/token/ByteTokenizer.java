package org.distill4j.lm.token;

import java.nio.charset.StandardCharsets;

/**
 * The default tokenizer: one token per UTF-8 byte (ids 0..255 are the byte values), plus BOS =
 * 256 and EOS = 257, so the vocabulary has 258 ids. It needs no training and no file, and every
 * token stands for exactly one byte, so bits per token equals bits per byte.
 */
public final class ByteTokenizer implements Tokenizer {

    /** The kind recorded in {@link TokenizerIdentity}. */
    public static final String KIND = "byte";

    /** Id of BOS. */
    public static final int BOS = 256;

    /** Id of EOS. */
    public static final int EOS = 257;

    /** The one instance. */
    public static final ByteTokenizer INSTANCE = new ByteTokenizer();

    private static final TokenizerIdentity IDENTITY = new TokenizerIdentity(KIND, 1, 258, BOS, EOS);

    private ByteTokenizer() {}

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xff;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] bytes = new byte[ids.length];
        int n = 0;
        for (int id : ids) {
            if (id < 0 || id >= IDENTITY.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " out of range [0, 258)");
            }
            if (id < 256) {
                bytes[n++] = (byte) id;
            }
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public int byteLength(int id) {
        return id < 256 ? 1 : 0;
    }

    @Override
    public byte[] bytes(int id) {
        if (id < 0 || id >= IDENTITY.vocabSize()) {
            throw new IllegalArgumentException("token id " + id + " out of range [0, 258)");
        }
        return id < 256 ? new byte[] {(byte) id} : new byte[0];
    }

    @Override
    public int id(byte[] bytes) {
        return bytes.length == 1 ? bytes[0] & 0xff : -1;
    }

    @Override
    public TokenizerIdentity identity() {
        return IDENTITY;
    }

    @Override
    public String toString() {
        return IDENTITY.toString();
    }
}
