package org.distill4j.lm.token;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Learns a byte-level BPE vocabulary from a corpus: the texts are cut into pieces by GPT-2's
 * expression, and the most frequent adjacent pair of tokens (over all pieces, weighted by how often
 * each piece occurs) is merged into a new token until the vocabulary has the asked size or no pair
 * occurs twice. Deterministic: a tie goes to the pair of smallest ids, so the same texts, in any
 * order, give the same tokenizer (and digest) on every machine. Memory grows with the distinct
 * pieces (words), not with the text, so a corpus can stream past {@link #add}.
 *
 * <p>Ids 0..255 are the bytes (id = byte value), merges follow in the order learnt, and BOS and
 * EOS ({@code <|bos|>}, {@code <|eos|>}) are the last two ids.
 */
public final class BpeTrainer {

    /** The smallest vocabulary: 256 bytes, BOS and EOS, no merge. */
    public static final int MIN_VOCAB = 258;

    private final PreTokenizer pre = new PreTokenizer(PreTokenizer.GPT2);
    private final Map<String, long[]> counts = new LinkedHashMap<>();

    /** Creates a trainer with no text yet. */
    public BpeTrainer() {}

    /**
     * Trains a tokenizer on {@code texts}, read once (see {@link #train(int)}).
     *
     * @throws IllegalArgumentException if {@code vocabSize} is below {@value #MIN_VOCAB}
     */
    public static BpeTokenizer train(Iterable<String> texts, int vocabSize) {
        BpeTrainer t = new BpeTrainer();
        for (String text : texts) {
            t.add(text);
        }
        return t.train(vocabSize);
    }

    /** Counts the pieces of one text (e.g. a training document); not thread-safe. */
    public void add(String text) {
        for (String piece : pre.split(text)) {
            counts.computeIfAbsent(piece, k -> new long[1])[0]++;
        }
    }

    /** Returns the number of distinct pieces counted so far. */
    public int distinctPieces() {
        return counts.size();
    }

    /**
     * Learns the merges from the texts added so far.
     *
     * @param vocabSize the vocabulary wanted, including the 256 bytes and BOS/EOS, &gt;= {@value #MIN_VOCAB};
     *     the result is smaller when the texts run out of pairs that occur twice
     * @throws IllegalArgumentException if {@code vocabSize} is below {@value #MIN_VOCAB}
     */
    public BpeTokenizer train(int vocabSize) {
        if (vocabSize < MIN_VOCAB) {
            throw new IllegalArgumentException(
                    "vocab_size " + vocabSize + " is below " + MIN_VOCAB + " (256 bytes + BOS + EOS)");
        }
        int words = counts.size();
        int[][] symbols = new int[words][];
        int[] lengths = new int[words];
        long[] freq = new long[words];
        int w = 0;
        for (Map.Entry<String, long[]> e : counts.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
            symbols[w] = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                symbols[w][i] = b[i] & 0xff;
            }
            lengths[w] = b.length;
            freq[w] = e.getValue()[0];
            w++;
        }

        Map<Long, Long> pairCount = new HashMap<>();
        Map<Long, List<Integer>> wordsWith = new HashMap<>();
        for (int i = 0; i < words; i++) {
            for (int j = 0; j + 1 < lengths[i]; j++) {
                long p = BpeTokenizer.pair(symbols[i][j], symbols[i][j + 1]);
                pairCount.merge(p, freq[i], Long::sum);
                wordsWith.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
            }
        }
        // Max-heap on (count, then smallest pair); stale entries are skipped when popped.
        PriorityQueue<long[]> heap =
                new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(b[0], a[0]) : Long.compare(a[1], b[1]));
        pairCount.forEach((p, c) -> heap.add(new long[] {c, p}));

        List<byte[]> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(new byte[] {(byte) b});
        }
        Map<ByteBuffer, Integer> idOf = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            idOf.put(ByteBuffer.wrap(tokens.get(b)), b);
        }
        List<Long> merges = new ArrayList<>();
        while (tokens.size() + 2 < vocabSize && !heap.isEmpty()) {
            long[] top = heap.poll();
            long p = top[1];
            long current = pairCount.getOrDefault(p, 0L);
            if (current != top[0]) {
                continue;
            }
            if (current < 2) {
                break;
            }
            int left = (int) (p >>> 32);
            int right = (int) p;
            // Two merge paths can spell the same bytes (a+bc, ab+c): the second reuses the token.
            byte[] joined = BpeTokenizer.concat(tokens.get(left), tokens.get(right));
            int id = idOf.computeIfAbsent(ByteBuffer.wrap(joined), k -> tokens.size());
            if (id == tokens.size()) {
                tokens.add(joined);
            }
            merges.add(p);
            Map<Long, Long> changed = new HashMap<>();
            List<Integer> list = wordsWith.remove(p);
            int[] touched = list.stream().mapToInt(Integer::intValue).distinct().toArray();
            for (int i : touched) {
                int[] s = symbols[i];
                int n = lengths[i];
                boolean has = false;
                for (int j = 0; j + 1 < n && !has; j++) {
                    has = s[j] == left && s[j + 1] == right;
                }
                if (!has) {
                    continue;
                }
                for (int j = 0; j + 1 < n; j++) {
                    changed.merge(BpeTokenizer.pair(s[j], s[j + 1]), -freq[i], Long::sum);
                }
                int m = 0;
                for (int j = 0; j < n; j++) {
                    if (j + 1 < n && s[j] == left && s[j + 1] == right) {
                        s[m++] = id;
                        j++;
                    } else {
                        s[m++] = s[j];
                    }
                }
                lengths[i] = m;
                for (int j = 0; j + 1 < m; j++) {
                    long q = BpeTokenizer.pair(s[j], s[j + 1]);
                    changed.merge(q, freq[i], Long::sum);
                    if (s[j] == id || s[j + 1] == id) {
                        wordsWith.computeIfAbsent(q, k -> new ArrayList<>()).add(i);
                    }
                }
            }
            pairCount.remove(p);
            changed.remove(p);
            changed.forEach((q, delta) -> {
                if (delta != 0) {
                    long c = pairCount.merge(q, delta, Long::sum);
                    if (c <= 0) {
                        pairCount.remove(q);
                    } else {
                        heap.add(new long[] {c, q});
                    }
                }
            });
        }
        int size = tokens.size() + 2;
        byte[][] all = new byte[size][];
        String[] specials = new String[size];
        for (int i = 0; i < tokens.size(); i++) {
            all[i] = tokens.get(i);
        }
        all[size - 2] = new byte[0];
        all[size - 1] = new byte[0];
        specials[size - 2] = TokenizerJson.BOS;
        specials[size - 1] = TokenizerJson.EOS;
        long[] m = merges.stream().mapToLong(Long::longValue).toArray();
        return new BpeTokenizer(all, specials, m, size - 2, size - 1, PreTokenizer.GPT2, false);
    }
}
