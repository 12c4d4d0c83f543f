package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.distill4j.data.InMemoryExampleSet;
import org.junit.jupiter.api.Test;

class ServingCostTest {

    @Test
    void oneStalledBatchCallDoesNotSetTheThroughput() {
        InMemoryExampleSet data =
                new InMemoryExampleSet("rows", new long[] {4}, new float[64 * 4], new int[64], List.of("a", "b"));
        AtomicInteger batchCalls = new AtomicInteger();
        // Batch calls take ~20 ms, except the third timed one, which stalls for 600 ms (a collection,
        // a descheduled thread): the mean over the calls would fall below a third of the true rate.
        Function<NDArray, NDArray> forward = x -> {
            if (x.getShape().get(0) > 1) {
                int call = batchCalls.getAndIncrement();
                sleep(call == 4 ? 600 : 20);
            }
            return x.sum(new int[] {1}, true);
        };
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ServingCost cost = ServingCost.measure(forward, data, manager, 5, 64);
            assertThat(cost.batch()).isEqualTo(64);
            // 64 rows per ~20 ms call: ~3,200 rows/s by the median call (sleeps overshoot, never undershoot).
            assertThat(cost.throughputPerS()).isBetween(1_500.0, 3_300.0);
            assertThat(batchCalls.get()).isGreaterThanOrEqualTo(7);
            assertThat(cost.latencyMsP50()).isPositive();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
