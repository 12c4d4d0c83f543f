package org.distill4j.lm.corpus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How many documents of a held-out split (validation or test) have a near duplicate among the
 * training documents: the part of a test score that memorising the training text can earn.
 *
 * <p>Why: corpora of real descriptions come in families written from one template, and a split by
 * document or by row puts members of one family on both sides (by the rule below, 24% of the test
 * documents of 2 MB of Debian descriptions split by document, and 47% of the Debian sections test
 * rows, have a near duplicate in training; docs/text.md, docs/lm.md). A run that says so lets its reader
 * weigh the test score; {@link CorpusSplit#byNearDuplicates} is the remedy for language-model
 * corpora.
 *
 * <p>The rule: a held-out document has a near duplicate when some training document's MinHash
 * signature ({@link NearDuplicates}: 5-word shingles, {@value NearDuplicates#HASHES} hashes) agrees
 * with its own on at least {@value #MIN_SIMILARITY} of the positions, the MinHash estimate of a
 * shingle-set Jaccard similarity of 0.5 (standard error about 0.06 there). Candidates are the
 * training documents that share a band of {@value NearDuplicates#ROWS} values with it, which finds a
 * pair of Jaccard 0.5 with probability above 0.9999. Unlike the split's grouping this is not
 * transitive: a chain of documents through stock sentences does not count. Documents without a
 * letter or digit have no shingle and are not checked.
 *
 * <p>Only the held-out side is held (at most {@code maxDocuments} of them, a seeded uniform sample
 * beyond that, 512 bytes each plus the band index); training documents are offered one at a time
 * to {@link #accept}, so a streamed corpus is checked in two more passes over its file (one collects
 * the held-out documents, one offers the training ones). Not thread-safe.
 */
public final class SplitOverlap {

    /** The share of equal signature positions (estimated Jaccard similarity) that counts as a near duplicate. */
    public static final double MIN_SIMILARITY = 0.5;

    /** Held-out documents checked at most, by default: enough for a share to within about 1 point. */
    public static final int DEFAULT_MAX_DOCUMENTS = 10_000;

    private static final int MIN_EQUAL = (int) Math.ceil(MIN_SIMILARITY * NearDuplicates.HASHES);

    private final int offered;
    private final long[][] signatures;
    private final int[] offeredIndex;
    private final List<Map<BandKey, int[]>> index;
    private final boolean[] found;
    private final int[] seenBy;
    private int trainingDocuments;

    private SplitOverlap(int offered, long[][] signatures, int[] offeredIndex) {
        this.offered = offered;
        this.signatures = signatures;
        this.offeredIndex = offeredIndex;
        this.found = new boolean[signatures.length];
        this.seenBy = new int[signatures.length];
        this.index = new ArrayList<>(NearDuplicates.BANDS);
        for (int b = 0; b < NearDuplicates.BANDS; b++) {
            Map<BandKey, List<Integer>> lists = new HashMap<>();
            for (int i = 0; i < signatures.length; i++) {
                lists.computeIfAbsent(BandKey.of(signatures[i], b), k -> new ArrayList<>())
                        .add(i);
            }
            Map<BandKey, int[]> band = new HashMap<>(lists.size() * 2);
            lists.forEach(
                    (k, v) -> band.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
            index.add(band);
        }
    }

    /** A check of every one of {@code heldOut}'s documents (no sampling). */
    public static SplitOverlap of(List<String> heldOut) {
        Builder b = builder(Integer.MAX_VALUE);
        heldOut.forEach(b::add);
        return b.build();
    }

    /**
     * Collects held-out documents, keeping a uniform sample of at most {@code maxDocuments} of those
     * that have a shingle (reservoir sampling with a fixed seed: the same documents in the same order
     * give the same sample).
     *
     * @param maxDocuments at least 1
     */
    public static Builder builder(int maxDocuments) {
        if (maxDocuments < 1) {
            throw new IllegalArgumentException("maxDocuments must be >= 1, got " + maxDocuments);
        }
        return new Builder(maxDocuments);
    }

    /** Checks one training document against every held-out document not yet found to have a near duplicate. */
    public void accept(String trainingText) {
        trainingDocuments++;
        if (!NearDuplicates.hasShingle(trainingText)) {
            return;
        }
        long[] sig = NearDuplicates.signature(trainingText);
        int stamp = trainingDocuments;
        for (int b = 0; b < NearDuplicates.BANDS; b++) {
            int[] candidates = index.get(b).get(BandKey.of(sig, b));
            if (candidates == null) {
                continue;
            }
            for (int i : candidates) {
                // seenBy: one comparison per (training, held-out) pair, however many bands they share.
                if (!found[i] && seenBy[i] != stamp) {
                    seenBy[i] = stamp;
                    found[i] = equalPositions(sig, signatures[i]) >= MIN_EQUAL;
                }
            }
        }
    }

    /** What was found so far. */
    public Result result() {
        int n = 0;
        for (boolean f : found) {
            if (f) {
                n++;
            }
        }
        return new Result(offered, signatures.length, n, trainingDocuments);
    }

    /**
     * What {@code metrics.json} records for a split's held-out sides: the rule, then each side's
     * {@link Result#toMap()} under its name (e.g. {@code validation}, {@code test}), in the given order.
     */
    public static Map<String, Object> report(Map<String, Result> sides) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", RULE);
        sides.forEach((name, r) -> m.put(name, r.toMap()));
        return m;
    }

    /**
     * One sentence on a {@link #report}: the test side's share with its counts, and the validation
     * side's share when it has one, e.g. "24.3% of the test documents (1,234 of 5,080 checked) and
     * 22.0% of the validation documents have a near duplicate among the training documents (...)";
     * null when the map has no test side (metrics written before this check existed).
     *
     * @param items what the rows are called, e.g. {@code documents} or {@code rows}
     */
    public static String describe(Map<?, ?> report, String items) {
        if (report == null || !(report.get("test") instanceof Map<?, ?> test)) {
            return null;
        }
        String validation = report.get("validation") instanceof Map<?, ?> v
                ? String.format(Locale.ROOT, " and %.1f%% of the validation %s", 100 * number(v.get("share")), items)
                : "";
        return String.format(
                Locale.ROOT,
                "%.1f%% of the test %s (%,d of %,d checked)%s have a near duplicate among the training %s (%s)",
                100 * number(test.get("share")),
                items,
                (long) number(test.get("near_duplicates")),
                (long) number(test.get("checked")),
                validation,
                items,
                RULE);
    }

    /** The rule in words, as reports give it. */
    public static final String RULE = "MinHash estimate of 5-word-shingle Jaccard similarity >= " + MIN_SIMILARITY;

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /**
     * The checked held-out documents without a near duplicate so far, as their positions among the
     * documents offered to the builder (0-based, ascending): with no sampling, every held-out
     * document with a shingle that repeats no training document.
     */
    public int[] withoutNearDuplicate() {
        return java.util.stream.IntStream.range(0, found.length)
                .filter(i -> !found[i])
                .map(i -> offeredIndex[i])
                .sorted()
                .toArray();
    }

    private static int equalPositions(long[] a, long[] b) {
        int equal = 0;
        for (int k = 0; k < a.length; k++) {
            if (a[k] == b[k]) {
                equal++;
            }
        }
        return equal;
    }

    /**
     * The outcome of a check.
     *
     * @param documents held-out documents offered
     * @param checked those checked: the ones with a shingle, at most the sample's size
     * @param nearDuplicates checked documents with a near duplicate among the training documents
     * @param trainingDocuments training documents offered
     */
    public record Result(int documents, int checked, int nearDuplicates, int trainingDocuments) {

        /** The share of checked documents with a near duplicate, in [0, 1]; 0 when none was checked. */
        public double share() {
            return checked == 0 ? 0 : (double) nearDuplicates / checked;
        }

        /** As {@code metrics.json} records it. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("documents", documents);
            m.put("checked", checked);
            m.put("near_duplicates", nearDuplicates);
            m.put("share", Math.round(share() * 10_000) / 10_000.0);
            return m;
        }
    }

    /** Collects the held-out side of a check ({@link SplitOverlap#builder}). */
    public static final class Builder {
        private final int max;
        private final List<long[]> sample = new ArrayList<>();
        private final List<Integer> sampleIndex = new ArrayList<>();
        private final SplittableRandom random = new SplittableRandom(0x5EEDL);
        private int offered;
        private int eligible;

        private Builder(int max) {
            this.max = max;
        }

        /** Offers one held-out document. */
        public Builder add(String text) {
            int index = offered++;
            if (!NearDuplicates.hasShingle(text)) {
                return this;
            }
            eligible++;
            if (sample.size() < max) {
                sample.add(NearDuplicates.signature(text));
                sampleIndex.add(index);
            } else {
                long j = random.nextLong(eligible);
                if (j < max) {
                    sample.set((int) j, NearDuplicates.signature(text));
                    sampleIndex.set((int) j, index);
                }
            }
            return this;
        }

        /** The check, ready for the training documents. */
        public SplitOverlap build() {
            return new SplitOverlap(
                    offered,
                    sample.toArray(new long[0][]),
                    sampleIndex.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    /** One band's two signature values ({@link NearDuplicates#ROWS} is 2). */
    private record BandKey(long first, long second) {
        static BandKey of(long[] signature, int band) {
            return new BandKey(signature[band * 2], signature[band * 2 + 1]);
        }
    }
}
