package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.data.FeatureShards;
import org.distill4j.experiment.TrainingRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill shards} and {@code distill distill --from-shards}, through the real command line. */
class ShardsCliTest {

    @Test
    void shardsAreWrittenAndTheDistilledStudentTrainsFromThemThenIsReused(@TempDir Path tmp) throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, CliTest.RECIPE);
        Path shards = tmp.resolve("shards");
        Path out = tmp.resolve("out");
        Path cache = tmp.resolve("cache");
        CliTest.Run written = CliTest.distill(
                "shards",
                recipe.toString(),
                shards.toString(),
                "--copies",
                "2",
                "--rows-per-shard",
                "100",
                "--out",
                out.toString(),
                "--no-progress");
        assertThat(written.code()).as(written.err()).isZero();
        // 270 training rows (300 minus the 10% hold-out), three times.
        FeatureShards set = FeatureShards.open(shards);
        assertThat(set.rows()).isEqualTo(810);
        assertThat(set.shards()).hasSize(9);
        assertThat(written.out()).contains("810 rows in 9 shards");

        CliTest.Run trained = CliTest.distill(
                "distill",
                recipe.toString(),
                "--from-shards",
                shards.toString(),
                "--shuffle-buffer",
                "64",
                "--out",
                out.toString(),
                "--cache-dir",
                cache.toString(),
                "--no-progress");
        assertThat(trained.code()).as(trained.err()).isZero();
        assertThat(trained.err()).contains("teacher outputs on 810 shard rows: computed and cached in");
        TrainingRecord record = TrainingRecord.read(out.resolve("student_distilled"));
        assertThat(record.history()).hasSize(2);
        assertThat(record.history().get(1).valAccuracy()).isGreaterThan(0.8);
        try (var files = Files.list(cache)) {
            assertThat(files.filter(f -> f.toString().endsWith(".logits"))).hasSize(1);
        }

        CliTest.Run again = CliTest.distill(
                "distill",
                recipe.toString(),
                "--from-shards",
                shards.toString(),
                "--shuffle-buffer",
                "64",
                "--out",
                out.toString(),
                "--cache-dir",
                cache.toString(),
                "--no-progress");
        assertThat(again.code()).isZero();
        assertThat(again.err()).contains("reusing the model trained from these shards");

        // The teacher's outputs given as a file (e.g. converted from a Spark job): not computed again.
        Path logits;
        try (var files = Files.list(cache)) {
            logits = files.filter(f -> f.toString().endsWith(".logits"))
                    .findFirst()
                    .orElseThrow();
        }
        Path cache2 = tmp.resolve("cache2");
        CliTest.Run given = CliTest.distill(
                "distill",
                recipe.toString(),
                "--from-shards",
                shards.toString(),
                "--teacher-logits",
                logits.toString(),
                "--out",
                tmp.resolve("out2").toString(),
                "--cache-dir",
                cache2.toString(),
                "--no-progress");
        assertThat(given.code()).as(given.err()).isZero();
        assertThat(given.err()).doesNotContain("teacher outputs on 810 shard rows");
        assertThat(cache2).doesNotExist();
        assertThat(TrainingRecord.read(tmp.resolve("out2").resolve("student_distilled"))
                        .history())
                .hasSize(2);

        // A directory that is not a complete shard set: exit 3 naming it.
        Files.createDirectories(tmp.resolve("empty"));
        CliTest.Run missing = CliTest.distill(
                "distill",
                recipe.toString(),
                "--from-shards",
                tmp.resolve("empty").toString(),
                "--out",
                out.toString(),
                "--no-progress");
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.err()).contains(tmp.resolve("empty").toString(), "shards.json");
    }
}
