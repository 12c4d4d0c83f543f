package org.distill4j.lm.train;

import java.util.Arrays;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.token.Tokenizer;

/**
 * A model's negative log-likelihood on held-out text, document by document: the unit a paired
 * comparison of two language models resamples ({@link org.distill4j.eval.PairedLossComparison}),
 * since corpora are split by document and windows of one document are not independent draws.
 *
 * <p>Attribution: the packed stream is {@code BOS d1 EOS BOS d2 EOS ...} and every token after the
 * first is a target once; a target belongs to the document whose BOS came last at or before it, so
 * a document's targets are its tokens and its EOS, plus its BOS for every document but the first
 * (whose BOS is never a target). A window holding the end of one document and the start of the
 * next splits between them. Bytes are counted per target as {@link
 * org.distill4j.lm.corpus.TokenPacker} counts them, so the documents' sums are the windows' totals
 * ({@link #total()} equals {@link Evaluation#of} up to summation order).
 */
public final class DocumentLosses {

    private final double[] nats;
    private final long[] bytes;
    private final long tokens;

    private DocumentLosses(double[] nats, long[] bytes, long tokens) {
        this.nats = nats;
        this.bytes = bytes;
        this.tokens = tokens;
    }

    /**
     * Scores {@code lm} on every window, document by document.
     *
     * @param batchSize windows per forward pass
     */
    public static DocumentLosses of(LanguageModel lm, TokenWindows windows, int batchSize) {
        Accumulator acc = new Accumulator(windows.tokenizer());
        Evaluation total = Evaluation.of(lm, windows, batchSize, acc);
        return acc.finish(total.tokens());
    }

    /**
     * Scores an in-process teacher (a TorchScript module, say) on every window, document by document.
     *
     * @param batchSize windows per forward pass
     */
    public static DocumentLosses of(LmTeacher teacher, TokenWindows windows, int batchSize) {
        Accumulator acc = new Accumulator(windows.tokenizer());
        Evaluation total = Evaluation.of(teacher, windows, batchSize, acc);
        return acc.finish(total.tokens());
    }

    /** Returns the number of documents. */
    public int documents() {
        return nats.length;
    }

    /** Returns document {@code d}'s summed -ln p over its targets. */
    public double nats(int d) {
        return nats[d];
    }

    /** Returns the UTF-8 bytes document {@code d}'s targets stand for. */
    public long bytes(int d) {
        return bytes[d];
    }

    /** Returns every document's nats, in document order (a copy). */
    public double[] natsByDocument() {
        return nats.clone();
    }

    /** Returns every document's bytes, in document order (a copy). */
    public long[] bytesByDocument() {
        return bytes.clone();
    }

    /** Returns the totals over all documents: what {@link Evaluation#of} reports. */
    public Evaluation total() {
        double n = 0;
        long b = 0;
        for (int d = 0; d < nats.length; d++) {
            n += nats[d];
            b += bytes[d];
        }
        return new Evaluation(n, tokens, b);
    }

    /** Receives every real target's id and nats in stream order and sums them by document. */
    static final class Accumulator {
        private final Tokenizer tokenizer;
        private double[] nats = new double[64];
        private long[] bytes = new long[64];
        private int current;

        Accumulator(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
        }

        void add(int target, double targetNats) {
            if (target == tokenizer.bos()) {
                current++;
                if (current == nats.length) {
                    nats = Arrays.copyOf(nats, 2 * current);
                    bytes = Arrays.copyOf(bytes, 2 * current);
                }
            }
            nats[current] += targetNats;
            bytes[current] += tokenizer.byteLength(target);
        }

        DocumentLosses finish(long tokens) {
            return new DocumentLosses(Arrays.copyOf(nats, current + 1), Arrays.copyOf(bytes, current + 1), tokens);
        }
    }
}
