package org.distill4j.lm.token;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

    /**
     * Returns the bytes token {@code id} stands for (a fresh array; empty for BOS/EOS), which may
     * be part of a UTF-8 sequence.
     *
     * @throws IllegalArgumentException if the id is out of range
     */
    byte[] bytes(int id);

    /**
     * Returns the id of the ordinary token that stands for exactly {@code bytes}, or -1 if none
     * does (how a token string from another system is mapped back to an id).
     */
    int id(byte[] bytes);

    /**
     * Writes into a model directory the files {@link #load} needs to rebuild this tokenizer (none
     * for {@link ByteTokenizer}; {@value BpeTokenizer#FILE} for {@link BpeTokenizer}), atomically.
     */
    default void writeTo(Path modelDir) throws IOException {}

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
     * Returns the tokenizer an identity names, for tokenizers that need no file.
     *
     * @throws IllegalArgumentException if the kind or version is unknown or needs a file; the message
     *     lists the known ones
     */
    static Tokenizer of(TokenizerIdentity identity) {
        if (identity.kind().equals(ByteTokenizer.KIND) && identity.equals(ByteTokenizer.INSTANCE.identity())) {
            return ByteTokenizer.INSTANCE;
        }
        throw new IllegalArgumentException("unknown tokenizer " + identity + "; known: "
                + ByteTokenizer.INSTANCE.identity() + ", and " + BpeTokenizer.KIND + "/v1 with its "
                + BpeTokenizer.FILE);
    }

    /**
     * Returns the tokenizer an identity names, reading the files {@link #writeTo} wrote into {@code
     * dir} when the kind needs them, and checks that what it read is that identity.
     *
     * @throws IOException if a file is missing or holds another tokenizer; the message names it
     * @throws IllegalArgumentException if the kind is unknown
     */
    static Tokenizer load(TokenizerIdentity identity, Path dir) throws IOException {
        if (!identity.kind().equals(BpeTokenizer.KIND)) {
            return of(identity);
        }
        Path file = dir.resolve(BpeTokenizer.FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " is missing: tokenizer " + identity + " is a trained BPE and its"
                    + " vocabulary lives in that file");
        }
        BpeTokenizer t = BpeTokenizer.read(file);
        if (!t.identity().equals(identity)) {
            throw new IOException(file + " holds tokenizer " + t.identity() + ", expected " + identity);
        }
        return t;
    }
}
