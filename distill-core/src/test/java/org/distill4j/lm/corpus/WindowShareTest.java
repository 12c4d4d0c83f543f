package org.distill4j.lm.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class WindowShareTest {

    @Test
    void selectsExactlyTheShareTheSameWayEveryTime() {
        BitSet a = new WindowShare(0.25, 7).select(1_000);
        assertThat(a.cardinality()).isEqualTo(250);
        assertThat(a.length()).isLessThanOrEqualTo(1_000);
        assertThat(new WindowShare(0.25, 7).select(1_000)).isEqualTo(a);
        BitSet b = new WindowShare(0.25, 8).select(1_000);
        assertThat(b).isNotEqualTo(a);
        BitSet both = (BitSet) a.clone();
        both.and(b);
        // Two independent quarter draws share about a sixteenth of the windows (62.5 expected).
        assertThat(both.cardinality()).isBetween(35, 90);
        // Spread over the corpus, not a block: each tenth holds about a quarter of its windows.
        for (int from = 0; from < 1_000; from += 100) {
            assertThat(a.get(from, from + 100).cardinality())
                    .as("windows %d-%d", from, from + 99)
                    .isBetween(12, 40);
        }
    }

    @Test
    void everyWindowAtShareOneAndAtLeastOneOtherwise() {
        assertThat(WindowShare.all().select(5).cardinality()).isEqualTo(5);
        assertThat(WindowShare.all().keySuffix()).isEmpty();
        assertThat(new WindowShare(0.01, 1).select(3).cardinality()).isEqualTo(1);
        assertThat(new WindowShare(0.5, 1).keySuffix()).isEqualTo(";share=0.5;share_seed=1");
        assertThatThrownBy(() -> new WindowShare(0, 1)).hasMessageContaining("(0, 1], got 0.0");
        assertThatThrownBy(() -> new WindowShare(1.5, 1)).hasMessageContaining("got 1.5");
        assertThatThrownBy(() -> new WindowShare(Double.NaN, 1)).hasMessageContaining("got NaN");
        assertThatThrownBy(() -> new WindowShare(0.5, 1).select(0)).hasMessageContaining("no window");
    }
}
