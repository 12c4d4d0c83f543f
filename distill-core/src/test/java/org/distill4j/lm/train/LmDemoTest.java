package org.distill4j.lm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.model.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's plumbing at a tiny size (a few steps): files written, every row present, models reloadable. */
class LmDemoTest {

    @TempDir
    Path out;

    @Test
    void writesMetricsResultsAndReloadableModels() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        LmDemo.Result r = LmDemo.run(
                LmDemo.Options.quick(DebianCorpus.trainFile()).withBytes(60_000).withSteps(20, 10),
                out,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertThat(r.rows()).hasSize(5);
        assertThat(r.rows().get(0).model()).startsWith("teacher");
        assertThat(r.rows()).allMatch(row -> Double.isFinite(row.validationBitsPerByte()) && row.parameters() > 0);
        assertThat(r.generationTokensPerSecondCached()).isPositive();
        JsonNode metrics =
                new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertThat(metrics.at("/result/rows").size()).isEqualTo(5);
        assertThat(metrics.at("/options/corpus_sha256").asText()).hasSize(64);
        assertThat(Files.readString(out.resolve("results.md")))
                .contains("| unigram baseline |")
                .contains("TopKKL(k=5, alpha=0.5)")
                .contains("SampledKD(n=12");
        try (LanguageModel t = LanguageModel.load(out.resolve("teacher"))) {
            assertThat(t.parameterCount()).isEqualTo(r.rows().get(0).parameters());
        }
        assertThat(Files.isDirectory(out.resolve("student-topkkl-k-5-alpha-0-5")))
                .isTrue();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("unigram").contains("tokens/s with KV cache");
    }
}
