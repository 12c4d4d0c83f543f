package org.distill4j.lm.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link NearDuplicates} and {@link CorpusSplit#byNearDuplicates}: on a corpus of templated
 * families (as Debian's dictionaries and library packages are written) beside unrelated documents,
 * the families are found and never straddle two splits, and nothing else is joined.
 */
class NearDuplicatesTest {

    /** 40 families of 6 documents from one template, then 400 documents of random words. */
    static List<Document> corpus(long seed) {
        Random r = new Random(seed);
        List<Document> out = new ArrayList<>();
        for (int f = 0; f < 40; f++) {
            String topic = words(r, 30);
            for (int m = 0; m < 6; m++) {
                out.add(new Document(
                        "family" + f + ":" + m,
                        "Dictionary package " + word(r) + " for the " + word(r) + " language pair. " + topic
                                + " This package contains the " + word(r) + " files."));
            }
        }
        for (int i = 0; i < 400; i++) {
            out.add(new Document("single:" + i, words(r, 40)));
        }
        return out;
    }

    private static String words(Random r, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : " ").append(word(r));
        }
        return b.toString();
    }

    private static String word(Random r) {
        return "w" + r.nextInt(20_000);
    }

    private static String family(Document d) {
        return d.source().startsWith("family")
                ? d.source().substring(0, d.source().indexOf(':'))
                : d.source();
    }

    @Test
    void findsEveryTemplatedFamilyAndJoinsNothingElse() {
        List<Document> docs = corpus(1);
        int[] group = NearDuplicates.groups(docs);
        Map<Integer, Set<String>> families = new HashMap<>();
        for (int i = 0; i < docs.size(); i++) {
            families.computeIfAbsent(group[i], g -> new HashSet<>()).add(family(docs.get(i)));
        }
        // One family per group and one group per family: 40 groups of 6, 400 of 1.
        assertThat(families.values()).allSatisfy(f -> assertThat(f).hasSize(1));
        assertThat(families).hasSize(40 + 400);
        for (int i = 0; i < docs.size(); i++) {
            assertThat(group[group[i]]).isEqualTo(group[i]);
            assertThat(group[i]).isLessThanOrEqualTo(i);
        }
        // Identical texts share a group, however far apart.
        List<Document> twice = new ArrayList<>(docs);
        twice.add(new Document("copy", docs.get(300).text()));
        int[] g2 = NearDuplicates.groups(twice);
        assertThat(g2[twice.size() - 1]).isEqualTo(g2[300]);
    }

    @Test
    void aSplitByNearDuplicatesKeepsFamiliesOnOneSideAndSinglesWhereTheDocumentSplitPutsThem() {
        List<Document> docs = corpus(2);
        CorpusSplit s = CorpusSplit.byNearDuplicates(docs, 7, 0.2, 0.2);
        Map<String, Set<String>> sidesOfFamily = new HashMap<>();
        for (var e : Map.of("train", s.train(), "validation", s.validation(), "test", s.test())
                .entrySet()) {
            e.getValue()
                    .forEach(d -> sidesOfFamily
                            .computeIfAbsent(family(d), f -> new HashSet<>())
                            .add(e.getKey()));
        }
        assertThat(sidesOfFamily.values()).allSatisfy(sides -> assertThat(sides).hasSize(1));
        // The document split scatters the families (each of 6 members lands on its own).
        CorpusSplit byDoc = CorpusSplit.bySeed(docs, 7, 0.2, 0.2);
        long straddling = byDoc.test().stream()
                .filter(d -> d.source().startsWith("family"))
                .map(NearDuplicatesTest::family)
                .distinct()
                .filter(f -> byDoc.train().stream().anyMatch(d -> family(d).equals(f)))
                .count();
        assertThat(straddling).isGreaterThan(5);
        // A document with no near duplicate goes where the document split sends it.
        for (Document d : docs.subList(240, docs.size())) {
            assertThat(part(s, d)).isEqualTo(CorpusSplit.part(d.text(), 7, 0.2, 0.2));
        }
        // Every document once, in corpus order within a part.
        assertThat(s.train().size() + s.validation().size() + s.test().size()).isEqualTo(docs.size());
        assertThat(docs).containsSubsequence(s.test());
        // Families go to test at about its share.
        long familiesInTest = s.test().stream()
                .filter(d -> d.source().startsWith("family"))
                .map(NearDuplicatesTest::family)
                .distinct()
                .count();
        assertThat(familiesInTest).isBetween(2L, 16L);
    }

    @Test
    void theSplitDoesNotDependOnTheDocumentsOrder() {
        List<Document> docs = corpus(3);
        CorpusSplit a = CorpusSplit.byNearDuplicates(docs, 11, 0.1, 0.1);
        List<Document> shuffled = new ArrayList<>(docs);
        Collections.shuffle(shuffled, new Random(5));
        CorpusSplit b = CorpusSplit.byNearDuplicates(shuffled, 11, 0.1, 0.1);
        assertThat(b.test()).containsExactlyInAnyOrderElementsOf(a.test());
        assertThat(b.validation()).containsExactlyInAnyOrderElementsOf(a.validation());
        assertThat(CorpusSplit.split(CorpusSplit.Unit.NEAR_DUPLICATES, docs, 11, 0.1, 0.1))
                .isEqualTo(a);
        assertThat(CorpusSplit.split(CorpusSplit.Unit.DOCUMENT, docs, 11, 0.1, 0.1))
                .isEqualTo(CorpusSplit.bySeed(docs, 11, 0.1, 0.1));
    }

    @Test
    void aChainThroughSharedTextIsCutBackToTheLimitByStricterBands() {
        // Document i is block i followed by block i + 1: each shares half its text with the next,
        // and the first and the last share nothing, yet joining transitively links them all.
        Random r = new Random(4);
        List<String> blocks = new ArrayList<>();
        for (int i = 0; i <= 80; i++) {
            blocks.add(words(r, 25));
        }
        List<Document> chain = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            chain.add(new Document("chain:" + i, blocks.get(i) + " " + blocks.get(i + 1)));
        }
        assertThat(largest(NearDuplicates.groups(chain))).isGreaterThan(40);
        int[] capped = NearDuplicates.groups(chain, 8);
        assertThat(largest(capped)).isBetween(2, 8);
        // The cut keeps groups whole inside the limit: a capped group is part of one uncapped group.
        int[] uncapped = NearDuplicates.groups(chain);
        for (int i = 0; i < chain.size(); i++) {
            assertThat(uncapped[capped[i]]).isEqualTo(uncapped[i]);
        }
        // The split's limit is its smallest part's expected size.
        assertThat(CorpusSplit.maxGroupSize(1000, 0.05, 0.1)).isEqualTo(50);
        assertThat(CorpusSplit.maxGroupSize(1000, 0.1, 0)).isEqualTo(100);
        assertThat(CorpusSplit.maxGroupSize(1000, 0, 0)).isEqualTo(Integer.MAX_VALUE);
        assertThat(CorpusSplit.maxGroupSize(10, 0.01, 0.01)).isEqualTo(1);
    }

    private static int largest(int[] group) {
        Map<Integer, Integer> size = new HashMap<>();
        for (int g : group) {
            size.merge(g, 1, Integer::sum);
        }
        return size.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    private static CorpusSplit.Part part(CorpusSplit s, Document d) {
        return s.test().contains(d)
                ? CorpusSplit.Part.TEST
                : s.validation().contains(d) ? CorpusSplit.Part.VALIDATION : CorpusSplit.Part.TRAIN;
    }
}
