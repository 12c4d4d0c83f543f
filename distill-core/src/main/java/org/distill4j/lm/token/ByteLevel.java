package org.distill4j.lm.token;

import java.util.Arrays;

/**
 * GPT-2's reversible map between bytes and printable characters, which byte-level BPE files
 * ({@code tokenizer.json}, {@code vocab.json}) use to write tokens as strings: the 188 printable
 * Latin-1 bytes stand for themselves and the other 68 for U+0100 upwards, in byte order (so a space
 * is {@code Ġ}, U+0120).
 */
final class ByteLevel {

    private static final char[] CHAR_OF = new char[256];
    private static final int[] BYTE_OF = new int[512];

    static {
        Arrays.fill(BYTE_OF, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE;
            char c = printable ? (char) b : (char) next++;
            CHAR_OF[b] = c;
            BYTE_OF[c] = b;
        }
    }

    private ByteLevel() {}

    /** Returns the string that stands for {@code bytes}. */
    static String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = CHAR_OF[bytes[i] & 0xff];
        }
        return new String(chars);
    }

    /**
     * Returns the bytes {@code text} stands for.
     *
     * @throws IllegalArgumentException if a character is not one of the 256 byte characters
     */
    static byte[] decode(String text) {
        byte[] bytes = new byte[text.length()];
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int b = c < BYTE_OF.length ? BYTE_OF[c] : -1;
            if (b < 0) {
                throw new IllegalArgumentException("character U+" + String.format("%04X", (int) c) + " at " + i
                        + " of '" + text + "' is not a byte-level character (GPT-2's byte map)");
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
