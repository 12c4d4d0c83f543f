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
import org.distill4j.lm.corpus.SplitOverlap;
import org.distill4j.lm.corpus.TokenWindows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data.split_by: near_duplicates} on the first 200 KB of the Debian descriptions, which are
 * full of package families written from one template: no group of near duplicates is on both sides
 * of the split (the document split puts some there), the BPE a recipe trains is learnt on that
 * split's training documents in every code path, and the run's metrics say how it was split and
 * which test documents repeat nothing.
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

    @Test
    void theTestDocumentsSingledOutAreExactlyThoseWithoutANearDuplicateInTraining() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        LmRecipe byDocument = recipe("document", "");
        LmTrainingCorpus read = LmTrainingCorpus.read(byDocument);
        try (LmSplits s = LmSplits.open(byDocument, tmp.resolve("cache"))) {
            Map<?, ?> overlap = (Map<?, ?>) s.info().get("split_overlap");
            Map<?, ?> test = (Map<?, ?>) overlap.get("test");
            Map<?, ?> novel = (Map<?, ?>) overlap.get("test_without_near_duplicate");
            int checked = (Integer) test.get("checked");
            int repeated = (Integer) test.get("near_duplicates");
            assertThat(repeated).isPositive();
            assertThat(novel.get("documents")).isEqualTo(checked - repeated);
            TokenWindows w = s.novelTest();
            assertThat(w.contextLength()).isEqualTo(32);
            assertThat(novel.get("bytes")).isEqualTo(w.targetBytes());
            List<String> texts = w.documents(s.tokenizer(), "novel").stream()
                    .map(Document::text)
                    .toList();
            assertThat(texts).hasSize(checked - repeated);
            // Checked again on their own: none has a near duplicate among the training documents...
            SplitOverlap again = SplitOverlap.of(texts);
            read.split().train().forEach(d -> again.accept(d.text()));
            assertThat(again.result().nearDuplicates()).isZero();
            // ... and every other checked test document has one.
            Set<String> kept = new HashSet<>(texts);
            List<String> others = read.split().test().stream()
                    .map(Document::text)
                    .filter(t -> !kept.contains(t))
                    .toList();
            SplitOverlap rest = SplitOverlap.of(others);
            read.split().train().forEach(d -> rest.accept(d.text()));
            assertThat(rest.result().nearDuplicates())
                    .isEqualTo(repeated)
                    .isEqualTo(rest.result().checked());
        }
        // Grouped, no test document repeats training text: nothing to single out.
        try (LmSplits s = LmSplits.open(recipe("near_duplicates", ""), tmp.resolve("cache"))) {
            assertThat(s.novelTest()).isNull();
            assertThat(((Map<?, ?>) s.info().get("split_overlap")).containsKey("test_without_near_duplicate"))
                    .isFalse();
        }
    }

    @Test
    void theReportGivesTheShareOfTheGapOnTheNovelDocumentsBesideTheWholeTestSplit() {
        Map<String, Object> novel = Map.of("documents", 40, "bytes", 12_345);
        Map<String, Object> metrics = Map.of(
                "corpus", Map.of("split_overlap", Map.of("test_without_near_duplicate", novel)),
                "unigram", Map.of(LmExperiment.NOVEL_BITS, 4.5),
                "models",
                        List.of(
                                Map.of("model", "teacher", "test_bits_per_byte", 1.8, LmExperiment.NOVEL_BITS, 2.0),
                                Map.of(
                                        "model",
                                        "student-scratch",
                                        "test_bits_per_byte",
                                        2.6,
                                        LmExperiment.NOVEL_BITS,
                                        3.0),
                                Map.of(
                                        "model",
                                        "student-distilled",
                                        "test_bits_per_byte",
                                        2.2,
                                        LmExperiment.NOVEL_BITS,
                                        2.75)));
        assertThat(LmReport.novelSentence(metrics))
                .isEqualTo("On the 40 test documents without one (12,345 bytes), bits/byte: unigram baseline 4.500,"
                        + " teacher 2.000, student-scratch 3.000, student-distilled 2.750. The distilled student"
                        + " closes 25% of the teacher-scratch gap there (50% on the whole test split).");
        // Without the distilled student there is no share to give; without the documents, no sentence.
        Map<String, Object> noStudent = new java.util.HashMap<>(metrics);
        noStudent.put("models", ((List<?>) metrics.get("models")).subList(0, 2));
        assertThat(LmReport.novelSentence(noStudent)).endsWith("student-scratch 3.000.");
        assertThat(LmReport.novelSentence(Map.of("corpus", Map.of("split_overlap", Map.of()))))
                .isNull();
    }
}
