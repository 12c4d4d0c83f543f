package org.distill4j.lm.token;

/**
 * Turns text into token ids and back. Implementations are immutable and thread-safe.
 *
 * <p>Contract: {@link #encode} never emits {@link #bos()} or {@link #eos()} (document boundaries
 * are added by the packer, not the tokenizer); {@code decode(encode(s)).equals(s)} for every valid
 * string; {@link #byteLength} of the ids of a text sums to the text's UTF-8 length, which is what
 * bits per byte divides by.
 */
public interface Tokenizer {

    /** Returns the ids of {@code text}, without BOS/EOS. */
    int[] encode(String text);

    /**
     * Returns the text of {@code ids}; BOS and EOS are dropped, and byte sequences that are not
     * valid UTF-8 (possible in sampled text) decode to U+FFFD.
     */
    String decode(int[] ids);

    /** Returns the number of UTF-8 bytes token {@code id} stands for (0 for BOS/EOS). */
    int byteLength(int id);

    /** Returns the number of token ids; ids are in [0, vocabSize). */
    default int vocabSize() {
        return identity().vocabSize();
    }

    /** Returns the id of the beginning-of-document token. */
    default int bos() {
        return identity().bos();
    }

    /** Returns the id of the end-of-document token. */
    default int eos() {
        return identity().eos();
    }

    /** Returns what this tokenizer is, for {@code model.json} and provenance. */
    TokenizerIdentity identity();

    /**
     * Returns the tokenizer an identity names.
     *
     * @throws IllegalArgumentException if the kind or version is unknown; the message lists the known ones
     */
    static Tokenizer of(TokenizerIdentity identity) {
        if (identity.kind().equals(ByteTokenizer.KIND) && identity.equals(ByteTokenizer.INSTANCE.identity())) {
            return ByteTokenizer.INSTANCE;
        }
        throw new IllegalArgumentException(
                "unknown tokenizer " + identity + "; known: " + ByteTokenizer.INSTANCE.identity());
    }
}
