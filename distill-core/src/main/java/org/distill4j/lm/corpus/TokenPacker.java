package org.distill4j.lm.corpus;

import java.io.IOException;
import org.distill4j.lm.token.Tokenizer;

/**
 * Packs documents, one at a time, into a token stream: every document becomes {@code BOS, its
 * tokens..., EOS}, appended in the order given (the packing {@link TokenWindows} documents). It is
 * the one place windows' tokens come from, whether the stream is held in memory ({@link
 * TokenWindows#pack}) or written to a {@link TokenFile} (a corpus larger than memory), so both give
 * the same tokens. It also counts what bits per byte needs: the targets (every token after the
 * first) and the UTF-8 bytes they stand for. Not thread-safe.
 */
public final class TokenPacker {

    /** Where packed tokens go. */
    public interface Sink {
        /** Appends {@code tokens[0..n)}. */
        void append(int[] tokens, int n) throws IOException;
    }

    private final Tokenizer tokenizer;
    private final Sink sink;
    private long tokens;
    private long targetBytes;
    private long documents;

    /** A packer that tokenizes with {@code tokenizer} and appends to {@code sink}. */
    public TokenPacker(Tokenizer tokenizer, Sink sink) {
        this.tokenizer = tokenizer;
        this.sink = sink;
    }

    /** Tokenizes {@code text} and appends it with its boundary tokens. */
    public void add(String text) throws IOException {
        addEncoded(tokenizer.encode(text));
    }

    /** Appends a document already tokenized by this packer's tokenizer, with its boundary tokens. */
    public void addEncoded(int[] ids) throws IOException {
        int[] boundary = {tokenizer.bos(), tokenizer.eos()};
        // The stream's first token is never a target: its bytes do not count.
        targetBytes += (tokens == 0 ? 0 : tokenizer.byteLength(boundary[0])) + tokenizer.byteLength(boundary[1]);
        for (int id : ids) {
            targetBytes += tokenizer.byteLength(id);
        }
        sink.append(boundary, 1);
        sink.append(ids, ids.length);
        sink.append(new int[] {boundary[1]}, 1);
        tokens += ids.length + 2L;
        documents++;
    }

    /** Returns the tokens appended so far. */
    public long tokens() {
        return tokens;
    }

    /** Returns the targets so far: every token after the first. */
    public long targetTokens() {
        return Math.max(0, tokens - 1);
    }

    /** Returns the UTF-8 bytes the targets stand for. */
    public long targetBytes() {
        return targetBytes;
    }

    /** Returns the documents added. */
    public long documents() {
        return documents;
    }

    /** Returns the tokenizer. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }
}
