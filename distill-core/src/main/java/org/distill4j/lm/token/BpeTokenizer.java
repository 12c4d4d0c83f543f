package org.distill4j.lm.token;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import org.distill4j.io.Hashing;

/**
 * A byte-level BPE tokenizer, the family of GPT-2, Llama 3 and Qwen: text is cut into pieces by a
 * regular expression, each piece's UTF-8 bytes start as one token each, and learnt merges (lowest
 * rank first) join adjacent tokens. Every token stands for a fixed byte string, so the round trip is
 * lossless and bits per byte stay exact, which is why distill4j takes this family and no other.
 *
 * <p>Train one on a corpus ({@link BpeTrainer}) or read a Hugging Face {@code tokenizer.json}
 * ({@link #read}); {@link #write} writes one that the {@code tokenizers} library loads and encodes
 * identically. Its {@link #identity()} carries a digest of the vocabulary, merges and pattern. Two
 * ids are special (BOS and EOS, no bytes); {@link #encode} never emits them, also for text that
 * spells their names. Immutable and thread-safe (the piece cache is concurrent).
 */
public final class BpeTokenizer implements Tokenizer {

    /** The kind recorded in {@link TokenizerIdentity}. */
    public static final String KIND = "bpe";

    /** File name in a model directory. */
    public static final String FILE = "tokenizer.json";

    /** Name of the BOS special token in files this class writes. */
    public static final String DEFAULT_BOS = TokenizerJson.BOS;

    /** Name of the EOS special token in files this class writes. */
    public static final String DEFAULT_EOS = TokenizerJson.EOS;

    private static final int CACHE_LIMIT = 1 << 16;

    /** Pieces longer than this (in bytes) merge through a heap ({@link #mergeLong}). */
    static final int LONG_PIECE = 64;

