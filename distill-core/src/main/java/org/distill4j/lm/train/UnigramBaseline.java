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
        int[] stream = train.stream();
        long[] counts = new long[vocabSize];
        for (int i = 1; i < stream.length; i++) {
            counts[stream[i]]++;
        }
        double total = stream.length - 1 + vocabSize;
        double[] lp = new double[vocabSize];
        for (int v = 0; v < vocabSize; v++) {
            lp[v] = Math.log((counts[v] + 1) / total);
        }
        return new UnigramBaseline(lp);
    }

    /** Evaluates it on the targets of {@code windows}. */
    public Evaluation evaluate(TokenWindows windows) {
        int[] stream = windows.stream();
        double nats = 0;
        for (int i = 1; i < stream.length; i++) {
            nats -= logProb[stream[i]];
        }
        return new Evaluation(nats, windows.targetTokens(), windows.targetBytes());
    }
}
