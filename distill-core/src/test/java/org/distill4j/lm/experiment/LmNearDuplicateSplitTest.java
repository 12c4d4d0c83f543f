package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.NearDuplicates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data.split_by: near_duplicates} on the first 200 KB of the Debian descriptions, which are
 * full of package families written from one template: no group of near duplicates is on both sides
 * of the split (the document split puts some there), the BPE a recipe trains is learnt on that
 * split's training documents in every code path, and the run's metrics say how it was split.
 */
class LmNearDuplicateSplitTest {

    @TempDir
    Path tmp;

    private LmRecipe recipe(String splitBy, String tokenizer) throws Exception {
        return LmRecipe.parse("""
                name: nd
                seed: 3
                data: {format: text, path: %s, max_bytes: 200000, context: 32, split_by: %s%s}
                teacher: {layers: 1, width: 16, heads: 2, training: {steps: 2}}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 2}}
                """.formatted(DebianCorpus.trainFile(), splitBy, tokenizer), "nd", tmp, List.of());
    }

    /** Groups (of the whole corpus) that have documents in train and in validation or test. */
    private static long straddling(CorpusSplit s) {
        List<Document> all = new ArrayList<>(s.train());
        all.addAll(s.validation());
        all.addAll(s.test());
        // The groups the split keeps whole: those of the split's own limit (the recipe's 5% shares).
        int[] group = NearDuplicates.groups(all, CorpusSplit.maxGroupSize(all.size(), 0.05, 0.05));
        Set<Integer> train = new HashSet<>();
        for (int i = 0; i < s.train().size(); i++) {
            train.add(group[i]);
        }
        long n = 0;
        Set<Integer> seen = new HashSet<>();
        for (int i = s.train().size(); i < all.size(); i++) {
            if (train.contains(group[i]) && seen.add(group[i])) {
                n++;
            }
        }
        return n;
    }

    @Test
    void noFamilyOfNearDuplicatesIsOnBothSides() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmTrainingCorpus grouped = LmTrainingCorpus.read(recipe("near_duplicates", ""));
        LmTrainingCorpus byDocument = LmTrainingCorpus.read(recipe("document", ""));
        assertThat(straddling(byDocument.split())).isGreaterThan(10);
        assertThat(straddling(grouped.split())).isZero();
        assertThat(grouped.split().test()).isNotEmpty();
        assertThat(grouped.corpus().documents()).isEqualTo(byDocument.corpus().documents());
    }

    @Test
    void aTrainedBpeLearnsFromTheGroupedTrainingSplitAndMetricsSayHowItWasSplit() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmRecipe grouped = recipe("near_duplicates", ", tokenizer: {type: bpe, vocab_size: 300}");
        LmRecipe byDocument = recipe("document", ", tokenizer: {type: bpe, vocab_size: 300}");
        // The file-reading trainer (what `distill tokenizer` and streamed runs call) and the run's
        // in-memory one learn the same merges from the same documents.
        assertThat(LmTrainingCorpus.tokenizer(grouped, null).identity())
                .isEqualTo(LmTrainingCorpus.read(grouped).tokenizer().identity())
                .isNotEqualTo(LmTrainingCorpus.tokenizer(byDocument, null).identity());
        try (LmSplits s = LmSplits.open(grouped, tmp.resolve("cache"))) {
            Map<String, Object> info = s.info();
            assertThat(info).containsEntry("split_by", "near_duplicates");
            assertThat(info.get("split_documents").toString())
                    .contains("train=")
                    .contains("test=");
        }
        try (LmSplits s = LmSplits.open(byDocument, tmp.resolve("cache"))) {
            assertThat(s.info()).doesNotContainKey("split_by");
        }
    }

    @Test
    void metricsSayHowManyHeldOutDocumentsRepeatTrainingTextAndTheReportWhatToDo() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        Map<String, Object> grouped;
        Map<String, Object> byDocument;
        try (LmSplits s = LmSplits.open(recipe("near_duplicates", ""), tmp.resolve("cache"))) {
            grouped = s.info();
        }
        try (LmSplits s = LmSplits.open(recipe("document", ""), tmp.resolve("cache"))) {
            byDocument = s.info();
        }
        Map<?, ?> docTest = (Map<?, ?>) ((Map<?, ?>) byDocument.get("split_overlap")).get("test");
        Map<?, ?> groupedTest = (Map<?, ?>) ((Map<?, ?>) grouped.get("split_overlap")).get("test");
        // 200 KB of Debian descriptions, 5% test: by document about a fifth of the test documents
        // repeat a training document; grouped, a near duplicate is in the test document's own group.
        assertThat(((Number) docTest.get("share")).doubleValue()).isGreaterThan(0.1);
        assertThat(docTest.get("checked")).isEqualTo(docTest.get("documents"));
        assertThat(groupedTest.get("near_duplicates")).isEqualTo(0);
        assertThat(LmReport.overlapSentence(byDocument))
                .contains("of the test documents (" + docTest.get("near_duplicates") + " of ")
                .contains("`data.split_by: near_duplicates`");
        assertThat(LmReport.overlapSentence(grouped))
                .startsWith("0.0% of the test documents")
                .doesNotContain("data.split_by");
    }
}
