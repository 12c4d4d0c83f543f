package org.distill4j.lm.train;

import org.distill4j.lm.corpus.TokenWindows;

/**
 * The no-context reference: each next token predicted from its training frequency alone
 * (add-one smoothed over the vocabulary). A language model that does not beat it has learnt nothing
 * from context.
 */
public final class UnigramBaseline {

    private final double[] logProb;

    private UnigramBaseline(double[] logProb) {
        this.logProb = logProb;
    }

    /** Counts the targets of {@code train}. */
    public static UnigramBaseline fit(TokenWindows train, int vocabSize) {
        long[] counts = new long[vocabSize];
        forEachTarget(train, id -> counts[id]++);
        double total = train.targetTokens() + vocabSize;
        double[] lp = new double[vocabSize];
        for (int v = 0; v < vocabSize; v++) {
            lp[v] = Math.log((counts[v] + 1) / total);
        }
        return new UnigramBaseline(lp);
    }

    /** Evaluates it on the targets of {@code windows}. */
    public Evaluation evaluate(TokenWindows windows) {
        double[] nats = {0};
        forEachTarget(windows, id -> nats[0] -= logProb[id]);
        return new Evaluation(nats[0], windows.targetTokens(), windows.targetBytes());
    }

    /** Visits every target (stream token after the first) in order, reading the stream in pieces. */
    private static void forEachTarget(TokenWindows windows, java.util.function.IntConsumer each) {
        var stream = windows.tokens();
        int[] chunk = new int[1 << 16];
        for (long from = 1; from < stream.length(); from += chunk.length) {
            int n = (int) Math.min(chunk.length, stream.length() - from);
            stream.copy(from, chunk, 0, n);
            for (int i = 0; i < n; i++) {
                each.accept(chunk[i]);
            }
        }
    }
}
