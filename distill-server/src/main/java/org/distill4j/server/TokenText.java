package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.distill4j.lm.token.ByteTokenizer;

/**
 * How byte-level tokens appear in OpenAI-format answers. A token is one byte, so a character
 * outside ASCII spans several tokens, none of which is valid UTF-8 alone. As OpenAI does for such
 * partial tokens, a byte below 0x80 is its character, a byte from 0x80 is the string {@code
 * bytes:\xNN} (two lower-case hex digits), and the chat format's {@code bytes} array holds the byte
 * value; BOS is {@code <|bos|>} and EOS {@code <|eos|>}, with {@code bytes} null. Text is decoded
 * from the bytes, with U+FFFD for invalid sequences.
 */
final class TokenText {

    static final String BOS = "<|bos|>";
    static final String EOS = "<|eos|>";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private TokenText() {}

    /** The token string of {@code id}. */
    static String token(int id) {
        if (id == ByteTokenizer.BOS) {
            return BOS;
        }
        if (id == ByteTokenizer.EOS) {
            return EOS;
        }
        return id < 0x80 ? String.valueOf((char) id) : String.format(Locale.ROOT, "bytes:\\x%02x", id);
    }

    /** The {@code bytes} field of {@code id}: {@code [id]} for a byte, null for BOS/EOS. */
    static JsonNode bytes(int id) {
        if (id >= 256) {
            return F.nullNode();
        }
        ArrayNode a = F.arrayNode();
        a.add(id);
        return a;
    }

    /** The number of bytes token {@code id} stands for. */
    static int byteLength(int id) {
        return id < 256 ? 1 : 0;
    }

    /** The text of {@code bytes[from, to)}. */
    static String decode(byte[] bytes, int from, int to) {
        return new String(bytes, from, to - from, StandardCharsets.UTF_8);
    }

    /**
     * The largest cut {@code c <= end} such that decoding {@code [0, c)} and {@code [c, ...)}
     * apart gives the same text as decoding them together, whatever bytes follow: {@code end}
     * unless the bytes before it end inside an incomplete UTF-8 sequence, then the start of that
     * sequence. Streams cut only there, so their pieces concatenate to the whole text.
     */
    static int boundary(byte[] bytes, int end) {
        for (int i = end - 1; i >= Math.max(0, end - 4); i--) {
            int b = bytes[i] & 0xff;
            if ((b & 0xC0) != 0x80) { // not a continuation byte: the last sequence starts here
                int need = b >= 0xF8 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
                return end - i < need ? i : end;
            }
        }
        return end;
    }

    /**
     * The UTF-16 offset in the decoded text of the byte at {@code pos}: the length of the text
     * decoded from the bytes before the sequence that byte belongs to.
     */
    static int textOffset(byte[] bytes, int pos) {
        return decode(bytes, 0, boundary(bytes, pos)).length();
    }
}
