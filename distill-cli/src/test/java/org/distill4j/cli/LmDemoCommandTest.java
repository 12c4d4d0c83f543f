package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill lm-demo}: usage errors, and a real run shrunk to a few steps. */
class LmDemoCommandTest {

    @TempDir
    Path tmp;

    @Test
    void helpAndBadArgumentsExitAsDocumented() {
        assertThat(DistillCommand.execute("lm-demo", "--help")).isZero();
        assertThat(DistillCommand.execute(
                        "lm-demo", "--data", tmp.resolve("missing.jsonl").toString()))
                .isEqualTo(2);
        assertThat(DistillCommand.execute("lm-demo", "--steps", "3")).isEqualTo(2);
    }

    @Test
    void aShrunkQuickRunWritesResults() throws Exception {
        Path corpus = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path c = p.resolve("../shared/data/debian-descriptions/train.jsonl.gz")
                    .normalize();
            if (Files.isRegularFile(c)) {
                corpus = c;
                break;
            }
        }
        assumeTrue(corpus != null, "no Debian descriptions");
        Path out = tmp.resolve("out");
        int code = DistillCommand.execute(
                "lm-demo",
                "--quick",
                "--data",
                corpus.toString(),
                "--bytes",
                "40000",
                "--steps",
                "5,3",
                "--out",
                out.toString());
        assertThat(code).isZero();
        assertThat(Files.readString(out.resolve("results.md"))).contains("unigram baseline", "student from scratch");
        assertThat(out.resolve("metrics.json")).exists();
        assertThat(out.resolve("teacher").resolve("model.json")).exists();
    }
}
