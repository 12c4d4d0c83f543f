package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.distill4j.testutil.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping {@code distill run} while it trains, as Ctrl-C or a job scheduler's SIGTERM does, in a
 * real child JVM: before {@code ShutdownBarrier}, libtorch's exit-time destructors could run under
 * the step in progress and kill the JVM with SIGSEGV (exit 134, an {@code hs_err_pid*.log} in the
 * working directory; 2 of 11 stops, docs/engine.md). Now the step finishes, the process exits with 143 (128 + SIGTERM) and says how to go
 * on, and {@code --resume} continues from the last checkpoint.
 */
class StopDuringTrainingTest {

    @TempDir
    Path tmp;

    @Test
    void sigtermDuringTrainingExitsCleanlyAndTheRunResumes() throws Exception {
        Path corpus = SharedData.debianDescriptions().resolve("train.jsonl.gz");
        assumeTrue(Files.isRegularFile(corpus), "needs ../shared/data/debian-descriptions (a clone next to shared/)");
        Path recipe = tmp.resolve("stop.yaml");
        // A teacher long enough to be stopped in the middle; reports (and checkpoints) every 100 steps.
        Files.writeString(recipe, """
                name: stop
                seed: 3
                data: {format: text, path: %s, field: text, max_bytes: 60000, validation: 0.1, test: 0.1, context: 32}
                teacher:
                  layers: 2
                  width: 32
                  heads: 2
                  training: {steps: 1000, batch_size: 8, learning_rate: 0.003, warmup_steps: 5}
                student:
                  layers: 1
                  width: 16
                  heads: 2
                  training: {steps: 20, batch_size: 8, learning_rate: 0.01, warmup_steps: 5}
                distillation: {variant: full, alpha: 0.5}
                evaluation: {prompts: ["GNU "], sample_tokens: 4, generation_tokens: 8}
                """.formatted(corpus));
        Path out = tmp.resolve("out");
        Path work = Files.createDirectories(tmp.resolve("work")); // where a crash would leave hs_err_pid*.log
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_interop_threads=1",
                "-Dai.djl.pytorch.num_threads=1",
                DistillCommand.class.getName(),
                "run",
                recipe.toString(),
                "--out",
                out.toString(),
                "--no-progress",
                "--acknowledge-unknown-terms"));
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process child = pb.start();
        CompletableFuture<Boolean> training = new CompletableFuture<>();
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                    if (line.matches("teacher\\s+step 100/1,000.*")) {
                        training.complete(true);
                    }
                }
            } catch (java.io.IOException e) {
                training.completeExceptionally(e);
            }
            training.complete(false);
        });
        reader.start();
        try {
            assertThat(training.get(120, TimeUnit.SECONDS))
                    .as("the teacher's first report; output:%n%s", output)
                    .isTrue();
            // SIGTERM in the middle of the teacher's training, as Ctrl-C or a scheduler sends it.
            // Not Process.destroy(): it also closes this side's pipes, and the child's last words
            // (the barrier's message) would be lost.
            assertThat(new ProcessBuilder("kill", "-TERM", String.valueOf(child.pid()))
                            .start()
                            .waitFor())
                    .isZero();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            reader.join(10_000);
        } finally {
            child.destroyForcibly();
        }
        String text;
        synchronized (output) {
            text = output.toString();
        }
        try (Stream<Path> files = Files.list(work)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no JVM crash report; output:%n%s", text)
                    .noneMatch(n -> n.startsWith("hs_err"));
        }
        assertThat(child.exitValue()).as(text).isEqualTo(143);
        assertThat(text).contains("distill: stopping after the training step in progress");
        assertThat(text).doesNotContainPattern("teacher\\s+step 1,000/1,000");
        assertThat(out.resolve("teacher/model.json")).doesNotExist();
        Path checkpoints = out.resolve("checkpoints/teacher");
        try (Stream<Path> files = Files.walk(checkpoints)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("a complete checkpoint, no temporary file left behind")
                    .contains("state.json")
                    .noneMatch(n -> n.endsWith(".tmp") || n.startsWith(".checkpoint-"));
        }

        CliTest.Run resumed = CliTest.distill(
                "run",
                recipe.toString(),
                "--out",
                out.toString(),
                "--no-progress",
                "--acknowledge-unknown-terms",
                "--resume");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        String log = resumed.out() + resumed.err();
        // It continued from the checkpoint: no report of the steps before it, the last one made.
        assertThat(log)
                .doesNotContainPattern("teacher\\s+step 100/1,000")
                .containsPattern("teacher\\s+step 1,000/1,000");
        assertThat(out.resolve("teacher/model.json")).exists();
        assertThat(out.resolve("metrics.json")).exists();
    }
}
