package org.distill4j.lm.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CorpusSplitTest {

    private static List<Document> docs(int n) {
        List<Document> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Document("gen:" + i, "document " + i + " text"));
        }
        return out;
    }

    @Test
    void splitsByDocumentWithTheRequestedSharesAndCoversEveryDocumentOnce() {
        List<Document> all = docs(2000);
        CorpusSplit s = CorpusSplit.bySeed(all, 7, 0.1, 0.2);
        assertThat(s.train().size() + s.validation().size() + s.test().size()).isEqualTo(2000);
        assertThat(s.validation().size()).isBetween(150, 250);
        assertThat(s.test().size()).isBetween(340, 460);
        List<Document> union = new ArrayList<>(s.train());
        union.addAll(s.validation());
        union.addAll(s.test());
        assertThat(union).containsExactlyInAnyOrderElementsOf(all);
    }

    @Test
    void aSampleKeepsAboutItsShareByTextAloneIndependentlyOfTheSplit() {
        List<Document> all = docs(4000);
        List<Document> sample = CorpusSplit.sample(all, 7, 0.25);
        assertThat(sample.size()).isBetween(900, 1100);
        assertThat(all).containsSubsequence(sample);
        List<Document> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, new Random(3));
        assertThat(CorpusSplit.sample(shuffled, 7, 0.25)).containsExactlyInAnyOrderElementsOf(sample);
        assertThat(CorpusSplit.sample(all, 8, 0.25)).isNotEqualTo(sample);
        assertThat(CorpusSplit.sample(all, 7, 1.0)).isEqualTo(all);
        // Seeded with the split's seed, the sample is not the split's: a quarter of each part is kept.
        CorpusSplit split = CorpusSplit.bySeed(all, 7, 0.25, 0.25);
        long keptTest = split.test().stream().filter(sample::contains).count();
        assertThat(keptTest).isBetween(200L, 300L);
        assertThatThrownBy(() -> CorpusSplit.sample(all, 7, 0)).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> CorpusSplit.sample(all, 7, Double.NaN)).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> CorpusSplit.sample(docs(3), 7, 1e-9)).hasMessageContaining("kept none");
    }

    @Test
    void aDocumentsSplitDependsOnlyOnSeedAndText() {
        List<Document> all = docs(500);
        CorpusSplit a = CorpusSplit.bySeed(all, 7, 0.1, 0.1);
        List<Document> shuffled = new ArrayList<>(all.subList(0, 300));
        Collections.shuffle(shuffled, new Random(1));
        CorpusSplit b = CorpusSplit.bySeed(shuffled, 7, 0.1, 0.1);
        assertThat(a.test()).containsAll(b.test());
        assertThat(a.validation()).containsAll(b.validation());
        assertThat(b.train()).allMatch(a.train()::contains);
        CorpusSplit other = CorpusSplit.bySeed(all, 8, 0.1, 0.1);
        assertThat(other.test()).isNotEqualTo(a.test());
        assertThat(CorpusSplit.bySeed(all, 7, 0.1, 0.1)).isEqualTo(a);
    }

    @Test
    void tooSmallCorporaAndIllegalFractionsAreRefused() {
        assertThatThrownBy(() -> CorpusSplit.bySeed(docs(2), 1, 0.1, 0.1))
                .hasMessageContaining("too small")
                .hasMessageContaining("2 documents");
        assertThatThrownBy(() -> CorpusSplit.bySeed(docs(10), 1, 0.6, 0.5)).hasMessageContaining("sum < 1");
    }
}
