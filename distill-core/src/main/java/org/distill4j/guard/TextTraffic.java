package org.distill4j.guard;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * One client's language-model traffic as the {@link ExtractionMonitor} sees it: which token
 * contexts it has already sent (n-gram novelty) and whether its recent requests form a
 * <em>scoring sweep</em>, the pattern of a top-k collector. Not thread-safe: the monitor locks the
 * client's state around it.
 *
 * <p>Novelty: a position is <em>novel</em> when the {@value #NGRAM}-token context ending there
 * (fewer at a prompt's start) is not among the contexts this client sent before. The seen
 * contexts are kept as hashes in two generations of a {@value #BITS}-bit set (256 KiB per
 * client); when the current generation is a quarter full it becomes the previous one and a fresh
 * one starts, so memory stays bounded and contexts older than about two generations are forgotten
 * (they count as novel again: the error is on the side of counting more).
 */
final class TextTraffic {

    /** Tokens per context (an 8-gram: a repeated context of 8 byte tokens is a repeated phrase). */
    static final int NGRAM = 8;

    /** Bits per generation of the seen-context set. */
    static final int BITS = 1 << 20;

    private long[] current = new long[BITS / 64];
    private long[] previous = new long[BITS / 64];
    private int currentSet;
    private final Deque<double[]> recent = new ArrayDeque<>(); // {scores prompt ? 1 : 0, novelty}
    private long promptTokens;
    private long scoringRequests;
    private long requests;
    private long revealed;
    private long novelRevealed;
    private double lastNovelty = Double.NaN;

    /**
     * Records one request and returns the positions it reveals the model's distribution at in
     * contexts new to this client (the items the volume budget counts): novel prompt positions
     * when it scores its prompts, plus every position it asks log-probabilities for in generation.
     */
    long record(TextQuery q, int window) {
        requests++;
        promptTokens += q.promptTokens();
        long novel = 0;
        long positions = 0;
        for (int[] p : q.prompts()) {
            positions += p.length;
            novel += novelPositions(p);
        }
        double novelty = positions == 0 ? 0 : (double) novel / positions;
        lastNovelty = novelty;
        long items = 0;
        if (q.echoLogprobs()) {
            scoringRequests++;
            revealed += positions;
            items += novel;
        }
        if (q.logprobs() >= 0 && q.maxTokens() > 0) {
            long generated = (long) q.maxTokens() * q.n() * q.prompts().size();
            revealed += generated;
            items += generated;
        }
        novelRevealed += items;
        recent.addLast(new double[] {q.echoLogprobs() ? 1 : 0, novelty});
        while (recent.size() > window) {
            recent.pollFirst();
        }
        return items;
    }

    /**
     * Returns why the recent requests look like a scoring sweep, or null: at least {@code minShare}
     * of the last {@code window} requests score their prompts ({@code echo} + {@code logprobs}) and
     * the prompts of those are on average at least {@code minNovelty} novel.
     */
    String sweep(int window, double minShare, double minNovelty) {
        if (recent.size() < window) {
            return null;
        }
        int scoring = 0;
        double novelty = 0;
        for (double[] r : recent) {
            if (r[0] > 0) {
                scoring++;
                novelty += r[1];
            }
        }
        if (scoring < minShare * window) {
            return null;
        }
        novelty /= scoring;
        if (novelty < minNovelty) {
            return null;
        }
        return String.format(
                Locale.ROOT,
                "scoring sweep: %d of the last %d requests score their prompts (echo + logprobs), "
                        + "%.0f%% of their positions in contexts this client never sent before",
                scoring,
                window,
                100 * novelty);
    }

    /** Share of this client's requests that score their prompts. */
    double scoringShare() {
        return requests == 0 ? Double.NaN : (double) scoringRequests / requests;
    }

    /** Mean novelty of the recent requests, or NaN before the first. */
    double recentNovelty() {
        return recent.isEmpty()
                ? Double.NaN
                : recent.stream().mapToDouble(r -> r[1]).average().orElse(Double.NaN);
    }

    double lastNovelty() {
        return lastNovelty;
    }

    long promptTokens() {
        return promptTokens;
    }

    long revealed() {
        return revealed;
    }

    long novelRevealed() {
        return novelRevealed;
    }

    /** Counts the novel positions of {@code ids} and adds their contexts to the seen set. */
    private long novelPositions(int[] ids) {
        long novel = 0;
        for (int i = 0; i < ids.length; i++) {
            long h = 0x9E3779B97F4A7C15L;
            for (int j = Math.max(0, i - NGRAM + 1); j <= i; j++) {
                h = mix(h ^ ids[j]);
            }
            if (i < NGRAM - 1) {
                h = mix(h ^ 0xB0B0B0B0L); // a prompt's start differs from the same tokens mid-text
            }
            int bit = (int) (h >>> 44); // 20 bits
            long mask = 1L << (bit & 63);
            int word = bit >>> 6;
            boolean seen = (current[word] & mask) != 0 || (previous[word] & mask) != 0;
            if (!seen) {
                novel++;
            }
            if ((current[word] & mask) == 0) {
                current[word] |= mask;
                if (++currentSet > BITS / 4) {
                    previous = current;
                    current = new long[BITS / 64];
                    currentSet = 0;
                }
            }
        }
        return novel;
    }

    /** SplitMix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
