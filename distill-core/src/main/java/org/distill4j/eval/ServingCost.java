package org.distill4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;

/**
 * Measures what a model costs to serve from this JVM: latency of one row (p50, p99) and
 * throughput at a batch size, each after a warm-up, with inputs taken from real rows.
 *
 * @param latencyMsP50 median milliseconds per single-row call
 * @param latencyMsP99 99th-percentile milliseconds per single-row call
 * @param throughputPerS rows per second at {@code batch}, from the median call
 * @param batch batch size of the throughput measurement
 */
public record ServingCost(double latencyMsP50, double latencyMsP99, double throughputPerS, int batch) {

    /**
     * Measures a forward function.
     *
     * @param forward inputs (B, featureShape...) to logits (B, C)
     * @param data rows to feed (cycled)
     * @param manager parent manager; a sub-manager is used per call
     * @param runs single-row calls timed (after as many warm-up calls, at most 50)
     * @param batch throughput batch size
     */
    public static ServingCost measure(
            Function<NDArray, NDArray> forward, ExampleSet data, NDManager manager, int runs, int batch) {
        int fs = data.featureSize();
        float[] one = new float[fs];
        double[] times = new double[runs];
        int warmup = Math.min(50, runs);
        for (int i = -warmup; i < runs; i++) {
            data.copyFeatures(new int[] {Math.floorMod(i, data.size())}, one);
            long t0 = System.nanoTime();
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(one, ExampleSets.batchShape(data, 1));
                forward.apply(x).toFloatArray();
            }
            if (i >= 0) {
                times[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(times);
        int rows = Math.min(batch, Math.max(1, data.size()));
        int[] ids = new int[rows];
        for (int i = 0; i < rows; i++) {
            ids[i] = i % data.size();
        }
        float[] buf = new float[rows * fs];
        data.copyFeatures(ids, buf);
        // Warm up twice, then time each call for at least ~0.5 s and 5 calls. The median call, not
        // the mean: on a shared machine one descheduled call or collection would otherwise set the
        // figure.
        List<Double> calls = new ArrayList<>();
        long start = 0;
        for (int call = -2; call < 5 || System.nanoTime() - start < 500_000_000L; call++) {
            long t0 = System.nanoTime();
            if (call == 0) {
                start = t0;
            }
            try (NDManager m = manager.newSubManager()) {
                forward.apply(m.create(buf, ExampleSets.batchShape(data, rows))).toFloatArray();
            }
            if (call >= 0) {
                calls.add((System.nanoTime() - t0) / 1e9);
            }
        }
        double[] seconds =
                calls.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new ServingCost(percentile(times, 0.5), percentile(times, 0.99), rows / percentile(seconds, 0.5), rows);
    }

    private static double percentile(double[] sorted, double q) {
        int idx = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }
}
