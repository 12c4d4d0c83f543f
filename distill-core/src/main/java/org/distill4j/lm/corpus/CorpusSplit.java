package org.distill4j.lm.corpus;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.io.Hashing;

/**
 * Documents split into train, validation and test.
 *
 * <p>{@link #bySeed} assigns each document by a hash of (seed, its text), so the split is stable:
 * a document's split does not depend on the order or presence of other documents, and duplicate
 * texts always land in the same split (no train/test leakage through duplicates). Within a split
 * documents keep their corpus order.
 *
 * @param train training documents, not empty
 * @param validation validation documents
 * @param test test documents
 */
public record CorpusSplit(List<Document> train, List<Document> validation, List<Document> test) {

    /** Copies the lists and checks that train is not empty. */
    public CorpusSplit {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
        if (train.isEmpty()) {
            throw new IllegalArgumentException("the training split has no document");
        }
    }

    /**
     * Splits documents by a seeded hash of their text.
     *
     * @param documents the corpus
     * @param seed the split seed (a different seed gives a different split)
     * @param validationFraction expected share of documents in validation, in [0, 1)
     * @param testFraction expected share of documents in test, in [0, 1), with the validation share &lt; 1
     * @throws IllegalArgumentException if a split whose fraction is &gt; 0 (or train) ends up empty:
     *     the corpus is too small for the fractions
     */
    public static CorpusSplit bySeed(
            List<Document> documents, long seed, double validationFraction, double testFraction) {
        checkFractions(validationFraction, testFraction);
        Part[] parts = new Part[documents.size()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = part(documents.get(i).text(), seed, validationFraction, testFraction);
        }
        return assemble(documents, parts, validationFraction, testFraction);
    }

    /**
     * Splits documents by group of near-duplicates ({@link NearDuplicates}): every member of a
     * group goes where {@link #part} sends the group's lexicographically smallest text, so a family
     * of templated documents is never on both sides, and a document without a near duplicate lands
     * exactly where {@link #bySeed} puts it. Reads every document before assigning any (no
     * streaming). A group larger than the smallest split's expected size is grouped again by a
     * stricter rule ({@link NearDuplicates#groups(List, int)}), so one draw cannot move a whole
     * split's share of the corpus. Within a split documents keep their corpus order.
     *
     * @throws IllegalArgumentException as {@link #bySeed}; a split can also end up empty because a
     *     few large groups hold most of the documents
     */
    public static CorpusSplit byNearDuplicates(
            List<Document> documents, long seed, double validationFraction, double testFraction) {
        checkFractions(validationFraction, testFraction);
        int[] group =
                NearDuplicates.groups(documents, maxGroupSize(documents.size(), validationFraction, testFraction));
        Map<Integer, String> smallest = new HashMap<>();
        for (int i = 0; i < documents.size(); i++) {
            smallest.merge(group[i], documents.get(i).text(), (a, b) -> a.compareTo(b) <= 0 ? a : b);
        }
        Map<Integer, Part> groupParts = new HashMap<>();
        smallest.forEach((g, text) -> groupParts.put(g, part(text, seed, validationFraction, testFraction)));
        Part[] parts = new Part[documents.size()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = groupParts.get(group[i]);
        }
        return assemble(documents, parts, validationFraction, testFraction);
    }

