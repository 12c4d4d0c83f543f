package org.distill4j.server;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The {@link DynamicBatcher} under concurrent load, checked row by row: many client threads submit
 * single rows, and each answer is compared with a reference computed beforehand by a direct
 * single-row forward pass of the same model.
 *
 * <p>With {@code maxBatchRows = 1} every forward pass is one row, so every answer must equal its
 * reference bit for bit: any difference is a race or a buffer reused too early. With larger batches
 * a row's logits may differ from the single-row reference in the last bits (the matrix product is
 * blocked by batch size, see {@link DynamicBatcher}), so the check counts bit-identical answers
 * and fails an answer only beyond {@code 1e-5 + 1e-5 |reference|}, far below what a row mixed up
 * with another's or read from freed memory gives.
 */
public final class BatcherStress {

    private BatcherStress() {}

    /**
     * What one load test found.
     *
     * @param clients client threads
     * @param requests single-row requests answered
     * @param maxBatchRows the batcher's largest batch
     * @param bitwiseEqual answers equal to their reference bit for bit
     * @param wrong answers beyond the tolerance (or, with one-row batches, not bit for bit equal), or failed
     * @param maxAbsDiff largest absolute difference from a reference
     * @param meanBatchRows mean rows per forward pass the batcher ran
     */
    public record Result(
            int clients,
            int requests,
            int maxBatchRows,
            int bitwiseEqual,
            int wrong,
            double maxAbsDiff,
            double meanBatchRows) {

        /** Whether no answer was wrong. */
        public boolean ok() {
            return wrong == 0;
        }

        /** One line for a report. */
        public String describe() {
            return String.format(
                    Locale.ROOT,
                    "%d clients, %d single-row requests, max batch %d: %d bit-identical"
                            + " to the single-row reference, %d wrong, max |diff| %.2g, mean batch %.1f rows",
                    clients,
                    requests,
                    maxBatchRows,
                    bitwiseEqual,
                    wrong,
                    maxAbsDiff,
                    meanBatchRows);
        }
    }

    /**
     * Runs the load test. The model is called directly (for the references) before the batcher
     * starts, and only by the batcher's thread afterwards.
     *
     * @param model the model; not closed here
     * @param rows {@code rowCount * model.rowSize()} input floats, row-major
     * @param rowCount rows in {@code rows}, at least 1
     * @param clients client threads, at least 1
     * @param requestsPerClient single-row requests per client
     * @param maxBatchRows the batcher's largest batch
     */
    public static Result run(
            ServedModel model, float[] rows, int rowCount, int clients, int requestsPerClient, int maxBatchRows)
            throws InterruptedException {
        int rowSize = model.rowSize();
        int classes = model.classNames().size();
        long[] fs = model.featureShape();
        long[] dims = new long[fs.length + 1];
        dims[0] = 1;
        System.arraycopy(fs, 0, dims, 1, fs.length);
        float[][] reference = new float[rowCount][];
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (int r = 0; r < rowCount; r++) {
                try (NDManager b = m.newSubManager()) {
                    float[] row = Arrays.copyOfRange(rows, r * rowSize, (r + 1) * rowSize);
                    reference[r] = model.logits(b.create(row, new Shape(dims))).toFloatArray();
                }
            }
        }
        int equal = 0;
        int wrong = 0;
        double maxDiff = 0;
        DynamicBatcher.Stats stats;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try (DynamicBatcher batcher =
                new DynamicBatcher(model, maxBatchRows, Duration.ofMillis(2), clients * requestsPerClient + 1)) {
            List<Future<List<float[]>>> answers = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                answers.add(pool.submit(() -> {
                    List<CompletableFuture<float[]>> pending = new ArrayList<>();
                    for (int j = 0; j < requestsPerClient; j++) {
                        int r = rowOf(client, j, rowCount);
                        pending.add(batcher.submit(Arrays.copyOfRange(rows, r * rowSize, (r + 1) * rowSize), 1));
                    }
                    List<float[]> out = new ArrayList<>();
                    for (CompletableFuture<float[]> f : pending) {
                        out.add(f.join());
                    }
                    return out;
                }));
            }
            for (int c = 0; c < clients; c++) {
                List<float[]> got;
                try {
                    got = answers.get(c).get(10, TimeUnit.MINUTES);
                } catch (Exception e) {
                    wrong += requestsPerClient;
                    continue;
                }
                for (int j = 0; j < got.size(); j++) {
                    float[] ref = reference[rowOf(c, j, rowCount)];
                    float[] out = got.get(j);
                    boolean same = Arrays.equals(ref, out);
                    boolean bad = out.length != classes;
                    for (int k = 0; !bad && k < classes; k++) {
                        double d = Math.abs(out[k] - ref[k]);
                        maxDiff = Math.max(maxDiff, d);
                        bad |= !(d <= 1e-5 + 1e-5 * Math.abs(ref[k]));
                    }
                    equal += same ? 1 : 0;
                    wrong += bad || (maxBatchRows == 1 && !same) ? 1 : 0;
                }
            }
            stats = batcher.stats();
        } finally {
            pool.shutdownNow();
        }
        return new Result(
                clients, clients * requestsPerClient, maxBatchRows, equal, wrong, maxDiff, stats.meanBatchRows());
    }

    private static int rowOf(int client, int j, int rowCount) {
        return (client * 7919 + j * 31) % rowCount;
    }
}
