package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill train-teacher}: one teacher, or every member of an ensemble, each reused on a rerun. */
class TrainTeacherCommandTest {

    @Test
    void trainsEachMemberOfAnEnsembleAndNamesItsDirectory(@TempDir Path tmp) throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, CliTest.RECIPE);
        Path out = tmp.resolve("out");
        String[] args = {
            "train-teacher",
            recipe.toString(),
            "--no-progress",
            "--out",
            out.toString(),
            "--cache-dir",
            tmp.resolve("cache").toString(),
            "--set",
            "teacher.ensemble=2"
        };
        CliTest.Run run = CliTest.distill(args);
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out().lines().filter(l -> l.startsWith("teacher: ")))
                .containsExactly(
                        "teacher: " + out.resolve("teacher").toAbsolutePath(),
                        "teacher: " + out.resolve("teacher-2").toAbsolutePath());
        CliTest.Run again = CliTest.distill(args);
        assertThat(again.code()).isZero();
        assertThat(again.out() + again.err()).contains("teacher-2: reusing");
    }
}
