package org.distill4j.lm.corpus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Groups of near-duplicate documents, found with MinHash and locality-sensitive hashing, so that a
 * split can keep each group on one side ({@link CorpusSplit#byNearDuplicates}).
 *
 * <p>Why: corpora of real descriptions come in families written from one template (the 30-50
 * dictionaries of one project, a library's runtime, development and documentation packages), and a
 * split by document puts members of one family on both sides. A test split then largely repeats
 * phrases of the training split, and rewards memorising them (docs/lm-benchmarks.md measured a
 * seeded 5% of 2 MB of Debian descriptions: 29% of its 32-byte windows occur in other documents).
 *
 * <p>A document's shingles are its runs of {@value #SHINGLE_WORDS} consecutive words (lowercased
 * runs of letters and digits; a shorter document is one shingle, and documents without a letter
 * or digit all share the empty one, hence one group); its signature is the minimum of {@value
 * #HASHES} seeded hashes over them, cut into {@value #BANDS} bands of {@value #ROWS}. Two documents
 * whose signatures agree on a whole band are joined, and groups are the connected components. Two
 * documents with shingle-set Jaccard similarity J are joined directly with probability 1 - (1 -
 * J^2)^32: 0.27 at J = 0.1, 0.65 at 0.18, 0.9 at 0.27, above 0.99 from 0.38. That is deliberately
 * loose: the point is to keep families apart, and a group too many costs only some randomness of
 * the split ({@link #groups(List, int)} cuts groups that grow too large). Identical texts always
 * share a group. Which documents share a group depends on the set of documents, not their order.
 */
public final class NearDuplicates {

    /** Words per shingle. */
    public static final int SHINGLE_WORDS = 5;

    /** MinHash functions per document. */
    public static final int HASHES = 64;

    /** Signature values per band (the first rule; groups above a limit are split with more). */
    public static final int ROWS = 2;

    /** Bands of the first rule: two documents that agree on one are joined. */
    public static final int BANDS = HASHES / ROWS;

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");

    private NearDuplicates() {}

    /**
     * Returns, for each document, the index of its group's first document: documents {@code i} and
     * {@code j} are in one group iff {@code group[i] == group[j]}, and a document without a near
     * duplicate is its own group ({@code group[i] == i}). Groups are not capped: {@link
     * #groups(List, int)} with no limit.
     */
    public static int[] groups(List<Document> documents) {
        return groups(documents, Integer.MAX_VALUE);
    }

    /**
     * Returns the groups as {@link #groups(List)} does, with every group of more than {@code
     * maxGroupSize} documents grouped again, inside itself, by a stricter rule (bands of 4 rows,
     * then 8, ... up to the whole signature), until each part is within the limit or its members'
     * signatures are identical.
     *
     * <p>Why: joining transitively chains documents through shared boilerplate. On all 50,922
     * Debian descriptions one group holds 9,861 documents (the library packages' stock sentences),
     * and a split would then send a fifth of the corpus to one side by a single draw; with bands of
     * 4 rows the largest part is 1,365. {@link CorpusSplit#byNearDuplicates} sets the limit to the
     * smallest split's expected size. Which documents end up together still depends only on the
     * set of documents, not on their order.
     *
     * @param maxGroupSize at least 1
     */
    public static int[] groups(List<Document> documents, int maxGroupSize) {
        if (maxGroupSize < 1) {
            throw new IllegalArgumentException("maxGroupSize must be >= 1, got " + maxGroupSize);
        }
        int n = documents.size();
        long[][] signatures = new long[n][];
        for (int i = 0; i < n; i++) {
            signatures[i] = signature(documents.get(i).text());
        }
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        int[] group = new int[n];
        assign(all, signatures, ROWS, maxGroupSize, group);
        return group;
    }

    /** Groups {@code members} by bands of {@code rows}, re-grouping parts above the limit more strictly. */
    private static void assign(int[] members, long[][] signatures, int rows, int maxGroupSize, int[] group) {
        for (int[] part : components(members, signatures, rows)) {
            if (part.length > maxGroupSize && rows < HASHES) {
                assign(part, signatures, rows * 2, maxGroupSize, group);
            } else {
                for (int i : part) {
                    group[i] = part[0];
                }
            }
        }
    }

    /**
     * The connected components of {@code members} (ascending document indices) when two that agree
     * on a band of {@code rows} signature values are joined; each component in ascending order.
     */
    private static List<int[]> components(int[] members, long[][] signatures, int rows) {
        int m = members.length;
        int[] parent = new int[m];
        for (int i = 0; i < m; i++) {
            parent[i] = i;
        }
        for (int b = 0; b < HASHES / rows; b++) {
            Map<Band, Integer> first = new HashMap<>();
            for (int i = 0; i < m; i++) {
                Integer j = first.putIfAbsent(new Band(signatures[members[i]], b * rows, rows), i);
                if (j != null) {
                    union(parent, i, j);
                }
            }
        }
        Map<Integer, List<Integer>> byRoot = new TreeMap<>();
        for (int i = 0; i < m; i++) {
            byRoot.computeIfAbsent(root(parent, i), r -> new ArrayList<>()).add(members[i]);
        }
        List<int[]> out = new ArrayList<>();
        byRoot.values()
                .forEach(c -> out.add(c.stream().mapToInt(Integer::intValue).toArray()));
        return out;
    }

    /** The MinHash signature of a text: {@value #HASHES} minima over its shingles' hashes. */
    static long[] signature(String text) {
        long[] min = new long[HASHES];
        Arrays.fill(min, Long.MAX_VALUE);
        String[] words = words(text);
        int shingles = Math.max(1, words.length - SHINGLE_WORDS + 1);
        for (int s = 0; s < shingles; s++) {
            long h = shingleHash(words, s);
            for (int k = 0; k < HASHES; k++) {
                // A different finalised mix per function: independent enough for MinHash, and no
                // allocation per (shingle, function).
                long v = mix(h ^ (0x9E3779B97F4A7C15L * (k + 1)));
                if (Long.compareUnsigned(v, min[k]) < 0) {
                    min[k] = v;
                }
            }
        }
        return min;
    }

    /** Whether a text has a letter or digit, i.e. a shingle of its own (the others share the empty signature). */
    static boolean hasShingle(String text) {
        return WORD.matcher(text).find();
    }

    private static String[] words(String text) {
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        ArrayList<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group());
        }
        return out.toArray(new String[0]);
    }

    /** FNV-1a over the UTF-8 of the shingle's words, each followed by a separator byte. */
    private static long shingleHash(String[] words, int start) {
        long h = 0xcbf29ce484222325L;
        int end = Math.min(words.length, start + SHINGLE_WORDS);
        for (int w = start; w < end; w++) {
            for (byte b : words[w].getBytes(StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xff)) * 0x100000001b3L;
            }
            h = (h ^ 0x1f) * 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int root(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    /** Joins two groups under the smaller root, so a group's root is its first document. */
    private static void union(int[] parent, int a, int b) {
        int ra = root(parent, a);
        int rb = root(parent, b);
        if (ra != rb) {
            parent[Math.max(ra, rb)] = Math.min(ra, rb);
        }
    }

    /** Signature values {@code from} to {@code from + rows - 1}, as a hash key. */
    private record Band(long[] signature, int from, int rows) {
        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Band other)) {
                return false;
            }
            return Arrays.equals(signature, from, from + rows, other.signature, other.from, other.from + rows);
        }

        @Override
        public int hashCode() {
            int h = 1;
            for (int r = from; r < from + rows; r++) {
                h = 31 * h + Long.hashCode(signature[r]);
            }
            return h;
        }
    }
}
