package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.recipe.Recipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code distill train-teacher RECIPE}: only the teacher. */
@Command(
        name = "train-teacher",
        mixinStandardHelpOptions = true,
        description = "Train the recipe's teacher (teacher.source: train) into OUT/teacher.")
final class TrainTeacherCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "Recipe file (YAML).")
    Path recipeFile;

    @Mixin
    ExperimentOptions options;

    @Override
    public Integer call() throws Exception {
        Recipe recipe = options.load(recipeFile);
        if (!recipe.teacher().source().equals("train")) {
            throw new IllegalArgumentException("teacher.source is '"
                    + recipe.teacher().source() + "': there is nothing to train (set teacher.source: train)");
        }
        for (Path dir : options.experiment(recipe).trainTeachers()) {
            System.out.println("teacher: " + dir.toAbsolutePath());
        }
        return ExitCodes.OK;
    }
}
