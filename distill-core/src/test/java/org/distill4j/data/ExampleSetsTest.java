package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Views: what rows they select, what they hide, and how their hashes behave. */
class ExampleSetsTest {

    private static final List<String> CLASSES = List.of("a", "b", "c");

    /** Row i has features [i, i + 1] (as bytes) and label i % 3. */
    private static ByteExampleSet rows(int n) {
        byte[] features = new byte[2 * n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            features[2 * i] = (byte) i;
            features[2 * i + 1] = (byte) (i + 1);
            labels[i] = i % 3;
        }
        return ByteExampleSet.of("base", new long[] {1, 1, 2}, features, labels, CLASSES);
    }

    private static final ByteExampleSet BASE = rows(20);

    private static float[] features(ExampleSet set) {
        float[] dst = new float[set.size() * set.featureSize()];
        set.copyFeatures(IntStream.range(0, set.size()).toArray(), dst);
        return dst;
    }

    private static int[] labels(ExampleSet set) {
        return IntStream.range(0, set.size()).map(set::label).toArray();
    }

    /** The base rows a view selects, recovered from the features (row i starts with i). */
    private static int[] baseRows(ExampleSet set) {
        float[] f = features(set);
        return IntStream.range(0, set.size())
                .map(i -> Math.round(f[2 * i] * 255))
                .toArray();
    }

    @Test
    void baseSetScalesBytesToUnitRange() {
        ByteExampleSet set = ByteExampleSet.of(
                "s", new long[] {3}, new byte[] {0, (byte) 128, (byte) 255}, new int[] {ExampleSet.UNLABELED}, CLASSES);

        assertThat(features(set)).containsExactly(0f, 128 / 255f, 1f);
        assertThat(set.label(0)).isEqualTo(ExampleSet.UNLABELED);
        assertThat(set.featureByte(0, 1)).isEqualTo(128);
    }

    @Test
    void baseHashCoversShapeFeaturesAndLabels() {
        byte[] f = {1, 2, 3, 4};
        String hash = ByteExampleSet.of("x", new long[] {2}, f, new int[] {0, 1}, CLASSES)
                .contentHash();

        assertThat(ByteExampleSet.of("renamed", new long[] {2}, f, new int[] {0, 1}, CLASSES)
                        .contentHash())
                .isEqualTo(hash);
        assertThat(ByteExampleSet.of("x", new long[] {1, 2}, f, new int[] {0, 1}, CLASSES)
                        .contentHash())
                .isNotEqualTo(hash);
        assertThat(ByteExampleSet.of("x", new long[] {2}, new byte[] {1, 2, 3, 5}, new int[] {0, 1}, CLASSES)
                        .contentHash())
                .isNotEqualTo(hash);
        assertThat(ByteExampleSet.of("x", new long[] {2}, f, new int[] {0, 2}, CLASSES)
                        .contentHash())
                .isNotEqualTo(hash);
        assertThat(ByteExampleSet.of("x", new long[] {2}, f, new int[] {0, -1}, CLASSES)
                        .contentHash())
                .isNotEqualTo(hash);
        assertThat(ByteExampleSet.of("x", new long[] {2}, new byte[] {3, 4, 1, 2}, new int[] {1, 0}, CLASSES)
                        .contentHash())
                .isNotEqualTo(hash);
    }

    @Test
    void sliceSelectsAContiguousRange() {
        ExampleSet slice = ExampleSets.slice(BASE, 5, 9);

        assertThat(slice.name()).isEqualTo("base[5:9]");
        assertThat(slice.size()).isEqualTo(4);
        assertThat(baseRows(slice)).containsExactly(5, 6, 7, 8);
        assertThat(labels(slice)).containsExactly(2, 0, 1, 2);
        assertThat(slice.featureShape()).containsExactly(1, 1, 2);
        assertThat(slice.classNames()).isEqualTo(CLASSES);
        assertThat(features(slice)).startsWith(5 / 255f, 6 / 255f);
        assertThat(ExampleSets.slice(BASE, 3, 3).size()).isZero();
    }

