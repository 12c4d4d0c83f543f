package org.distill4j.eval;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Two language models compared on the same held-out documents, with how much of their difference
 * the choice of documents alone could explain: a paired bootstrap over documents (drawn with
 * replacement, both models' losses on each draw) of the bits per byte the first model saves and,
 * given a reference model (the teacher), of the share of the second model's gap to it that the
 * first closes; and a paired sign-flip (permutation) test of the total difference.
 *
 * <p>The unit is the document because corpora are split by document: windows of one document are
 * not independent draws. As for {@link PairedComparison}, the intervals cover the test documents
 * given the trained models, not training seeds.
 *
 * @param documents documents compared
 * @param bytes UTF-8 bytes they hold (the bits-per-byte denominator)
 * @param bitsPerByteSaved the second model's bits per byte minus the first's: positive when the
 *     first predicts the text better; {@code shareAboveZero} is the share of resamples where it does
 * @param gapShare {@code (second - first) / (second - reference)} in bits per byte (1: the first is
 *     level with the reference, 0: with the second); null without a reference, or where the
 *     reference is not ahead of the second on the documents as they are
 * @param undefinedGapResamples resamples where the reference was not ahead of the second, left out
 *     of {@code gapShare}'s distribution
 * @param signFlipP two-sided p-value of the sign-flip test of the summed per-document differences:
 *     {@code (1 + #{|sum_d e_d delta_d| >= |sum_d delta_d|}) / (1 + permutations)}, {@code e_d} random
 *     signs, so never below {@code 1 / (1 + permutations)}
 * @param permutations sign patterns drawn
 * @param documentsFirstBetter documents where the first model's loss is strictly lower
 * @param resamples bootstrap resamples drawn
 * @param seed the seed of the bootstrap and the permutations (same seed and losses, same numbers)
 */
public record PairedLossComparison(
        int documents,
        long bytes,
        PairedComparison.Difference bitsPerByteSaved,
        PairedComparison.Difference gapShare,
        int undefinedGapResamples,
        double signFlipP,
        int permutations,
        int documentsFirstBetter,
        int resamples,
        long seed) {

    /** The resamples {@link #of(double[], double[], double[], long[])} draws. */
    public static final int DEFAULT_RESAMPLES = 2000;

    /** The sign patterns it draws. */
    public static final int DEFAULT_PERMUTATIONS = 10_000;

    /**
     * Compares with {@link #DEFAULT_RESAMPLES} resamples, {@link #DEFAULT_PERMUTATIONS} sign patterns
     * and {@link PairedComparison#DEFAULT_SEED}.
     */
    public static PairedLossComparison of(double[] first, double[] second, double[] reference, long[] bytes) {
        return of(
                first,
                second,
                reference,
                bytes,
                DEFAULT_RESAMPLES,
                DEFAULT_PERMUTATIONS,
                PairedComparison.DEFAULT_SEED);
    }

    /**
     * Compares two models' per-document losses.
     *
     * @param first the model the savings are of (e.g. the distilled student), nats per document
     * @param second the model it is compared with (e.g. its scratch twin), nats per document
     * @param reference a third model's nats per document (the teacher), or null
     * @param bytes UTF-8 bytes per document, the same documents in the same order
     * @param resamples bootstrap resamples, at least 100
     * @param permutations sign patterns, at least 100
     * @param seed the seed
     * @throws IllegalArgumentException if the arrays differ in length, hold fewer than 2 documents,
     *     a loss that is not finite or a negative byte count, or no byte at all
     */
    public static PairedLossComparison of(
            double[] first,
            double[] second,
            double[] reference,
            long[] bytes,
            int resamples,
            int permutations,
            long seed) {
        int n = bytes.length;
        if (first.length != n || second.length != n || (reference != null && reference.length != n)) {
            throw new IllegalArgumentException("per-document losses of " + first.length + ", " + second.length
                    + (reference == null ? "" : " and " + reference.length) + " documents do not match the " + n
                    + " documents' byte counts: score every model on the same documents");
        }
        if (n < 2) {
            throw new IllegalArgumentException("a paired comparison needs at least 2 documents, got " + n);
        }
        if (resamples < 100 || permutations < 100) {
            throw new IllegalArgumentException("illegal resamples or permutations: " + resamples + ", " + permutations
                    + "; each must be at least 100");
        }
        long totalBytes = 0;
        int firstBetter = 0;
        double[] delta = new double[n];
        for (int d = 0; d < n; d++) {
            if (bytes[d] < 0) {
                throw new IllegalArgumentException("document " + d + " has " + bytes[d] + " bytes");
            }
            check(first[d], "first", d);
            check(second[d], "second", d);
            if (reference != null) {
                check(reference[d], "reference", d);
            }
            totalBytes += bytes[d];
            delta[d] = second[d] - first[d];
            firstBetter += delta[d] > 0 ? 1 : 0;
        }
        if (totalBytes == 0) {
            throw new IllegalArgumentException("the " + n + " documents hold no byte to score");
        }
        double[] point = statistics(delta, second, reference, bytes, Bootstrap.once(n));
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] draws =
                Bootstrap.resample(rng, n, resamples, counts -> statistics(delta, second, reference, bytes, counts));
        double[] saved = Bootstrap.column(draws, 0);
        double[] gap = Bootstrap.column(draws, 1);
        int undefined = 0;
        for (double g : gap) {
            undefined += reference != null && Double.isNaN(g) ? 1 : 0;
        }
        PairedComparison.Difference gapShare = reference == null || Double.isNaN(point[1]) || undefined == resamples
                ? null
                : Bootstrap.difference(point[1], gap);
        return new PairedLossComparison(
                n,
                totalBytes,
                Bootstrap.difference(point[0], saved),
                gapShare,
                reference == null ? 0 : undefined,
                signFlip(delta, permutations, rng),
                permutations,
                firstBetter,
                resamples,
                seed);
    }

    private static void check(double nats, String model, int d) {
        // Not "> 0": a near-certain model's float log-probabilities can round a few ulps above zero.
        if (!Double.isFinite(nats)) {
            throw new IllegalArgumentException(
                    model + " model's loss on document " + d + " is " + nats + " nats; expected a finite value");
        }
    }

    /** {bits per byte saved, share of the gap closed (NaN if undefined)} with document d counted {@code w[d]} times. */
    private static double[] statistics(double[] delta, double[] second, double[] reference, long[] bytes, int[] w) {
        double saved = 0;
        double gap = 0;
        long b = 0;
        for (int d = 0; d < delta.length; d++) {
            if (w[d] == 0) {
                continue;
            }
            saved += w[d] * delta[d];
            b += w[d] * bytes[d];
            if (reference != null) {
                gap += w[d] * (second[d] - reference[d]);
            }
        }
        double bits = b == 0 ? Double.NaN : saved / Math.log(2) / b;
        return new double[] {bits, reference != null && gap > 0 ? saved / gap : Double.NaN};
    }

    /** Monte Carlo two-sided sign-flip p-value of the sum of {@code delta}. */
    private static double signFlip(double[] delta, int permutations, SplittableRandom rng) {
        double observed = 0;
        double scale = 0;
        for (double d : delta) {
            observed += d;
            scale += Math.abs(d);
        }
        // Sums equal to the observed one up to rounding count as reaching it (identical models give p = 1).
        double bar = Math.abs(observed) - 1e-12 * scale;
        int reached = 0;
        for (int p = 0; p < permutations; p++) {
            double sum = 0;
            long bits = 0;
            for (int d = 0; d < delta.length; d++) {
                if ((d & 63) == 0) {
                    bits = rng.nextLong();
                }
                sum += (bits & 1L) == 0 ? delta[d] : -delta[d];
                bits >>>= 1;
            }
            reached += Math.abs(sum) >= bar ? 1 : 0;
        }
        return (1.0 + reached) / (1.0 + permutations);
    }

    /**
     * A sign-flip p-value as a report says it: {@code "p = 0.031"}, or at its floor {@code 1 / (1 +
     * permutations)}, where no pattern reached the observed sum, the bound {@code "p < 0.0002 (no
     * sign pattern of 10,000 reached it)"} rather than a falsely exact number.
     */
    public static String signFlipText(double p, long permutations) {
        return p * (1 + permutations) < 1.5
                ? String.format(
                        java.util.Locale.ROOT,
                        "p < %.1g (no sign pattern of %,d reached it)",
                        2.0 / (1 + permutations),
                        permutations)
                : String.format(java.util.Locale.ROOT, "p = %.2g", p);
    }

    /** As a JSON-compatible tree, for {@code metrics.json}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("documents", documents);
        m.put("bytes", bytes);
        m.put("bits_per_byte_saved", bitsPerByteSaved.toMap());
        m.put("gap_share", gapShare == null ? null : gapShare.toMap());
        m.put("gap_share_undefined_resamples", undefinedGapResamples);
        Map<String, Object> sf = new LinkedHashMap<>();
        sf.put("p_value", signFlipP);
        sf.put("permutations", permutations);
        sf.put("documents_first_better", documentsFirstBetter);
        m.put("sign_flip", sf);
        m.put("bootstrap_resamples", resamples);
        m.put("bootstrap_seed", seed);
        return m;
    }
}
