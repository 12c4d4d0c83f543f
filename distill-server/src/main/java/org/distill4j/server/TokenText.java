package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.distill4j.lm.token.Tokenizer;

/**
 * How tokens appear in OpenAI-format answers. A token stands for bytes (one byte for the byte
 * tokenizer, several for a BPE), which need not be valid UTF-8 alone: a character outside ASCII can
 * span several byte tokens, and a BPE token can end inside a character. As OpenAI does for such
 * partial tokens, a token whose bytes are valid UTF-8 is its text, and any other is the string
 * {@code bytes:} followed by {@code \xNN} for each byte (two lower-case hex digits); the chat
 * format's {@code bytes} array holds the byte values. BOS is {@code <|bos|>} and EOS {@code <|eos|>},
 * with {@code bytes} null. Text is decoded from the bytes, with U+FFFD for invalid sequences.
 */
final class TokenText {

    static final String BOS = "<|bos|>";
    static final String EOS = "<|eos|>";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private TokenText() {}

    /** The token string of {@code id} under {@code tokenizer}. */
    static String token(Tokenizer tokenizer, int id) {
        if (id == tokenizer.bos()) {
            return BOS;
        }
        if (id == tokenizer.eos()) {
            return EOS;
        }
        byte[] b = tokenizer.bytes(id);
        boolean ascii = true;
        for (byte x : b) {
            ascii &= x >= 0;
        }
        if (ascii) { // most tokens: no decoder needed (this runs k times per scored position)
            return new String(b, StandardCharsets.US_ASCII);
        }
        CharsetDecoder strict = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return strict.decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            StringBuilder s = new StringBuilder("bytes:");
            for (byte x : b) {
                s.append(String.format(Locale.ROOT, "\\x%02x", x & 0xff));
            }
            return s.toString();
        }
    }

    /** The {@code bytes} field of {@code id}: its byte values, null for BOS/EOS. */
    static JsonNode bytes(Tokenizer tokenizer, int id) {
        if (tokenizer.byteLength(id) == 0) {
            return F.nullNode();
        }
        ArrayNode a = F.arrayNode();
        for (byte x : tokenizer.bytes(id)) {
            a.add(x & 0xff);
        }
        return a;
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