    @Test
    void viewsRefuseRowsOutOfRange() {
        assertThatThrownBy(() -> ExampleSets.slice(BASE, 5, 21)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> ExampleSets.slice(BASE, 6, 5)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> ExampleSets.subset(BASE, new int[] {0, 20}, "bad"))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("row 20");
        ExampleSet slice = ExampleSets.slice(BASE, 0, 4);
        assertThatThrownBy(() -> slice.copyFeatures(new int[] {4}, new float[2]))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> slice.label(4)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> BASE.copyFeatures(new int[] {0, 1}, new float[3]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void subsetKeepsTheGivenOrderAndCopiesTheIndices() {
        int[] rows = {7, 3, 3, 19};
        ExampleSet subset = ExampleSets.subset(BASE, rows, "picked");
        rows[0] = 0;

        assertThat(subset.name()).isEqualTo("picked");
        assertThat(baseRows(subset)).containsExactly(7, 3, 3, 19);
        assertThat(labels(subset)).containsExactly(1, 0, 0, 1);
    }

    @Test
    void viewHashFollowsTheSelectedRows() {
        String a = ExampleSets.slice(BASE, 0, 10).contentHash();

        assertThat(a).matches("[0-9a-f]{64}").isNotEqualTo(BASE.contentHash());
        assertThat(ExampleSets.slice(BASE, 0, 10).contentHash()).isEqualTo(a);
        assertThat(ExampleSets.slice(BASE, 1, 11).contentHash()).isNotEqualTo(a);
        assertThat(ExampleSets.slice(BASE, 0, 9).contentHash()).isNotEqualTo(a);
        int[] reversed = IntStream.range(0, 10).map(i -> 9 - i).toArray();
        assertThat(ExampleSets.subset(BASE, reversed, "r").contentHash()).isNotEqualTo(a);
        // Same rows, however composed, same hash; the name does not count.
        assertThat(ExampleSets.subset(BASE, IntStream.range(0, 10).toArray(), "other")
                        .contentHash())
                .isEqualTo(a);
        assertThat(ExampleSets.slice(ExampleSets.slice(BASE, 0, 15), 0, 10).contentHash())
                .isEqualTo(a);
        // A different base gives a different hash for the same rows.
        assertThat(ExampleSets.slice(rows(21), 0, 10).contentHash()).isNotEqualTo(a);
    }

    @Test
    void viewsOfViewsComposeRows() {
        ExampleSet inner = ExampleSets.slice(BASE, 10, 20);
        ExampleSet outer = ExampleSets.subset(inner, new int[] {9, 0}, "o");

        assertThat(baseRows(outer)).containsExactly(19, 10);
        assertThat(labels(outer)).containsExactly(1, 1);
    }

    @Test
    void withoutLabelsHidesEveryLabelAndChangesTheHash() {
        ExampleSet unlabeled = ExampleSets.withoutLabels(BASE);
        ExampleSet identity = ExampleSets.subset(BASE, IntStream.range(0, 20).toArray(), "all");

        assertThat(unlabeled.name()).isEqualTo("base/unlabeled");
        assertThat(labels(unlabeled)).containsOnly(ExampleSet.UNLABELED).hasSize(20);
        assertThat(features(unlabeled)).containsExactly(features(BASE));
        assertThat(unlabeled.contentHash()).isNotEqualTo(identity.contentHash()).isNotEqualTo(BASE.contentHash());
        // Masking survives further views, and the masked slice differs from the plain one.
        ExampleSet slice = ExampleSets.slice(unlabeled, 2, 5);
        assertThat(labels(slice)).containsOnly(ExampleSet.UNLABELED);
        assertThat(slice.contentHash())
                .isNotEqualTo(ExampleSets.slice(BASE, 2, 5).contentHash());
        assertThat(ExampleSets.classCounts(unlabeled)).containsExactly(0, 0, 0);
    }

    @Test
    void withoutClassDropsOneClassAndKeepsTheOrder() {
        ExampleSet without = ExampleSets.withoutClass(BASE, 1);

        assertThat(without.name()).isEqualTo("base/without-1");
        assertThat(ExampleSets.classCounts(BASE)).containsExactly(7, 7, 6);
        assertThat(ExampleSets.classCounts(without)).containsExactly(7, 0, 6);
        assertThat(labels(without)).doesNotContain(1);
        assertThat(baseRows(without)).isSorted().hasSize(13);
        assertThat(without.contentHash())
                .isNotEqualTo(BASE.contentHash())
                .isNotEqualTo(ExampleSets.withoutClass(BASE, 2).contentHash());
        assertThatThrownBy(() -> ExampleSets.withoutClass(BASE, 3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void labelledShareKeepsAStratifiedSeededShareOfTheLabels() {
        // 300 rows: class a 200, b 90, c 10, so an unstratified tenth could leave c with none.
        int n = 300;
        byte[] features = new byte[2 * n];
        int[] labelsIn = new int[n];
        for (int i = 0; i < n; i++) {
            features[2 * i] = (byte) i;
            labelsIn[i] = i < 200 ? 0 : i < 290 ? 1 : 2;
        }
        ByteExampleSet set = ByteExampleSet.of("skewed", new long[] {1, 1, 2}, features, labelsIn, CLASSES);

        ExampleSets.LabelledShare share = ExampleSets.labelledShare(set, 0.05, 42);

        // round(0.05 x count) per class, at least one: 10, 5 (4.5 rounds up) and 1.
        assertThat(ExampleSets.classCounts(share.labelled())).containsExactly(10, 5, 1);
        assertThat(ExampleSets.classCounts(share.transfer())).containsExactly(10, 5, 1);
        assertThat(share.transfer().size()).isEqualTo(n);
        assertThat(features(share.transfer())).containsExactly(features(set));
        // The labelled view is exactly the transfer set's labelled rows, with their true labels.
        int[] kept = IntStream.range(0, n)
                .filter(i -> share.transfer().label(i) != ExampleSet.UNLABELED)
                .toArray();
        assertThat(kept).hasSize(16);
        for (int k = 0; k < kept.length; k++) {
            assertThat(share.labelled().label(k)).isEqualTo(set.label(kept[k]));
            assertThat(share.transfer().label(kept[k])).isEqualTo(set.label(kept[k]));
        }
        // Seeded: the same seed the same rows, another seed others; names and hashes say so.
        ExampleSets.LabelledShare again = ExampleSets.labelledShare(set, 0.05, 42);
        ExampleSets.LabelledShare other = ExampleSets.labelledShare(set, 0.05, 43);
        assertThat(again.transfer().contentHash()).isEqualTo(share.transfer().contentHash());
        assertThat(again.labelled().contentHash()).isEqualTo(share.labelled().contentHash());
        assertThat(other.transfer().contentHash()).isNotEqualTo(share.transfer().contentHash());
        assertThat(share.transfer().contentHash())
                .isNotEqualTo(set.contentHash())
                .isNotEqualTo(ExampleSets.withoutLabels(set).contentHash());
        assertThat(share.labelled().name()).isEqualTo("skewed/labelled-0.05(seed 42)");
        assertThat(share.transfer().name()).isEqualTo("skewed/partly-labelled-0.05(seed 42)");
        // Not simply the first rows of each class.
        assertThat(kept[9]).isGreaterThan(10);
        // Further views keep the mask.
        ExampleSet slice = ExampleSets.slice(share.transfer(), kept[0], kept[0] + 1);
        assertThat(slice.label(0)).isEqualTo(set.label(kept[0]));
    }

    @Test
    void labelledShareOfOneIsTheSetAndBadSharesAreRefused() {
        ExampleSets.LabelledShare all = ExampleSets.labelledShare(BASE, 1, 3);
        assertThat(all.labelled()).isSameAs(BASE);
        assertThat(all.transfer()).isSameAs(BASE);
        for (double bad : new double[] {0, -0.1, 1.5, Double.NaN}) {
            assertThatThrownBy(() -> ExampleSets.labelledShare(BASE, bad, 3))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("labelled share")
                    .hasMessageContaining("(0, 1]");
        }
        // Unlabelled rows stay unlabelled and are never counted as labelled.
        ExampleSets.LabelledShare ofNone = ExampleSets.labelledShare(ExampleSets.withoutLabels(BASE), 0.5, 3);
        assertThat(ofNone.labelled().size()).isZero();
        assertThat(labels(ofNone.transfer())).containsOnly(ExampleSet.UNLABELED);
    }

    @Test
    void splitIsDeterministicDisjointAndComplete() {
        ByteExampleSet set = rows(250);
        ExampleSets.Split split = ExampleSets.split(set, 0.2, 42);
        ExampleSets.Split again = ExampleSets.split(set, 0.2, 42);

        assertThat(split.validation().size()).isEqualTo(50);
        assertThat(split.train().size()).isEqualTo(200);
        int[] train = baseRows(split.train());
        int[] validation = baseRows(split.validation());
        assertThat(train).isSorted();
        assertThat(validation).isSorted();
        Set<Integer> all = new HashSet<>();
        IntStream.of(train).forEach(all::add);
        IntStream.of(validation)
                .forEach(r -> assertThat(all.add(r)).as("row %d twice", r).isTrue());
        assertThat(all).hasSize(250).allMatch(r -> r >= 0 && r < 250);

        assertThat(baseRows(again.validation())).containsExactly(validation);
        assertThat(again.validation().contentHash())
                .isEqualTo(split.validation().contentHash());
        assertThat(again.train().contentHash()).isEqualTo(split.train().contentHash());
        assertThat(baseRows(ExampleSets.split(set, 0.2, 43).validation())).isNotEqualTo(validation);
        // Not simply the first or last rows.
        assertThat(validation[0]).isLessThan(50);
        assertThat(validation[49]).isGreaterThan(200);
    }

    @Test
    void splitIsStableAcrossReleases() {
        // Pinned: a change here silently changes every experiment's validation set.
        assertThat(baseRows(ExampleSets.split(rows(20), 0.25, 7).validation())).containsExactly(PINNED_SPLIT);
    }

    private static final int[] PINNED_SPLIT = {1, 2, 4, 15, 16};

    @Test
    void splitHandlesTheEdges() {
        assertThat(ExampleSets.split(BASE, 0, 1).validation().size()).isZero();
        assertThat(ExampleSets.split(BASE, 1, 1).train().size()).isZero();
        assertThat(ExampleSets.split(BASE, 0.5, 1).validation().size()).isEqualTo(10);
        assertThatThrownBy(() -> ExampleSets.split(BASE, 1.5, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1.5");
        assertThatThrownBy(() -> ExampleSets.split(BASE, Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ofRefusesLabelsOutOfRange() {
        assertThatThrownBy(() -> ByteExampleSet.of("x", new long[] {1}, new byte[1], new int[] {3}, CLASSES))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("label 3");
    }
}
