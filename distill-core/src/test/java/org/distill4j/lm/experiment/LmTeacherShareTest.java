package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.corpus.WindowShare;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distillation.teacher_share}: the teacher is asked about a seeded quarter of the transfer
 * windows, the cache holds its top-k there and absent entries elsewhere, the student trains, and
 * {@code metrics.json} and the log say how many windows the teacher saw.
 */
class LmTeacherShareTest {

    @TempDir
    Path tmp;

    @Test
    void theTeacherIsAskedAboutItsShareOfTheWindowsOnly() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        String yaml = """
                name: tiny-teacher-share
                seed: 9
                data: {format: text, path: %s, max_bytes: 40000, validation: 0.1, test: 0.1, context: 32}
                teacher: {layers: 1, width: 32, heads: 2, training: {steps: 20, batch_size: 8, learning_rate: 0.01}}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 10, batch_size: 8, learning_rate: 0.01}}
                distillation: {variant: topk, k: 4, alpha: 0.5, teacher_share: 0.25}
                evaluation: {prompts: ["GNU "], sample_tokens: 4, generation_tokens: 4}
                """.formatted(DebianCorpus.trainFile());
        LmRecipe recipe = LmRecipe.parse(yaml, "share", tmp, List.of());
        String log = LmRuns.run(recipe, tmp.resolve("out"), tmp.resolve("cache"));
        LmTrainingCorpus corpus = LmTrainingCorpus.read(recipe);
        int windows = corpus.train().size();
        BitSet chosen = new WindowShare(0.25, 9).select(windows);
        assertThat(chosen.cardinality()).isEqualTo((int) Math.round(0.25 * windows));
        assertThat(log)
                .contains(String.format(
                        "teacher outputs for %,d of the %,d transfer windows (distillation.teacher_share 0.25, seed 9)",
                        chosen.cardinality(), windows))
                // The teacher's windows count in proportion to their share (TopKKl).
                .contains("TopKKL(k=4, alpha=0.5, mean over all positions)");

        ObjectMapper json = new ObjectMapper();
        JsonNode metrics = json.readTree(tmp.resolve("out/metrics.json").toFile());
        assertThat(metrics.at("/distillation/teacher_share").asDouble()).isEqualTo(0.25);
        assertThat(metrics.at("/models/2/test_bits_per_byte").asDouble())
                .isFinite()
                .isPositive();
        JsonNode collection = json.readTree(
                        tmp.resolve("out/student-distilled/provenance.json").toFile())
                .get("label_collection");
        assertThat(collection.get("teacher_share").asDouble()).isEqualTo(0.25);
        assertThat(collection.get("teacher_windows").asInt()).isEqualTo(chosen.cardinality());
        assertThat(collection.get("transfer_windows").asInt()).isEqualTo(windows);

        // The cache's key names the share; its selected windows hold entries, the others none.
        String key = LmTrainingCorpus.topKCacheKey(
                        LanguageModel.contentHash(tmp.resolve("out/teacher")),
                        corpus.trainHash(),
                        ByteTokenizer.INSTANCE.identity(),
                        4,
                        32)
                + ";share=0.25;share_seed=9";
        try (TopKCache c = TopKCache.open(LmTrainingCorpus.topKCacheFile(tmp.resolve("cache"), key), key);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int w = 0; w < windows; w++) {
                float[] lp = c.targets(m, new int[] {w}, 32).logProbs().toFloatArray();
                boolean any = false;
                for (float v : lp) {
                    any |= v > Float.NEGATIVE_INFINITY && v < 0;
                }
                assertThat(any).as("window %d", w).isEqualTo(chosen.get(w));
            }
        }
    }
}
