package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