    private final byte[][] tokens;
    private final String[] specials;
    private final long[] merges;
    private final int[] byteIds = new int[256];
    private final Map<Long, Integer> rankOf = new HashMap<>();
    private final int[] mergedIds;
    private final Map<ByteBuffer, Integer> idOfBytes = new HashMap<>();
    private final PreTokenizer pre;
    private final boolean ignoreMerges;
    private final TokenizerIdentity identity;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * Builds a tokenizer from its parts.
     *
     * @param tokens the bytes of each id (index = id); empty for special ids
     * @param specials the name of each special id (e.g. {@code <|eos|>}), null for ordinary ids
     * @param merges rank r joins ids {@code (int) (merges[r] >>> 32)} and {@code (int) merges[r]};
     *     the joined bytes must be a token
     * @param bos the BOS id, a special
     * @param eos the EOS id, a special
     * @param pattern the pre-tokenizer's regular expression (e.g. GPT-2's)
     * @param ignoreMerges if a whole piece is a token, take it without merging (Llama 3's rule)
     * @throws IllegalArgumentException naming the id, byte or merge that breaks the rules
     */
    BpeTokenizer(
            byte[][] tokens, String[] specials, long[] merges, int bos, int eos, String pattern, boolean ignoreMerges) {
        if (tokens.length != specials.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + specials.length + " special slots");
        }
        this.tokens = tokens.clone();
        this.specials = specials.clone();
        this.merges = merges.clone();
        this.pre = new PreTokenizer(pattern);
        this.ignoreMerges = ignoreMerges;
        Arrays.fill(byteIds, -1);
        for (int id = 0; id < tokens.length; id++) {
            if (specials[id] != null) {
                if (tokens[id].length != 0) {
                    throw new IllegalArgumentException("special token " + id + " (" + specials[id] + ") has bytes");
                }
                continue;
            }
            if (tokens[id].length == 0) {
                throw new IllegalArgumentException("token " + id + " stands for no bytes and is not special");
            }
            Integer before = idOfBytes.put(ByteBuffer.wrap(tokens[id]), id);
            if (before != null) {
                throw new IllegalArgumentException("tokens " + before + " and " + id + " stand for the same bytes "
                        + ByteLevel.encode(tokens[id]));
            }
            if (tokens[id].length == 1) {
                byteIds[tokens[id][0] & 0xff] = id;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (byteIds[b] < 0) {
                throw new IllegalArgumentException(
                        "no token for byte 0x" + HexFormat.of().toHexDigits((byte) b)
                                + ": a byte-level BPE vocabulary needs all 256 single bytes");
            }
        }
        for (int id : new int[] {bos, eos}) {
            if (id < 0 || id >= tokens.length || specials[id] == null) {
                throw new IllegalArgumentException("BOS/EOS id " + id + " is not a special token");
            }
        }
        mergedIds = new int[merges.length];
        for (int r = 0; r < merges.length; r++) {
            int left = (int) (merges[r] >>> 32);
            int right = (int) merges[r];
            if (!ordinary(left) || !ordinary(right)) {
                throw new IllegalArgumentException(
                        "merge " + r + " joins ids " + left + " and " + right + ", which are not both ordinary tokens");
            }
            Integer joined = idOfBytes.get(ByteBuffer.wrap(concat(tokens[left], tokens[right])));
            if (joined == null) {
                throw new IllegalArgumentException("merge " + r + " (" + ByteLevel.encode(tokens[left]) + " "
                        + ByteLevel.encode(tokens[right]) + ") makes a token that is not in the vocabulary");
            }
            mergedIds[r] = joined;
            rankOf.putIfAbsent(merges[r], r);
        }
        this.identity = new TokenizerIdentity(KIND, 1, tokens.length, bos, eos, digest(bos, eos));
    }

    /**
     * Reads a Hugging Face {@code tokenizer.json} of the byte-level BPE family, taking BOS and EOS
     * from its special tokens named {@code <|bos|>} and {@code <|eos|>} (as {@link #write} names them).
     *
     * @throws IOException if the file cannot be read or is not such a tokenizer; the message names
     *     the file and the field
     */
    public static BpeTokenizer read(Path file) throws IOException {
        return TokenizerJson.read(file, TokenizerJson.BOS, TokenizerJson.EOS);
    }

    /**
     * Reads a Hugging Face {@code tokenizer.json} of the byte-level BPE family with the given names
     * of its BOS and EOS special tokens (e.g. {@code <|begin_of_text|>} and {@code <|end_of_text|>}).
     *
     * @throws IOException if the file cannot be read, is not such a tokenizer or lacks the names
     */
    public static BpeTokenizer read(Path file, String bosName, String eosName) throws IOException {
        return TokenizerJson.read(file, bosName, eosName);
    }

    /** Writes this tokenizer as a Hugging Face {@code tokenizer.json}, atomically. */
    public void write(Path file) throws IOException {
        TokenizerJson.write(this, file);
    }

    @Override
    public void writeTo(Path modelDir) throws IOException {
        write(modelDir.resolve(FILE));
    }

    @Override
    public int[] encode(String text) {
        int[] out = new int[Math.max(16, text.length())];
        int n = 0;
        for (String piece : pre.split(text)) {
            int[] ids = cache.get(piece);
            if (ids == null) {
                ids = encodePiece(piece.getBytes(StandardCharsets.UTF_8));
                if (cache.size() < CACHE_LIMIT) {
                    cache.put(piece, ids);
                }
            }
            if (n + ids.length > out.length) {
                out = Arrays.copyOf(out, Math.max(2 * out.length, n + ids.length));
            }
            System.arraycopy(ids, 0, out, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(out, n);
    }

    private int[] encodePiece(byte[] bytes) {
        if (ignoreMerges) {
            Integer whole = idOfBytes.get(ByteBuffer.wrap(bytes));
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = byteIds[bytes[i] & 0xff];
        }
        if (ids.length > LONG_PIECE) {
            return mergeLong(ids);
        }
        int n = ids.length;
        while (n > 1) {
            int best = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                Integer r = rankOf.get(pair(ids[i], ids[i + 1]));
                if (r != null && r < best) {
                    best = r;
                }
            }
            if (best == Integer.MAX_VALUE) {
                break;
            }
            // All non-overlapping occurrences of the best pair, left to right, as GPT-2 and the
            // Rust library merge them.
            long target = merges[best];
            int w = 0;
            for (int i = 0; i < n; i++) {
                if (i + 1 < n && pair(ids[i], ids[i + 1]) == target) {
                    ids[w++] = mergedIds[best];
                    i++;
                } else {
                    ids[w++] = ids[i];
                }
            }
            n = w;
        }
        return Arrays.copyOf(ids, n);
    }

    /**
     * Merges a long piece the way the Rust library does: symbols in a linked list and candidate
     * pairs in a heap by (rank, position), so each merge costs O(log n) instead of a rescan; a
     * piece of many thousand letters would otherwise take quadratic time. In a trained vocabulary a
     * merge that involves a new token ranks after the merge that made it, so this gives the same
     * ids as merging every occurrence of the best pair left to right.
     */
    private int[] mergeLong(int[] ids) {
        int n = ids.length;
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<long[]> heap =
                new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        for (int i = 0; i + 1 < n; i++) {
            offer(heap, ids, next, i);
        }
        while (!heap.isEmpty()) {
            long[] e = heap.poll();
            int pos = (int) e[1];
            int nx = next[pos];
            if (ids[pos] < 0 || nx < 0 || pair(ids[pos], ids[nx]) != e[2]) {
                continue; // stale: one of its symbols was merged since
            }
            ids[pos] = mergedIds[(int) e[0]];
            ids[nx] = -1;
            next[pos] = next[nx];
            if (next[nx] >= 0) {
                prev[next[nx]] = pos;
            }
            if (prev[pos] >= 0) {
                offer(heap, ids, next, prev[pos]);
            }
            offer(heap, ids, next, pos);
        }
        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            ids[count++] = ids[i];
        }
        return Arrays.copyOf(ids, count);
    }

    private void offer(PriorityQueue<long[]> heap, int[] ids, int[] next, int i) {
        int nx = next[i];
        if (nx >= 0) {
            long p = pair(ids[i], ids[nx]);
            Integer r = rankOf.get(p);
            if (r != null) {
                heap.add(new long[] {r, i, p});
            }
        }
    }

    @Override
    public String decode(int[] ids) {
        int size = 0;
        for (int id : ids) {
            size += bytes0(id).length;
        }
        byte[] all = new byte[size];
        int n = 0;
        for (int id : ids) {
            byte[] b = bytes0(id);
            System.arraycopy(b, 0, all, n, b.length);
            n += b.length;
        }
        return new String(all, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] bytes(int id) {
        return bytes0(id).clone();
    }

    private byte[] bytes0(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " out of range [0, " + tokens.length + ")");
        }
        return tokens[id];
    }

    @Override
    public int id(byte[] bytes) {
        Integer id = idOfBytes.get(ByteBuffer.wrap(bytes));
        return id == null ? -1 : id;
    }

    @Override
    public int byteLength(int id) {
        return bytes0(id).length;
    }

    @Override
    public TokenizerIdentity identity() {
        return identity;
    }

    /** Returns the number of merges. */
    public int mergeCount() {
        return merges.length;
    }

    @Override
    public String toString() {
        return identity.toString();
    }

    // Package-private views for TokenizerJson; callers must not modify them.

    byte[][] tokens() {
        return tokens;
    }

    String[] specials() {
        return specials;
    }

    long[] merges() {
        return merges;
    }

    String pattern() {
        return pre.pattern();
    }

    boolean ignoreMerges() {
        return ignoreMerges;
    }

    List<String> pieces(String text) {
        return pre.split(text);
    }

    static long pair(int left, int right) {
        return (long) left << 32 | right & 0xffffffffL;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private boolean ordinary(int id) {
        return id >= 0 && id < tokens.length && specials[id] == null;
    }

    private String digest(int bos, int eos) {
        StringBuilder s = new StringBuilder("bpe/v1\n").append(pre.pattern()).append('\n');
        s.append("ignore_merges=").append(ignoreMerges).append('\n');
        HexFormat hex = HexFormat.of();
        for (int id = 0; id < tokens.length; id++) {
            s.append(specials[id] != null ? "special:" + specials[id] : hex.formatHex(tokens[id]))
                    .append('\n');
        }
        for (long m : merges) {
            s.append(m >>> 32).append(' ').append((int) m).append('\n');
        }
        s.append("bos=").append(bos).append(" eos=").append(eos).append('\n');
        return Hashing.sha256(s.toString());
    }
}
