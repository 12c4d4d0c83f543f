package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.recipe.Recipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Override
    public Integer call() throws Exception {
        Recipe recipe = options.load(recipeFile);
        Path dir = options.experiment(recipe).distillStudent();
        System.out.println("distilled student: " + dir.toAbsolutePath());
        return ExitCodes.OK;
    }
}
