package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The {@link ExampleSet} contract, for every implementation (in the manner of Lucene's shared base
 * test cases): a subclass says how to make its set, and inherits every check. Add a subclass for
 * each new kind of data set.
 */
public abstract class ExampleSetContract {

    /** Makes the set under test: at least 3 rows, not all identical. */
    protected abstract ExampleSet newSet() throws Exception;

    /** Makes another instance of the same content (read or built again). */
    protected ExampleSet sameContentAgain() throws Exception {
        return newSet();
    }

    @Test
    void shapeSizeAndClassesAgree() throws Exception {
        ExampleSet s = newSet();
        assertThat(s.name()).isNotBlank();
        assertThat(s.size()).isGreaterThanOrEqualTo(3);
        assertThat(s.featureSize())
                .isEqualTo(Math.toIntExact(Arrays.stream(s.featureShape()).reduce(1, (a, b) -> a * b)));
        assertThat(s.classNames()).hasSize(s.numClasses());
        assertThat(s.numClasses()).isGreaterThanOrEqualTo(2);
        for (int i = 0; i < s.size(); i++) {
            int label = s.label(i);
            assertThat(label == ExampleSet.UNLABELED || (label >= 0 && label < s.numClasses()))
                    .as("label of row %d: %d", i, label)
                    .isTrue();
        }
    }

    @Test
    void copyFeaturesIsRowMajorAndWritesNoFurther() throws Exception {
        ExampleSet s = newSet();
        int fs = s.featureSize();
        int[] rows = {s.size() - 1, 0, 1};
        float[] batch = new float[rows.length * fs + 1];
        batch[batch.length - 1] = 12345f;
        s.copyFeatures(rows, batch);
        assertThat(batch[batch.length - 1]).as("sentinel after the last row").isEqualTo(12345f);
        for (int k = 0; k < rows.length; k++) {
            float[] one = new float[fs];
            s.copyFeatures(new int[] {rows[k]}, one);
            assertThat(Arrays.copyOfRange(batch, k * fs, (k + 1) * fs))
                    .as("row %d", rows[k])
                    .containsExactly(one);
        }
        for (float v : batch) {
            assertThat(Float.isFinite(v)).isTrue();
        }
    }

    @Test
    void contentHashIsStableAndFollowsTheContent() throws Exception {
        ExampleSet s = newSet();
        String hash = s.contentHash();
        assertThat(hash).matches("[0-9a-f]{64}");
        assertThat(s.contentHash()).isEqualTo(hash);
        assertThat(sameContentAgain().contentHash()).isEqualTo(hash);
        // Other rows, another order or other labels: another hash.
        assertThat(ExampleSets.slice(s, 0, s.size() - 1).contentHash()).isNotEqualTo(hash);
        int[] reversed = new int[s.size()];
        for (int i = 0; i < reversed.length; i++) {
            reversed[i] = s.size() - 1 - i;
        }
        assertThat(ExampleSets.subset(s, reversed, "reversed").contentHash()).isNotEqualTo(hash);
        if (hasLabels(s)) {
            assertThat(ExampleSets.withoutLabels(s).contentHash()).isNotEqualTo(hash);
        }
    }

    private static boolean hasLabels(ExampleSet s) {
        for (int i = 0; i < s.size(); i++) {
            if (s.label(i) >= 0) {
                return true;
            }
        }
        return false;
    }
}
