package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.recipe.Recipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distill distill RECIPE}: only the distilled student. */
@Command(
        name = "distill",
        mixinStandardHelpOptions = true,
        description = "Train only the distilled student of a recipe into OUT/student_distilled (the teacher is "
                + "trained or loaded first; its outputs come from the cache when present).")
final class DistillStepCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "Recipe file (YAML).")
    Path recipeFile;

    @Mixin
    ExperimentOptions options;

    @Option(
            names = "--from-shards",
            paramLabel = "DIR",
            description = "Train from a transfer set stored as feature shards (a directory with shards.json), "
                    + "streamed with bounded memory instead of the recipe's training rows; see docs/scale-out.md.")
    Path fromShards;

    @Option(
            names = "--teacher-logits",
            paramLabel = "FILE",
            description = "With --from-shards: the teacher's outputs on the shards (a .logits file); default: "
                    + "computed once by the recipe's local teacher into the cache.")
    Path teacherLogits;

    @Option(
            names = "--shuffle-buffer",
            paramLabel = "ROWS",
            defaultValue = "8192",
            description = "With --from-shards: rows held by the shuffle buffer (default ${DEFAULT-VALUE}).")
    int shuffleBuffer;

    @Override
    public Integer call() throws Exception {
        if (fromShards == null && teacherLogits != null) {
            throw new IllegalArgumentException("--teacher-logits applies only with --from-shards");
        }
        if (shuffleBuffer < 1) {
            throw new IllegalArgumentException("illegal --shuffle-buffer value: " + shuffleBuffer + ", must be >= 1");
        }
        Recipe recipe = options.load(recipeFile);
        Path dir = fromShards == null
                ? options.experiment(recipe).distillStudent()
                : options.experiment(recipe).distillStudentFromShards(fromShards, teacherLogits, shuffleBuffer);
        System.out.println("distilled student: " + dir.toAbsolutePath());
        return ExitCodes.OK;
    }
}
