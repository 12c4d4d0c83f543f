package org.distill4j.lm.corpus;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import org.distill4j.lm.token.Tokenizer;

/**
 * Documents packed into fixed-length training windows for next-token prediction.
 *
 * <p>Packing: every document becomes {@code BOS, its tokens..., EOS} and these are concatenated
 * into one stream in document order. Window {@code i} is the stream slice {@code [i*T, i*T + T]}
 * (T + 1 tokens, T = the context length): its first T tokens are the input and its last T the
 * targets, so consecutive windows overlap by one token and every stream token after the first is
 * a target exactly once. Documents are not aligned to windows: a document longer than a window
 * simply continues in the next one(s) (its BOS only in the first), and a window may hold the end
 * of one document and the start of the next, separated by EOS BOS; attention is not reset at that
 * boundary (as in GPT-2's packed training), the markers are what tells the model. The last window
 * is padded: input positions past the stream hold EOS and their target is {@value #IGNORE}.
 *
 * <p>Arrays: {@link #batch} gives inputs and targets of shape (B, T), int64; a target of {@value
 * #IGNORE} is padding, which losses and evaluation skip.
 */
public final class TokenWindows {

    /** The target id of padding positions. */
    public static final int IGNORE = -1;

    private final int[] stream;
    private final int contextLength;
    private final int windows;
    private final int padId;
    private final long targetBytes;
    private final long targetTokens;

    private TokenWindows(int[] stream, int contextLength, Tokenizer tokenizer) {
        this.stream = stream;
        this.contextLength = contextLength;
        this.windows = (stream.length - 1 + contextLength - 1) / contextLength;
        this.padId = tokenizer.eos();
        long b = 0;
        for (int i = 1; i < stream.length; i++) {
            b += tokenizer.byteLength(stream[i]);
        }
        this.targetBytes = b;
        this.targetTokens = stream.length - 1L;
    }

    /**
     * Tokenizes and packs documents.
     *
     * @param documents at least one document
     * @param tokenizer the tokenizer
     * @param contextLength T, the window length, &gt;= 1
     */
    public static TokenWindows pack(List<Document> documents, Tokenizer tokenizer, int contextLength) {
        if (contextLength < 1) {
            throw new IllegalArgumentException("context length must be >= 1, got " + contextLength);
        }
        if (documents.isEmpty()) {
            throw new IllegalArgumentException("no documents to pack into windows");
        }
        int[][] encoded = new int[documents.size()][];
        long total = 0;
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = tokenizer.encode(documents.get(i).text());
            total += encoded[i].length + 2L;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("corpus of " + total + " tokens is too large for one stream; "
                    + "read it with TextCorpus.Options.withMaxBytes");
        }
        int[] stream = new int[(int) total];
        int n = 0;
        for (int[] ids : encoded) {
            stream[n++] = tokenizer.bos();
            System.arraycopy(ids, 0, stream, n, ids.length);
            n += ids.length;
            stream[n++] = tokenizer.eos();
        }
        return new TokenWindows(stream, contextLength, tokenizer);
    }

    /** Returns the number of windows. */
    public int size() {
        return windows;
    }

    /** Returns T, the window length. */
    public int contextLength() {
        return contextLength;
    }

    /** Returns the number of real (non-padding) targets over all windows. */
    public long targetTokens() {
        return targetTokens;
    }

    /** Returns the UTF-8 bytes the real targets stand for (the denominator of bits per byte). */
    public long targetBytes() {
        return targetBytes;
    }

    /** Returns a copy of the packed token stream. */
    public int[] stream() {
        return stream.clone();
    }

    /**
     * Returns the input ids of window {@code i} (length T, padded with EOS).
     */
    public int[] input(int i) {
        int[] out = new int[contextLength];
        fill(i, 0, out, padId);
        return out;
    }

    /**
     * Returns the target ids of window {@code i} (length T, padded with {@value #IGNORE}).
     */
    public int[] target(int i) {
        int[] out = new int[contextLength];
        fill(i, 1, out, IGNORE);
        return out;
    }

    private void fill(int window, int shift, int[] out, int pad) {
        if (window < 0 || window >= windows) {
            throw new IndexOutOfBoundsException("window " + window + " of " + windows);
        }
        int start = window * contextLength + shift;
        int n = Math.max(0, Math.min(contextLength, stream.length - start));
        System.arraycopy(stream, start, out, 0, n);
        Arrays.fill(out, n, contextLength, pad);
    }

    /**
     * Returns inputs and targets of the given windows as int64 arrays of shape (B, T).
     *
     * @param manager the manager that owns the arrays (a per-batch sub-manager)
     * @param indices window indices, B of them
     * @return {@code [inputs, targets]}
     */
    public NDList batch(NDManager manager, int[] indices) {
        long[] in = new long[indices.length * contextLength];
        long[] tg = new long[in.length];
        for (int b = 0; b < indices.length; b++) {
            int[] x = input(indices[b]);
            int[] y = target(indices[b]);
            for (int t = 0; t < contextLength; t++) {
                in[b * contextLength + t] = x[t];
                tg[b * contextLength + t] = y[t];
            }
        }
        Shape shape = new Shape(indices.length, contextLength);
        NDArray inputs = manager.create(in, shape);
        NDArray targets = manager.create(tg, shape);
        return new NDList(inputs, targets);
    }
}
