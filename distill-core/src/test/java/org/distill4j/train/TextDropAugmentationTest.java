package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code augment: {drop: p}}: feature-level word dropout on rows of hashed n-gram ids. */
class TextDropAugmentationTest {

    static final long[] SHAPE = {32};

    /** Rows of 24 ids in [1, 2^24) followed by 8 padding zeros. */
    static float[] rows(int n) {
        Random rng = new Random(3);
        float[] x = new float[n * 32];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < 24; i++) {
                x[r * 32 + i] = 1 + rng.nextInt((1 << 24) - 1);
            }
        }
        return x;
    }

    @Test
    void dropsEachIdWithTheStatedProbabilityAndKeepsTheRest() {
        float[] original = rows(2000);
        float[] x = original.clone();
        Augmentation.Mix mix = Augmentation.dropping(0.3).apply(x, 2000, SHAPE, new Random(9));
        assertThat(mix.kind()).isEqualTo("none");
        long ids = 0;
        long dropped = 0;
        for (int i = 0; i < x.length; i++) {
            if (original[i] == 0f) {
                assertThat(x[i]).as("padding stays padding").isZero();
                continue;
            }
            ids++;
            if (x[i] == 0f) {
                dropped++;
            } else {
                assertThat(x[i]).as("a kept id is unchanged").isEqualTo(original[i]);
            }
        }
        // 48,000 ids: the share's standard error is 0.0021.
        assertThat((double) dropped / ids).isCloseTo(0.3, within(0.01));
        float[] again = original.clone();
        Augmentation.dropping(0.3).apply(again, 2000, SHAPE, new Random(9));
        assertThat(again).containsExactly(x);
    }

    @Test
    void cachedViewsOfTextRowsAreTheDroppedRowsTheStudentReplays() throws Exception {
        float[] x = rows(64);
        int[] y = new int[64];
        for (int i = 0; i < 64; i++) {
            y[i] = i % 4;
        }
        var train =
                new org.distill4j.data.InMemoryExampleSet("ids", SHAPE, x, y, java.util.List.of("a", "b", "c", "d"));
        ConsistentDistillationTest.RecordingTeacher teacher = new ConsistentDistillationTest.RecordingTeacher();
        SoftTargets.Views views;
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            views = SoftTargets.views(teacher, train, Augmentation.dropping(0.5), 2, 7, manager, 64);
        }
        // (row, view) pairs in row-major order, 128 of them in 2 batches.
        assertThat(teacher.seen).hasSize(2);
        float[] view0 = new float[x.length];
        float[] view1 = new float[x.length];
        for (int j = 0; j < 128; j++) {
            float[] batch = teacher.seen.get(j / 64);
            System.arraycopy(batch, (j % 64) * 32, j % 2 == 0 ? view0 : view1, (j / 2) * 32, 32);
        }
        long zeroed0 = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] != 0f && view0[i] == 0f) {
                zeroed0++;
            }
        }
        // 1,536 ids at p = 0.5: about 768 dropped (sd 20).
        assertThat(zeroed0).isBetween(650L, 890L);
        assertThat(view1).isNotEqualTo(view0);
        // The trainer rebuilds view 1 of row 5 exactly as the teacher scored it.
        float[] row5 = Arrays.copyOfRange(x, 5 * 32, 6 * 32);
        views.applyView(row5, 0, 5, 1, SHAPE);
        assertThat(row5).containsExactly(Arrays.copyOfRange(view1, 5 * 32, 6 * 32));
    }

    @Test
    void neverEmptiesARow() {
        float[] x = new float[500 * 32];
        for (int r = 0; r < 500; r++) {
            x[r * 32] = 5;
            x[r * 32 + 1] = 7;
        }
        Augmentation.dropping(0.9).apply(x, 500, SHAPE, new Random(1));
        int bothDroppedOnce = 0;
        for (int r = 0; r < 500; r++) {
            float[] row = Arrays.copyOfRange(x, r * 32, r * 32 + 32);
            long left = 0;
            for (float v : row) {
                left += v != 0f ? 1 : 0;
            }
            assertThat(left).as("row %d", r).isBetween(1L, 2L);
            if (left == 1 && row[0] == 5f && row[1] == 0f) {
                bothDroppedOnce++;
            }
        }
        // With p = 0.9 both ids are drawn for dropping in 81% of rows; the first is then kept.
        assertThat(bothDroppedOnce).isGreaterThan(300);
    }

    @Test
    void dropIsForTextRowsAndTheOthersForImages() {
        assertThatThrownBy(
                        () -> Augmentation.dropping(0.2).apply(new float[64], 1, new long[] {1, 8, 8}, new Random(1)))
                .hasMessageContaining("augment drop needs text rows of ids")
                .hasMessageContaining("[1, 8, 8]");
        assertThatThrownBy(() -> new Augmentation(1, false, 0, 0, 0.2)).hasMessageContaining("set one kind, not both");
        assertThatThrownBy(() -> Augmentation.dropping(0.95)).hasMessageContaining("illegal drop value: 0.95");
        assertThat(Augmentation.dropping(0.2).enabled()).isTrue();
        assertThat(Augmentation.dropping(0.2).perRow()).isEqualTo(Augmentation.dropping(0.2));
        // The string is part of training fingerprints: without drop it is what it was before drop
        // existed, so models trained then are reused, not trained again.
        assertThat(new Augmentation(2, false)).hasToString("Augmentation[shift=2, flip=false, mixup=0.0, cutmix=0.0]");
        assertThat(Augmentation.dropping(0.2))
                .hasToString("Augmentation[shift=0, flip=false, mixup=0.0, cutmix=0.0, drop=0.2]");
    }
}
