package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.distill4j.testutil.SyntheticData;
import org.junit.jupiter.api.Test;

/**
 * Training rows plus unlabelled rows as one set ({@link ExampleSets#concat}) against the {@link
 * ExampleSetContract}, and what a join must keep: each part's rows, labels and texts in order, a
 * hash that moves with either part, and refusal of parts that do not fit together.
 */
class ConcatViewContractTest extends ExampleSetContract {

    private static ExampleSet first() {
        return SyntheticData.blobs("blobs", 40, 3, 5, 1.0, 3);
    }

    private static ExampleSet second() {
        return ExampleSets.withoutLabels(SyntheticData.blobs("more", 7, 3, 5, 1.0, 4));
    }

    @Override
    protected ExampleSet newSet() {
        return ExampleSets.concat(first(), second(), "joined");
    }

    @Test
    void rowsOfBothPartsInOrderWhateverTheBatchMixes() {
        ExampleSet a = first();
        ExampleSet b = second();
        ExampleSet joined = newSet();
        assertThat(joined.size()).isEqualTo(47);
        int width = a.featureSize();
        // Rows from both sides of the seam, out of order, in one call.
        int[] rows = {41, 0, 39, 40, 46, 3};
        float[] batch = new float[rows.length * width];
        joined.copyFeatures(rows, batch);
        for (int k = 0; k < rows.length; k++) {
            ExampleSet part = rows[k] < 40 ? a : b;
            int local = rows[k] < 40 ? rows[k] : rows[k] - 40;
            float[] expected = new float[width];
            part.copyFeatures(new int[] {local}, expected);
            float[] got = java.util.Arrays.copyOfRange(batch, k * width, (k + 1) * width);
            assertThat(got).as("row %d", rows[k]).containsExactly(expected);
            assertThat(joined.label(rows[k])).isEqualTo(part.label(local));
        }
        assertThat(joined.label(0)).isNotEqualTo(ExampleSet.UNLABELED);
        assertThat(joined.label(40)).isEqualTo(ExampleSet.UNLABELED);
        assertThatThrownBy(() -> joined.label(47)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void theHashMovesWithEitherPart() {
        String hash = newSet().contentHash();
        assertThat(ExampleSets.concat(first(), ExampleSets.slice(second(), 0, 6), "joined")
                        .contentHash())
                .isNotEqualTo(hash);
        assertThat(ExampleSets.concat(ExampleSets.slice(first(), 1, 40), second(), "joined")
                        .contentHash())
                .isNotEqualTo(hash);
        assertThat(ExampleSets.concat(second(), first(), "joined").contentHash())
                .isNotEqualTo(hash);
    }

    @Test
    void partsOfAnotherShapeOrOtherClassesAreRefusedByName() {
        assertThatThrownBy(() -> ExampleSets.concat(first(), SyntheticData.blobs("wide", 5, 3, 6, 1.0, 4), "x"))
                .hasMessageContaining("blobs")
                .hasMessageContaining("wide")
                .hasMessageContaining("shape");
        assertThatThrownBy(() -> ExampleSets.concat(first(), SyntheticData.blobs("four", 5, 4, 5, 1.0, 4), "x"))
                .hasMessageContaining("classes differ");
    }
}
