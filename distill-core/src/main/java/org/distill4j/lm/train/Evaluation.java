package org.distill4j.lm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.teacher.LmTeacher;

/**
 * How well a model predicts held-out text: the summed negative log-likelihood of every real target
 * (EOS and BOS targets included), per token and per byte.
 *
 * @param nats total -ln p over real targets
 * @param tokens number of real targets
 * @param bytes UTF-8 bytes those targets stand for
 */
public record Evaluation(double nats, long tokens, long bytes) {

    /** Returns bits per byte: nats / ln 2 / bytes (the byte-count denominator makes tokenizers comparable). */
    public double bitsPerByte() {
        return nats / Math.log(2) / bytes;
    }

    /** Returns the per-token perplexity exp(nats / tokens). */
    public double perplexity() {
        return Math.exp(nats / tokens);
    }

    /**
     * Evaluates {@code lm} on every window.
     *
     * @param batchSize windows per forward pass
     */
    public static Evaluation of(LanguageModel lm, TokenWindows windows, int batchSize) {
        return of(lm, windows, batchSize, null);
    }

    static Evaluation of(LanguageModel lm, TokenWindows windows, int batchSize, DocumentLosses.Accumulator docs) {
        try (NDManager root = lm.model().getNDManager().newSubManager()) {
            return of(lm::logits, root, windows, batchSize, docs);
        }
    }

    /**
     * Evaluates an in-process teacher (a TorchScript module, say) on every window; for a {@link
     * org.distill4j.lm.teacher.LocalLmTeacher} the same as evaluating its model.
     *
     * @param batchSize windows per forward pass
     */
    public static Evaluation of(LmTeacher teacher, TokenWindows windows, int batchSize) {
        return of(teacher, windows, batchSize, null);
    }

    static Evaluation of(LmTeacher teacher, TokenWindows windows, int batchSize, DocumentLosses.Accumulator docs) {
        try (NDManager root = NDManager.newBaseManager()) {
            return of(teacher::logits, root, windows, batchSize, docs);
        }
    }

    /** Sums every real target's nats; with {@code docs}, also hands each target to it in stream order. */
    private static Evaluation of(
            UnaryOperator<NDArray> logits,
            NDManager root,
            TokenWindows windows,
            int batchSize,
            DocumentLosses.Accumulator docs) {
        double nats = 0;
        for (int from = 0; from < windows.size(); from += batchSize) {
            int n = Math.min(batchSize, windows.size() - from);
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) {
                idx[i] = from + i;
            }
            try (NDManager m = root.newSubManager()) {
                NDList b = windows.batch(m, idx);
                NDArray targets = b.get(1);
                NDArray logp = logits.apply(b.get(0)).logSoftmax(2);
                NDArray mask = targets.gte(0).toType(DataType.FLOAT32, false);
                NDArray picked =
                        logp.gather(targets.maximum(0L).expandDims(2), 2).squeeze(2);
                NDArray masked = picked.mul(mask);
                nats -= masked.toType(DataType.FLOAT64, false).sum().getDouble();
                if (docs != null) {
                    // Windows in index order and positions in order are the stream's targets in order.
                    float[] lp = masked.toFloatArray();
                    long[] ids = targets.toLongArray();
                    for (int j = 0; j < ids.length; j++) {
                        if (ids[j] >= 0) {
                            docs.add((int) ids[j], -lp[j]);
                        }
                    }
                }
            }
        }
        return new Evaluation(nats, windows.targetTokens(), windows.targetBytes());
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT, "%.4f bits/byte, perplexity %.3f over %,d tokens", bitsPerByte(), perplexity(), tokens);
    }
}
