package org.distill4j.lm.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SplitOverlap}: which held-out documents have a near duplicate among the training
 * documents, on texts whose shingle overlap is known by construction, and on the templated
 * families of {@link NearDuplicatesTest} split both ways.
 */
class SplitOverlapTest {

    private static String words(Random r, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : " ").append("w").append(r.nextInt(50_000));
        }
        return b.toString();
    }

    @Test
    void countsCopiesAndCloseEditsButNotSharedSentencesOrTheHeldOutSide() {
        Random r = new Random(7);
        String base = words(r, 60);
        String other = words(r, 60);
        String[] w = base.split(" ");
        // One word changed in 60: 51 of the 56 shingles kept, Jaccard 51/61 = 0.84.
        w[30] = "changed";
        String edited = String.join(" ", w);
        // The first 12 words of base then 48 new ones: 8 of 56 shingles shared, Jaccard 8/104 = 0.08.
        String sharedOpening = String.join(" ", List.of(base.split(" ")).subList(0, 12)) + " " + words(r, 48);
        String heldOnly = words(r, 60);
        String heldOnlyCopy = heldOnly;

        SplitOverlap check = SplitOverlap.of(List.of(base, edited, sharedOpening, heldOnly, heldOnlyCopy, "!!! ???"));
        check.accept(base);
        check.accept(other);
        check.accept("--- ---");
        SplitOverlap.Result result = check.result();

        // base (a copy) and edited count; the opening, a document repeated only inside the held-out
        // split, and the document without a word do not.
        assertThat(result.documents()).isEqualTo(6);
        assertThat(result.checked()).isEqualTo(5);
        assertThat(result.nearDuplicates()).isEqualTo(2);
        assertThat(result.trainingDocuments()).isEqualTo(3);
        assertThat(result.share()).isEqualTo(0.4);
        // Positions among the documents offered: the opening and both held-out-only texts.
        assertThat(check.withoutNearDuplicate()).containsExactly(2, 3, 4);
        assertThat(result.toMap())
                .containsEntry("documents", 6)
                .containsEntry("checked", 5)
                .containsEntry("near_duplicates", 2)
                .containsEntry("share", 0.4);
    }

    @Test
    void aSplitByDocumentLeaksTemplatedFamiliesAndTheGroupedSplitDoesNot() {
        List<Document> docs = NearDuplicatesTest.corpus(3);
        for (CorpusSplit.Unit unit : CorpusSplit.Unit.values()) {
            CorpusSplit split = CorpusSplit.split(unit, docs, 5, 0.1, 0.2);
            SplitOverlap check =
                    SplitOverlap.of(split.test().stream().map(Document::text).toList());
            split.train().forEach(d -> check.accept(d.text()));
            SplitOverlap.Result result = check.result();
            assertThat(result.checked()).isEqualTo(split.test().size());
            // The family members that landed in test.
            long familyInTest = split.test().stream()
                    .filter(d -> d.source().startsWith("family"))
                    .count();
            if (unit == CorpusSplit.Unit.DOCUMENT) {
                // With 6 members per family, a tested member's family has one in train but rarely.
                assertThat(result.nearDuplicates()).isGreaterThan((int) (familyInTest * 0.8));
            } else {
                assertThat(result.nearDuplicates()).isZero();
            }
        }
    }

    @Test
    void samplesAtMostTheLimitTheSameWayEachTime() {
        Random r = new Random(11);
        List<String> heldOut = new ArrayList<>();
        List<String> train = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String text = words(r, 30);
            heldOut.add(text);
            if (i % 2 == 0) {
                train.add(text);
            }
        }
        SplitOverlap.Result[] runs = new SplitOverlap.Result[2];
        for (int k = 0; k < 2; k++) {
            SplitOverlap.Builder b = SplitOverlap.builder(40);
            heldOut.forEach(b::add);
            SplitOverlap check = b.build();
            train.forEach(check::accept);
            runs[k] = check.result();
        }
        assertThat(runs[0]).isEqualTo(runs[1]);
        // The sampled documents keep their positions: the uncopied ones are the odd positions.
        SplitOverlap.Builder sampled = SplitOverlap.builder(40);
        heldOut.forEach(sampled::add);
        SplitOverlap again = sampled.build();
        train.forEach(again::accept);
        int[] novel = again.withoutNearDuplicate();
        assertThat(novel).hasSize(40 - runs[0].nearDuplicates()).isSorted();
        assertThat(java.util.stream.IntStream.of(novel).allMatch(i -> i % 2 == 1))
                .isTrue();
        assertThat(runs[0].documents()).isEqualTo(200);
        assertThat(runs[0].checked()).isEqualTo(40);
        // Half of all held-out documents are copies; a uniform sample of 40 holds 10 to 30 of them.
        assertThat(runs[0].nearDuplicates()).isBetween(10, 30);
        // The sample reaches past the first 40 documents (a prefix would be biased on a sorted file).
        SplitOverlap late = SplitOverlap.builder(40).build();
        assertThat(late.result().checked()).isZero();
        assertThat(late.result().share()).isZero();
        SplitOverlap.Builder lateOnly = SplitOverlap.builder(40);
        heldOut.forEach(lateOnly::add);
        SplitOverlap onlyLate = lateOnly.build();
        train.subList(20, 100).forEach(onlyLate::accept); // copies of held-out documents 40-198 only
        assertThat(onlyLate.result().nearDuplicates()).isPositive();
        assertThatThrownBy(() -> SplitOverlap.builder(0)).hasMessageContaining("maxDocuments must be >= 1, got 0");
    }
}
