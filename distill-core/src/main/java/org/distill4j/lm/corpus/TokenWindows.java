package org.distill4j.lm.corpus;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
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
 *
 * <p>The stream comes from a {@link TokenPacker}: held in memory ({@link #pack}) or read from a
 * {@link TokenFile} ({@link #of(TokenFile, Tokenizer, int)}) for a corpus larger than memory; the
 * windows of both are the same for the same documents. Windows read their tokens when asked, so a
 * file-backed instance holds no more than a batch.
 */
public final class TokenWindows {

    /** The target id of padding positions. */
    public static final int IGNORE = -1;

    private final TokenStream stream;
    private final long length;
    private final int contextLength;
    private final int windows;
    private final Tokenizer tokenizer;
    private final int padId;
    private final long targetBytes;

    private TokenWindows(TokenStream stream, int contextLength, Tokenizer tokenizer, long targetBytes) {
        if (contextLength < 1) {
            throw new IllegalArgumentException("context length must be >= 1, got " + contextLength);
        }
        this.stream = stream;
        this.length = stream.length();
        this.contextLength = contextLength;
        long n = (length - 1 + contextLength - 1) / contextLength;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("stream of " + length + " tokens makes " + n + " windows of "
                    + contextLength + ", more than " + Integer.MAX_VALUE + "; use longer windows or a smaller corpus");
        }
        this.windows = (int) n;
        this.tokenizer = tokenizer;
        this.padId = tokenizer.eos();
        this.targetBytes = targetBytes;
    }

    /**
     * Tokenizes and packs documents in memory.
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
        // Tokenized first to size the stream exactly: the array is the only copy of the corpus's tokens.
        int[][] encoded = new int[documents.size()][];
        long total = 0;
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = tokenizer.encode(documents.get(i).text());
            total += encoded[i].length + 2L;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("corpus of " + total + " tokens is too large for one stream in "
                    + "memory; read it with TextCorpus.Options.withMaxBytes or stream it into token files "
                    + "(PackedCorpus; data.streaming in a recipe)");
        }
        int[] stream = new int[(int) total];
        int[] size = {0};
        TokenPacker packer = new TokenPacker(tokenizer, (ids, n) -> {
            System.arraycopy(ids, 0, stream, size[0], n);
            size[0] += n;
        });
        try {
            for (int i = 0; i < encoded.length; i++) {
                packer.addEncoded(encoded[i]);
                encoded[i] = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an array sink does no I/O
        }
        return new TokenWindows(TokenStream.of(stream), contextLength, tokenizer, packer.targetBytes());
    }

    /**
     * Returns the documents the stream holds (each packed as BOS, its tokens, EOS), decoded: the
     * texts that were packed, since {@code decode(encode(s))} is {@code s}; sources are {@code
     * "<name>#<i>"}. For reading the same text in another tokenizer.
     *
     * @param tokenizer the tokenizer the stream was packed with
     * @param name what to call the documents' source
     * @throws IllegalStateException if the stream does not fit an array
     */
    public List<Document> documents(Tokenizer tokenizer, String name) {
        int[] ids = stream();
        List<Document> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == tokenizer.bos()) {
                start = i + 1;
            } else if (ids[i] == tokenizer.eos() && start >= 0) {
                out.add(new Document(name + "#" + out.size(), tokenizer.decode(Arrays.copyOfRange(ids, start, i))));
                start = -1;
            }
        }
        return out;
    }

    /**
     * Windows over a packed token file (it stays open: close it when done with the windows).
     *
     * @param file a stream of at least 2 tokens packed by {@link TokenPacker}
     * @param tokenizer the tokenizer it was packed with (its EOS pads the last window)
     * @param contextLength T, the window length, &gt;= 1
     */
    public static TokenWindows of(TokenFile file, Tokenizer tokenizer, int contextLength) {
        if (file.length() < 2) {
            throw new IllegalArgumentException("token file " + file.file() + " holds " + file.length()
                    + " tokens; windows need at least one document");
        }
        return new TokenWindows(file, contextLength, tokenizer, file.targetBytes());
    }

    /** Returns windows of another length over the same stream (same targets, other boundaries). */
    public TokenWindows withContext(int contextLength) {
        return new TokenWindows(stream, contextLength, tokenizer, targetBytes);
    }

    /**
     * Returns the tokenizer the stream was packed with: its BOS marks where each document's targets
     * begin, its byte lengths are what {@link #targetBytes()} counts.
     */
    public Tokenizer tokenizer() {
        return tokenizer;
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
        return length - 1;
    }

    /** Returns the UTF-8 bytes the real targets stand for (the denominator of bits per byte). */
    public long targetBytes() {
        return targetBytes;
    }

    /** Returns the packed token stream (read it in pieces: it may be a file larger than memory). */
    public TokenStream tokens() {
        return stream;
    }

    /**
     * Returns a copy of the whole packed token stream.
     *
     * @throws IllegalStateException if it has more tokens than an array holds
     */
    public int[] stream() {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a stream of " + length + " tokens does not fit an array; read tokens()");
        }
        return slice(0, (int) length);
    }

    /** Returns stream tokens {@code [from, from + n)}. */
    public int[] slice(long from, int n) {
        int[] out = new int[n];
        stream.copy(from, out, 0, n);
        return out;
    }

    /**
     * Returns the input ids of window {@code i} (length T, padded with EOS).
     */
    public int[] input(int i) {
        int[] out = new int[contextLength];
        int[] w = window(i);
        int n = Math.min(contextLength, w.length);
        System.arraycopy(w, 0, out, 0, n);
        Arrays.fill(out, n, contextLength, padId);
        return out;
    }

    /**
     * Returns the target ids of window {@code i} (length T, padded with {@value #IGNORE}).
     */
    public int[] target(int i) {
        int[] out = new int[contextLength];
        int[] w = window(i);
        int n = Math.max(0, w.length - 1);
        System.arraycopy(w, 1, out, 0, n);
        Arrays.fill(out, n, contextLength, IGNORE);
        return out;
    }

    /** The stream tokens of window {@code i}: T + 1 of them, fewer in the last window. */
    private int[] window(int i) {
        if (i < 0 || i >= windows) {
            throw new IndexOutOfBoundsException("window " + i + " of " + windows);
        }
        long start = (long) i * contextLength;
        return slice(start, (int) Math.min(contextLength + 1L, length - start));
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
            int[] w = window(indices[b]);
            for (int t = 0; t < contextLength; t++) {
                in[b * contextLength + t] = t < w.length ? w[t] : padId;
                tg[b * contextLength + t] = t + 1 < w.length ? w[t + 1] : IGNORE;
            }
        }
        Shape shape = new Shape(indices.length, contextLength);
        NDArray inputs = manager.create(in, shape);
        NDArray targets = manager.create(tg, shape);
        return new NDList(inputs, targets);
    }
}
