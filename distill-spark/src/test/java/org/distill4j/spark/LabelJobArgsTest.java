package org.distill4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The spark-submit arguments and the partition planner, without Spark. */
class LabelJobArgsTest {

    @Test
    void parsesTheSubmitArguments() {
        LabelJob.Config c = LabelJob.parse(new String[] {
            "r.yaml",
            "out",
            "--split",
            "test",
            "--batch-size",
            "64",
            "--rows-per-partition",
            "1000",
            "--on-corrupt",
            "skip",
            "--set",
            "seed=4",
            "--parquet",
            "in",
            "--column",
            "text",
            "--key",
            "id",
            "--acknowledge-unknown-terms"
        });
        assertThat(c.recipe()).isEqualTo(Path.of("r.yaml"));
        assertThat(c.out()).isEqualTo(Path.of("out"));
        assertThat(c.split()).isEqualTo("test");
        assertThat(c.batchSize()).isEqualTo(64);
        assertThat(c.rowsPerPartition()).isEqualTo(1000);
        assertThat(c.onCorrupt()).isEqualTo(LabelJob.OnCorrupt.SKIP);
        assertThat(c.overrides()).containsExactly("seed=4");
        assertThat(c.parquet()).isEqualTo(Path.of("in"));
        assertThat(c.column()).isEqualTo("text");
        assertThat(c.keyColumn()).isEqualTo("id");
        assertThat(c.acknowledgeUnknownTerms()).isTrue();
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> LabelJob.parse(new String[] {"r.yaml"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected RECIPE and OUT");
        assertThatThrownBy(() -> LabelJob.parse(new String[] {"r.yaml", "out", "--frobnicate", "1"}))
                .hasMessageContaining("--frobnicate");
        assertThatThrownBy(() -> LabelJob.parse(new String[] {"r.yaml", "out", "--batch-size", "0"}))
                .hasMessageContaining("batchSize");
    }

    @Test
    void aLanguageModelRecipeRunsTheTopKJobWithItsOwnOptions(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        Path lm = java.nio.file.Files.writeString(tmp.resolve("lm.yaml"), "data: {format: text, path: c.txt}\n");
        Path classifier = java.nio.file.Files.writeString(tmp.resolve("c.yaml"), "data: {format: idx, dir: d}\n");
        assertThat(LmTopKJob.isLmInvocation(new String[] {"--set", "seed=1", lm.toString(), "out"}))
                .isTrue();
        assertThat(LmTopKJob.isLmInvocation(new String[] {"--acknowledge-unknown-terms", classifier.toString(), "o"}))
                .isFalse();
        LmTopKJob.Config c = LmTopKJob.parse(new String[] {
            lm.toString(), "out", "--cache-dir", "cache", "--windows-per-partition", "64", "--set", "data.context=16"
        });
        assertThat(c.batchSize()).isEqualTo(16); // distill run's batch, so the values match bit for bit
        assertThat(c.windowsPerPartition()).isEqualTo(64);
        assertThat(c.cacheDir()).isEqualTo(Path.of("cache"));
        assertThat(c.overrides()).containsExactly("data.context=16");
        assertThatThrownBy(() -> LmTopKJob.parse(new String[] {lm.toString(), "out", "--split", "test"}))
                .hasMessageContaining("--split");
    }

    @Test
    void partitionsHoldWholeBatchesAndCoverEveryRowOnce() {
        List<long[]> plan = LabelJob.plan(1000, 64, 100); // 100 rounds up to 128 = 2 batches
        assertThat(plan).hasSize(8);
        long next = 0;
        for (long[] r : plan) {
            assertThat(r[0]).isEqualTo(next);
            assertThat(r[0] % 64).isZero();
            next = r[1];
        }
        assertThat(next).isEqualTo(1000);
        assertThat(LabelJob.plan(0, 64, 100)).isEmpty();
    }
}
