package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batcher on its own: what it merges, what it splits back, and how it stops. */
class DynamicBatcherTest {

    static final int ROW = 5;

    @Test
    void mergedRequestsGetExactlyTheLogitsOfADirectCallOnTheSameBatch(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.dense(tmp.resolve("m"), new long[] {ROW}, TestModels.DENSE_CLASSES, 31);
        int[] sizes = {1, 3, 2, 4};
        int total = 10;
        float[] all = TestModels.rows(total, ROW, 7);
        float[] direct = TestModels.directLogits(dir, all, total);
        // The batch closes when it is full (10 rows) long before the 1 s window: one pass, known order.
        try (ServedSavedModel model = ServedSavedModel.load("m", dir);
                DynamicBatcher batcher = new DynamicBatcher(model, total, Duration.ofSeconds(1), 16)) {
            List<CompletableFuture<float[]>> futures = new ArrayList<>();
            int offset = 0;
            for (int n : sizes) {
                float[] part = new float[n * ROW];
                System.arraycopy(all, offset * ROW, part, 0, part.length);
                futures.add(batcher.submit(part, n));
                offset += n;
            }
            offset = 0;
            for (int i = 0; i < sizes.length; i++) {
                float[] expected = new float[sizes[i] * 3];
                System.arraycopy(direct, offset * 3, expected, 0, expected.length);
                assertThat(futures.get(i).get(5, TimeUnit.SECONDS))
                        .as("request %d", i)
                        .containsExactly(expected);
                offset += sizes[i];
            }
            assertThat(batcher.stats()).isEqualTo(new DynamicBatcher.Stats(4, 10, 1, 10));
        }
    }

    @Test
    void aRequestThatWouldOverflowTheBatchOpensTheNextOne(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.dense(tmp.resolve("m"), new long[] {ROW}, TestModels.DENSE_CLASSES, 32);
        try (ServedSavedModel model = ServedSavedModel.load("m", dir);
                DynamicBatcher batcher = new DynamicBatcher(model, 4, Duration.ofMillis(200), 16)) {
            CompletableFuture<float[]> a = batcher.submit(TestModels.rows(3, ROW, 1), 3);
            CompletableFuture<float[]> b = batcher.submit(TestModels.rows(2, ROW, 2), 2);
            CompletableFuture<float[]> c = batcher.submit(TestModels.rows(1, ROW, 3), 1);
            assertThat(a.get(5, TimeUnit.SECONDS)).hasSize(9);
            assertThat(b.get(5, TimeUnit.SECONDS)).hasSize(6);
            assertThat(c.get(5, TimeUnit.SECONDS)).hasSize(3);
            // 3 rows, then 2 + 1: never 5 rows in a batch of at most 4, and no request split.
            assertThat(batcher.stats()).isEqualTo(new DynamicBatcher.Stats(3, 6, 2, 3));
        }
    }

    @Test
    void refusesBadRowCountsAndWorkAfterClose(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.dense(tmp.resolve("m"), new long[] {ROW}, TestModels.DENSE_CLASSES, 33);
        try (ServedSavedModel model = ServedSavedModel.load("m", dir)) {
            DynamicBatcher batcher = new DynamicBatcher(model, 4, Duration.ZERO, 1);
            assertThatThrownBy(() -> batcher.submit(new float[5 * ROW], 5))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("5")
                    .hasMessageContaining("[1, 4]");
            assertThatThrownBy(() -> batcher.submit(new float[ROW + 1], 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("6 floats");
            assertThat(batcher.isRunning()).isTrue();
            batcher.close();
            assertThat(batcher.isRunning()).isFalse();
            assertThatThrownBy(() -> batcher.submit(new float[ROW], 1))
                    .isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("shutting down");
        }
    }

    @Test
    void aFailingForwardPassFailsEveryRequestOfItsBatch(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.dense(tmp.resolve("m"), new long[] {ROW}, TestModels.DENSE_CLASSES, 34);
        try (ServedSavedModel real = ServedSavedModel.load("m", dir)) {
            // Claims a feature shape the model's first layer cannot take: the pass throws.
            ServedModel broken = new ForwardingModel(real) {
                @Override
                public long[] featureShape() {
                    return new long[] {ROW + 1};
                }
            };
            try (DynamicBatcher batcher = new DynamicBatcher(broken, 4, Duration.ZERO, 4)) {
                CompletableFuture<float[]> f = batcher.submit(new float[ROW + 1], 1);
                assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
                assertThat(batcher.isRunning())
                        .as("the thread survives a failed pass")
                        .isTrue();
            }
        }
    }

    /** Delegates to a model; tests override what they need to break. */
    static class ForwardingModel implements ServedModel {
        final ServedModel delegate;

        ForwardingModel(ServedModel delegate) {
            this.delegate = delegate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public String contentHash() {
            return delegate.contentHash();
        }

        @Override
        public String platform() {
            return delegate.platform();
        }

        @Override
        public long[] featureShape() {
            return delegate.featureShape();
        }

        @Override
        public List<String> classNames() {
            return delegate.classNames();
        }

        @Override
        public java.util.Optional<org.distill4j.data.TextFeatures> textFeatures() {
            return delegate.textFeatures();
        }

        @Override
        public String describe() {
            return delegate.describe();
        }

        @Override
        public ai.djl.ndarray.NDArray logits(ai.djl.ndarray.NDArray inputs) {
            return delegate.logits(inputs);
        }

        @Override
        public void close() {}
    }
}
