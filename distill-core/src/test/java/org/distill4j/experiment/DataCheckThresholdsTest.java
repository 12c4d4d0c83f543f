package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.distill4j.data.InMemoryExampleSet;
import org.junit.jupiter.api.Test;

/**
 * {@link DataCheck.Thresholds} decide where the check warns: a data set that warns at the run's
 * defaults (one test row in five a copy, classes 200 times apart) is quiet at thresholds above its
 * own numbers and warns again just below them.
 */
class DataCheckThresholdsTest {

    /** 201 training rows (200 of class a, 1 of b), each its own feature value; 5 test rows, 1 a copy. */
    private static ExperimentData data() {
        float[] train = new float[201];
        int[] labels = new int[201];
        for (int i = 0; i < 201; i++) {
            train[i] = i;
            labels[i] = i < 200 ? 0 : 1;
        }
        List<String> classes = List.of("a", "b");
        return new ExperimentData(
                new InMemoryExampleSet("train", new long[] {1}, train, labels, classes),
                null,
                new InMemoryExampleSet(
                        "test",
                        new long[] {1},
                        new float[] {3, 1000, 1001, 1002, 1003},
                        new int[] {0, 0, 1, 0, 1},
                        classes));
    }

    @Test
    void warningsFollowTheThresholds() {
        List<String> defaults = DataCheck.of(data(), Optional.empty()).warnings();
        assertThat(defaults).hasSize(2);
        assertThat(defaults).anyMatch(w -> w.startsWith("1 of the 5 test rows (20.0%) are identical"));
        assertThat(defaults).anyMatch(w -> w.contains("has 200 rows, the smallest 1"));

        assertThat(DataCheck.of(data(), Optional.empty(), new DataCheck.Thresholds(0.2, 0.05, 200))
                        .warnings())
                .isEmpty();
        assertThat(DataCheck.of(data(), Optional.empty(), new DataCheck.Thresholds(0.19, 0.05, 199))
                        .warnings())
                .hasSize(2);
    }

    @Test
    void thresholdsOutOfRangeAreRefusedByName() {
        assertThatThrownBy(() -> new DataCheck.Thresholds(0.01, -0.1, 100))
                .hasMessageContaining("near-duplicate share")
                .hasMessageContaining("-0.1");
        assertThatThrownBy(() -> new DataCheck.Thresholds(0.01, 0.05, Double.POSITIVE_INFINITY))
                .hasMessageContaining("class-size ratio");
    }
}
