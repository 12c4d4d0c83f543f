package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.distill4j.model.SavedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent clients share forward passes through the dynamic batcher, and every client gets the
 * logits a direct call computes for its own rows: equal to float rounding, since a row batched with
 * others goes through a differently blocked matrix product than the row alone (bitwise equality
 * for the same batch is {@link DynamicBatcherTest}'s).
 */
class ConcurrencyTest {

    @Test
    void parallelRequestsAreBatchedAndEachGetsItsOwnLogits(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.dense(tmp.resolve("m"), new long[] {10}, TestModels.DENSE_CLASSES, 21);
        int requests = 32;
        int threads = 8;
        // Rows per request vary (1..3) so requests of different sizes share batches.
        List<float[]> inputs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        try (SavedModel direct = SavedModel.load(dir);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int i = 0; i < requests; i++) {
                int rows = 1 + i % 3;
                float[] x = TestModels.rows(rows, 10, 100 + i);
                inputs.add(x);
                expected.add(direct.logits(m.create(x, direct.inputShape(rows))).toFloatArray());
            }
        }
        // A 20 ms window makes batching certain on a loaded 2-core machine, yet keeps the test fast.
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optWorkerThreads(threads)
                .optMaxWait(Duration.ofMillis(20))
                .optMaxBatchRows(64)
                .addModel(ServedSavedModel.load("m", dir))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<float[]>> answers = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    float[] x = inputs.get(i);
                    answers.add(pool.submit(() -> {
                        Http.Reply r = http.post(
                                "/v2/models/m/infer", InferenceV2Test.fp32Request(new long[] {x.length / 10, 10}, x));
                        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
                        return InferenceV2Test.floats(r.body().at("/outputs/0/data"));
                    }));
                }
                double worst = 0;
                for (int i = 0; i < requests; i++) {
                    float[] got = answers.get(i).get();
                    float[] want = expected.get(i);
                    assertThat(got).as("request %d", i).hasSize(want.length);
                    for (int j = 0; j < want.length; j++) {
                        double diff = Math.abs(got[j] - want[j]);
                        worst = Math.max(worst, diff);
                        assertThat(diff)
                                .as("request %d logit %d: %s vs %s", i, j, got[j], want[j])
                                .isLessThanOrEqualTo(1e-5 * Math.max(1, Math.abs(want[j])));
                    }
                }
                System.out.printf("largest |served - direct| logit difference: %.3g%n", worst);
            } finally {
                pool.shutdownNow();
            }
            DynamicBatcher.Stats stats = server.stats("m");
            assertThat(stats.requests()).isEqualTo(requests);
            assertThat(stats.rows())
                    .isEqualTo(inputs.stream().mapToLong(x -> x.length / 10).sum());
            // Batching observed: fewer forward passes than requests, and some pass held several.
            assertThat(stats.batches()).isLessThan(requests);
            assertThat(stats.largestBatchRows()).isGreaterThan(3);
        }
    }
}
