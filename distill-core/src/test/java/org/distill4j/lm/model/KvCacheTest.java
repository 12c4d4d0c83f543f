package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * {@link KvCache}: appends are written in place into one buffer per layer, what it returns is
 * exactly everything appended so far, and nothing accumulates in the cache's memory as tokens are
 * generated.
 */
class KvCacheTest {

    private static NDArray block(NDManager m, float base, long t) {
        // (B=2, H=3, T, D=4) with values that name their position, so a misplaced copy shows.
        return m.arange(base, base + 2 * 3 * t * 4).reshape(2, 3, t, 4);
    }

    @Test
    void appendsAreExactlyTheConcatenationAndMemoryDoesNotGrow() {
        try (NDManager root = NDManager.newBaseManager("PyTorch");
                KvCache cache = new KvCache(root, 2, 10)) {
            NDArray expected = null;
            int managed = -1;
            for (int step = 0; step < 6; step++) {
                long t = step == 0 ? 3 : 1; // a 3-position prefill, then one position per token
                try (NDManager stepManager = root.newSubManager()) {
                    NDArray k = block(stepManager, 1000 * step, t);
                    NDArray v = k.mul(-1);
                    NDArray[] kv0 = cache.append(0, k, v);
                    cache.append(1, k.add(0.5f), v);
                    cache.advance((int) t);
                    NDArray all = expected == null ? k : expected.concat(k, 2);
                    expected = all.duplicate();
                    expected.attach(root);
                    assertThat(kv0[0].getShape()).isEqualTo(new Shape(2, 3, cache.length(), 4));
                    assertThat(kv0[0].toFloatArray()).containsExactly(all.toFloatArray());
                    assertThat(kv0[1].toFloatArray())
                            .containsExactly(all.mul(-1).toFloatArray());
                }
                int now = cache.arraysHeld();
                if (managed < 0) {
                    managed = now;
                }
                assertThat(now)
                        .as("arrays held by the cache after step %d", step)
                        .isEqualTo(managed);
            }
            assertThat(managed).as("a key and a value buffer per layer").isEqualTo(4);
            assertThat(cache.length()).isEqualTo(8);
        }
    }

    @Test
    void aResetOverwritesFromTheStartAndAFullCacheOrAnotherBatchRefuses() {
        try (NDManager root = NDManager.newBaseManager("PyTorch");
                KvCache cache = new KvCache(root, 1, 4)) {
            NDArray first = block(root, 0, 4);
            cache.append(0, first, first);
            cache.advance(4);
            NDArray more = block(root, 50, 1);
            assertThatThrownBy(() -> cache.append(0, more, more))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("key/value cache full: 4 + 1 positions > capacity 4");
            cache.reset();
            NDArray[] kv = cache.append(0, more, more);
            assertThat(kv[0].getShape()).isEqualTo(new Shape(2, 3, 1, 4));
            assertThat(kv[0].toFloatArray()).containsExactly(more.toFloatArray());
            cache.advance(1);

            NDArray otherBatch = root.zeros(new Shape(5, 3, 1, 4));
            assertThatThrownBy(() -> cache.append(0, otherBatch, otherBatch))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("do not continue the cached (B, H, S, D) = (2, 3, 4, 4) at S = 1");
            cache.reset();
            assertThat(cache.append(0, otherBatch, otherBatch)[0].getShape())
                    .as("after a reset, another batch size is taken")
                    .isEqualTo(new Shape(5, 3, 1, 4));
        }
    }
}