    /** The split that puts document i into parts[i], keeping corpus order within each part. */
    private static CorpusSplit assemble(
            List<Document> documents, Part[] parts, double validationFraction, double testFraction) {
        List<Document> train = new ArrayList<>();
        List<Document> validation = new ArrayList<>();
        List<Document> test = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            switch (parts[i]) {
                case TRAIN -> train.add(documents.get(i));
                case VALIDATION -> validation.add(documents.get(i));
                default -> test.add(documents.get(i));
            }
        }
        checkSizes(train.size(), validation.size(), test.size(), validationFraction, testFraction);
        return new CorpusSplit(train, validation, test);
    }

    /**
     * The largest group {@link #byNearDuplicates} keeps whole: the expected size of its smallest
     * split (of those with a fraction &gt; 0), so that no single draw sends more than a split's share
     * of the corpus to one side; at least 1, unlimited when validation and test are both 0.
     */
    public static int maxGroupSize(int documents, double validationFraction, double testFraction) {
        double smallest =
                Math.min(validationFraction > 0 ? validationFraction : 1, testFraction > 0 ? testFraction : 1);
        return smallest >= 1 ? Integer.MAX_VALUE : Math.max(1, (int) (smallest * documents));
    }

    /**
     * Splits documents by {@code unit}: {@link #bySeed} or {@link #byNearDuplicates}.
     */
    public static CorpusSplit split(
            Unit unit, List<Document> documents, long seed, double validationFraction, double testFraction) {
        return unit == Unit.NEAR_DUPLICATES
                ? byNearDuplicates(documents, seed, validationFraction, testFraction)
                : bySeed(documents, seed, validationFraction, testFraction);
    }

    /** What a split keeps together. */
    public enum Unit {
        /** Each document on its own (identical texts together): {@link #bySeed}. */
        DOCUMENT,
        /** Each group of near-duplicate documents: {@link #byNearDuplicates}. */
        NEAR_DUPLICATES
    }

    /**
     * Returns the documents whose seeded hash falls below {@code share}, in their order: about that
     * share of them, each kept or not by its text alone (like the split, so the sample is stable).
     * The hash is drawn from {@code ~seed}, so a sample seeded with a split's seed is independent of
     * that split's assignment.
     *
     * @param share in (0, 1]; 1 returns all of them
     * @throws IllegalArgumentException if share is out of range, or documents are given and none is kept
     */
    public static List<Document> sample(List<Document> documents, long seed, double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("sample share must be in (0, 1], got " + share);
        }
        if (share == 1) {
            return List.copyOf(documents);
        }
        List<Document> kept = new ArrayList<>();
        for (Document d : documents) {
            if (unit(~seed, d.text()) < share) {
                kept.add(d);
            }
        }
        if (kept.isEmpty() && !documents.isEmpty()) {
            throw new IllegalArgumentException("a share of " + share + " of " + documents.size()
                    + " documents kept none; give a larger share or more documents");
        }
        return kept;
    }

    /** The three parts of a split. */
    public enum Part {
        /** Training documents. */
        TRAIN,
        /** Validation documents. */
        VALIDATION,
        /** Test documents. */
        TEST
    }

    /**
     * Returns the part a document of {@code text} belongs to: what {@link #bySeed} decides for it,
     * from its text alone, so a corpus can be split while it streams past.
     */
    public static Part part(String text, long seed, double validationFraction, double testFraction) {
        double u = unit(seed, text);
        return u < testFraction ? Part.TEST : u < testFraction + validationFraction ? Part.VALIDATION : Part.TRAIN;
    }

    /** Refuses fractions {@link #bySeed} refuses. */
    public static void checkFractions(double validationFraction, double testFraction) {
        if (!(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1)) {
            throw new IllegalArgumentException("illegal fractions validation=" + validationFraction + ", test="
                    + testFraction + "; each must be >= 0 and their sum < 1");
        }
    }

    /**
     * Refuses a split {@link #bySeed} refuses: train empty, or a part with a fraction &gt; 0 empty.
     *
     * @throws IllegalArgumentException saying the corpus is too small for the fractions
     */
    public static void checkSizes(
            long train, long validation, long test, double validationFraction, double testFraction) {
        if (train == 0 || (validationFraction > 0 && validation == 0) || (testFraction > 0 && test == 0)) {
            throw new IllegalArgumentException("corpus of " + (train + validation + test) + " documents is too small "
                    + "to split with validation=" + validationFraction + ", test=" + testFraction + ": got train="
                    + train + ", validation=" + validation + ", test=" + test
                    + " documents; give more documents or other fractions");
        }
    }

    /** A uniform number in [0, 1) from SHA-256(seed, text). */
    static double unit(long seed, String text) {
        MessageDigest md = Hashing.sha256();
        md.update(ByteBuffer.allocate(8).putLong(seed).array());
        md.update(text.getBytes(StandardCharsets.UTF_8));
        long bits = ByteBuffer.wrap(md.digest()).getLong() >>> 11;
        return bits / (double) (1L << 53);
    }
}
