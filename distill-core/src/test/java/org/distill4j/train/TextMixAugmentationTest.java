package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code augment: {mixup: a}} on rows of hashed n-gram ids: two texts' ids mixed, lambda ~ Beta(a, a). */
class TextMixAugmentationTest {

    static final long[] SHAPE = {32};

    /** Row r: 24 ids r * 1000 + 1 ... r * 1000 + 24, then 8 padding zeros, so every id names its row. */
    static float[] rows(int n) {
        float[] x = new float[n * 32];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < 24; i++) {
                x[r * 32 + i] = r * 1000 + i + 1;
            }
        }
        return x;
    }

    @Test
    void aMixedRowKeepsLambdaOfItsOwnIdsAndTakesTheRestFromItsPartner() {
        float[] x = rows(16);
        Augmentation mixup = new Augmentation(0, false, 1.0, 0);
        Augmentation.Mix mix = mixup.apply(x, 16, SHAPE, new Random(5));
        assertThat(mix.kind()).isEqualTo("mixup");
        assertThat(mix.lambda()).isStrictlyBetween(0.0, 1.0);
        int keepOwn = Math.max(1, (int) Math.round(mix.lambda() * 24));
        int keepPartner = Math.min(32 - keepOwn, (int) Math.round((1 - mix.lambda()) * 24));
        int mixedWithAnother = 0;
        // Ids a row kept that are not among the first it had: the shares are random subsets.
        int ownBeyondFirst = 0;
        int partnerBeyondFirst = 0;
        for (int r = 0; r < 16; r++) {
            int partner = mix.partner()[r];
            Set<Float> seen = new HashSet<>();
            int own = 0;
            int theirs = 0;
            for (int i = 0; i < 32; i++) {
                float id = x[r * 32 + i];
                if (i >= keepOwn + keepPartner) {
                    assertThat(id)
                            .as("row %d, slot %d: padding after the mixed ids", r, i)
                            .isZero();
                    continue;
                }
                int from = (int) ((id - 1) / 1000);
                assertThat(from).as("row %d, slot %d", r, i).isIn(r, partner);
                if (partner != r) {
                    assertThat(seen.add(id)).as("no id taken twice").isTrue();
                }
                int position = (int) ((id - 1) % 1000);
                if (i < keepOwn) {
                    assertThat(from).as("the row's own ids come first").isEqualTo(r);
                    own++;
                    ownBeyondFirst += position >= keepOwn ? 1 : 0;
                } else {
                    theirs++;
                    partnerBeyondFirst += position >= keepPartner ? 1 : 0;
                }
            }
            assertThat(own).isEqualTo(keepOwn);
            assertThat(theirs).isEqualTo(keepPartner);
            mixedWithAnother += partner != r ? 1 : 0;
        }
        assertThat(mixedWithAnother).isGreaterThan(8);
        assertThat(keepOwn).isLessThan(24);
        assertThat(keepPartner).isLessThan(24);
        assertThat(ownBeyondFirst).isGreaterThan(16);
        assertThat(partnerBeyondFirst).isGreaterThan(16);

        float[] again = rows(16);
        mixup.apply(again, 16, SHAPE, new Random(5));
        assertThat(again).as("the seed fixes the mix").containsExactly(x);
    }

    @Test
    void theOwnShareFollowsLambdaOverBatches() {
        // Beta(0.4, 0.4) puts most batches near one of the two texts: lambda averages 1/2 by symmetry.
        Augmentation mixup = new Augmentation(0, false, 0.4, 0);
        Random rng = new Random(11);
        double sumLambda = 0;
        int nearEnds = 0;
        for (int b = 0; b < 400; b++) {
            float[] x = rows(4);
            double lambda = mixup.apply(x, 4, SHAPE, rng).lambda();
            sumLambda += lambda;
            nearEnds += lambda < 0.1 || lambda > 0.9 ? 1 : 0;
        }
        assertThat(sumLambda / 400).isBetween(0.45, 0.55);
        // P(lambda < 0.1 or > 0.9) is 0.42 for Beta(0.4, 0.4), 0.2 for the uniform.
        assertThat(nearEnds).isBetween(130, 210);
    }

    @Test
    void dropThenMixOnTextAndCutmixIsForImagesOnly() {
        Augmentation both = new Augmentation(0, false, 1.0, 0, 0.5);
        float[] x = rows(8);
        both.apply(x, 8, SHAPE, new Random(2));
        for (int r = 0; r < 8; r++) {
            long ids = 0;
            for (int i = 0; i < 32; i++) {
                ids += x[r * 32 + i] != 0f ? 1 : 0;
            }
            // About 12 of 24 ids survive the drop before mixing: fewer than 24 in all.
            assertThat(ids).as("row %d", r).isBetween(1L, 23L);
        }
        assertThat(both.perRow()).isEqualTo(Augmentation.dropping(0.5));
        assertThatThrownBy(() -> new Augmentation(0, false, 0, 1.0).apply(rows(4), 4, SHAPE, new Random(1)))
                .hasMessageContaining("text rows of ids take mixup")
                .hasMessageContaining("not cutmix 1.0");
        assertThatThrownBy(() -> new Augmentation(0, false, 0, 1.0, 0.2)).hasMessageContaining("set one kind");
        assertThatThrownBy(() -> new Augmentation(2, false, 1.0, 0).apply(rows(4), 4, SHAPE, new Random(1)))
                .hasMessageContaining("needs image features");
        assertThatThrownBy(() -> new Augmentation(0, true).applyRow(rows(1), 0, SHAPE, new Random(1)))
                .hasMessageContaining("needs image features");
        // A text row has no per-row change but drop: applyRow leaves it alone.
        float[] row = rows(1);
        new Augmentation(0, false, 1.0, 0).applyRow(row, 0, SHAPE, new Random(1));
        assertThat(row).containsExactly(rows(1));
    }

    @Test
    void cachedViewsOfTextRowsMixAPartnerAndTheTrainerRebuildsThem() throws Exception {
        float[] x = rows(40);
        int[] y = new int[40];
        for (int i = 0; i < 40; i++) {
            y[i] = i % 4;
        }
        var train = new org.distill4j.data.InMemoryExampleSet("ids", SHAPE, x, y, List.of("a", "b", "c", "d"));
        ConsistentDistillationTest.RecordingTeacher teacher = new ConsistentDistillationTest.RecordingTeacher();
        Augmentation mixup = new Augmentation(0, false, 1.0, 0);
        SoftTargets.Views views;
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            views = SoftTargets.views(teacher, train, mixup, 2, 7, manager, 80);
        }
        float[] scored = teacher.seen.get(0);
        int foreign = 0;
        for (int j = 0; j < 80; j++) {
            int row = j / 2;
            for (int i = 0; i < 32; i++) {
                float id = scored[j * 32 + i];
                foreign += id != 0f && (int) ((id - 1) / 1000) != row ? 1 : 0;
            }
        }
        // Each view takes about half its ids from a partner drawn from the 40 rows.
        assertThat(foreign).isGreaterThan(80 * 4);
        float[] row7 = Arrays.copyOfRange(x, 7 * 32, 8 * 32);
        views.applyView(row7, 0, 7, 1, SHAPE);
        assertThat(row7).containsExactly(Arrays.copyOfRange(scored, 15 * 32, 16 * 32));
    }
}
