package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.distill4j.cli.CliTest.distill;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.cli.CliTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14 through the command line: one clear line naming the file, key or value. */
class CliHardeningTest {

    static final String OVERRIDE = """
            version: 1
            entries:
              - id: openai-api
                name: OpenAI API (our agreement)
                outputs_for_training: allowed
                clause: "Licensee may use outputs to train models."
                source: https://intranet.example/agreements/42
                read_on: 2026-10-02
            """;

    @Test
    void termsShowSaysWhereAnEntryCameFromAndASpoofIsRefused(@TempDir Path tmp) throws Exception {
        Path spoof = Files.writeString(tmp.resolve("spoof.yaml"), OVERRIDE);
        Run refused = distill("terms", "show", "openai-api", "--terms-file", spoof.toString());
        assertThat(refused.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(refused.err()).contains(spoof.toString()).contains("override_built_in: true");

        Path explicit = Files.writeString(tmp.resolve("explicit.yaml"), OVERRIDE + "    override_built_in: true\n");
        Run show = distill("terms", "show", "openai-api", "--terms-file", explicit.toString());
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out())
                .contains("entry from: user file " + explicit)
                .contains("sha256")
                .contains("overrides the built-in entry");
        assertThat(distill("terms", "show", "llama-3.1").out()).contains("entry from: built-in registry");
    }

    @Test
    void outNamingARegularFileIsOneLineNamingIt(@TempDir Path tmp) throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path r = CliTest.recipe(tmp, CliTest.RECIPE);
        Path file = Files.writeString(tmp.resolve("results.txt"), "x");
        Run run = distill("train-teacher", r.toString(), "--out", file.toString(), "--no-progress");
        assertThat(run.code()).isEqualTo(ExitCodes.DATA);
        assertThat(run.err())
                .contains(file.toString())
                .contains("is a regular file")
                .contains("--out");
        assertThat(Files.readString(file)).isEqualTo("x");
    }

    @Test
    void aRecipeWithInvalidUtf8IsNamedWithItsLine(@TempDir Path tmp) throws Exception {
        Path r = tmp.resolve("recipe.yaml");
        byte[] good = CliTest.RECIPE.getBytes(StandardCharsets.UTF_8);
        byte[] bad = java.util.Arrays.copyOf(good, good.length + 3);
        bad[good.length] = '#';
        bad[good.length + 1] = (byte) 0xC0;
        bad[good.length + 2] = '\n';
        Files.write(r, bad);
        Run run = distill("train-teacher", r.toString());
        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err())
                .contains(r.toString())
                .contains("line 13")
                .contains("not valid UTF-8")
                .doesNotContain("Input length");
    }

    @Test
    void aBadMaxModelMemoryIsNamed(@TempDir Path tmp) throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path r = CliTest.recipe(tmp, CliTest.RECIPE);
        Run run = distill(
                "train-teacher",
                r.toString(),
                "--max-model-memory",
                "lots",
                "--out",
                tmp.resolve("out").toString());
        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--max-model-memory").contains("'lots'");
    }

    @Test
    void aTinyMaxModelMemoryRefusesTheTeacherWithTheEstimate(@TempDir Path tmp) throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path r = CliTest.recipe(tmp, CliTest.RECIPE);
        String old = System.getProperty(org.distill4j.model.MemoryEstimate.LIMIT_PROPERTY);
        try {
            Run run = distill(
                    "train-teacher",
                    r.toString(),
                    "--max-model-memory",
                    "1k",
                    "--out",
                    tmp.resolve("out").toString(),
                    "--no-progress");
            assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err())
                    .contains("teacher: training MLP(hidden=[32]")
                    .contains("1.0 KiB")
                    .contains("--max-model-memory");
        } finally {
            if (old == null) {
                System.clearProperty(org.distill4j.model.MemoryEstimate.LIMIT_PROPERTY);
            } else {
                System.setProperty(org.distill4j.model.MemoryEstimate.LIMIT_PROPERTY, old);
            }
        }
    }
}
