package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.model.ConvolutionCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchStressCommandTest {

    /**
     * The smallest stress run (one child, one run) with the convolution check: under the suite's
     * SSE4.1 cap every shape is right and the command succeeds; the report names the cap and each
     * shape's relative error. (Uncapped on an AVX-512 CPU the padded shapes come out WRONG and the
     * command exits non-zero: see {@code ConvolutionCheckTest}.)
     */
    @Test
    void reportsTheConvolutionCheckAndSucceedsWhenEveryShapeIsRight(@TempDir Path tmp) throws Exception {
        CliTest.Run run = smallestStress(tmp);
        assertThat(run.code()).as(run.err()).isZero();
        String md = Files.readString(tmp.resolve("bench-stress.md"));
        assertThat(md)
                .contains("## Convolutions (ONEDNN_MAX_CPU_ISA=SSE41)")
                .contains("| [4, 8] |")
                .contains("| [32, 64] |")
                .doesNotContain("WRONG");
        assertThat(md.lines().filter(l -> l.endsWith("| right |"))).hasSize(4);
        assertThat(run.err()).contains("stress: convolution [12, 24]: relative error logits");
    }

    @Test
    void theCheckCanBeSkipped(@TempDir Path tmp) throws Exception {
        CliTest.Run run = smallestStress(tmp, "--no-convolution-check");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(Files.readString(tmp.resolve("bench-stress.md"))).doesNotContain("## Convolutions");
    }

    /** The verdict itself: one shape off the reference makes the table say WRONG and the check fail. */
    @Test
    void aWrongShapeIsMarkedAndFailsTheCheck() {
        StringBuilder md = new StringBuilder();
        boolean ok = BenchStressCommand.appendConvolutionTable(
                md,
                "ALL",
                List.of(
                        new ConvolutionCheck.Result(List.of(4, 8), 2.0e-7, 2.6e-1),
                        new ConvolutionCheck.Result(List.of(32, 64), 4.2e-7, 2.9e-7)));
        assertThat(ok).isFalse();
        assertThat(md.toString())
                .contains("## Convolutions (ONEDNN_MAX_CPU_ISA=ALL)")
                .contains("| [4, 8] | 2.00e-07 | 2.60e-01 | WRONG |")
                .contains("| [32, 64] | 4.20e-07 | 2.90e-07 | right |")
                .contains("ONEDNN_MAX_CPU_ISA=SSE41");
        StringBuilder allRight = new StringBuilder();
        assertThat(BenchStressCommand.appendConvolutionTable(
                        allRight, "SSE41", List.of(new ConvolutionCheck.Result(List.of(4, 8), 1.5e-7, 1.3e-7))))
                .isTrue();
        assertThat(allRight.toString()).doesNotContain("WRONG").doesNotContain("set ONEDNN");
    }

    /** One child with one run, no scalar probe, no batcher: the convolution check is what is left. */
    private static CliTest.Run smallestStress(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "bench",
                "stress",
                "--runs",
                "1",
                "--threads",
                "1",
                "--modes",
                "scratch",
                "--collectors",
                "default",
                "--probe-runs",
                "0",
                "--batcher-clients",
                "0",
                "--out",
                out.toString()));
        args.addAll(List.of(extra));
        return CliTest.distill(args.toArray(String[]::new));
    }
}
