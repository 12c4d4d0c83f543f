package org.distill4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code distill bench}: the accuracy and speed benchmarks of issue 3, and the reproducibility stress harness. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks: does distillation pay off (accuracy), and what does it cost (speed).",
        subcommands = {
            BenchAccuracyCommand.class,
            BenchSpeedCommand.class,
            BenchStressCommand.class,
            CommandLine.HelpCommand.class
        })
final class BenchCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    /** Reads a recipe bundled in the jar under {@code /recipes/}. */
    static String bundledRecipe(String file) throws java.io.IOException {
        try (java.io.InputStream in = BenchCommand.class.getResourceAsStream("/recipes/" + file)) {
            if (in == null) {
                throw new java.io.FileNotFoundException("bundled recipe /recipes/" + file + " is missing from the jar");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
