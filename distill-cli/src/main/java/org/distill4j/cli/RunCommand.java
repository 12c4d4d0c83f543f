package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.experiment.Experiment;
import org.distill4j.recipe.Recipe;
import org.distill4j.report.ExperimentResults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code distill run RECIPE}: the whole experiment. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Run a whole experiment: train (or load) the teacher, cache its outputs, train the student "
                    + "from scratch and with distillation, evaluate all three, write metrics.json, results.md and "
                    + "report.html."
        })
final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "Recipe file (YAML).")
    Path recipeFile;

    @Mixin
    ExperimentOptions options;

    @Override
    public Integer call() throws Exception {
        if (org.distill4j.lm.experiment.LmRecipe.isLmRecipe(recipeFile)) { // data.format: text
            return LmRun.run(recipeFile, options);
        }
        Recipe recipe = options.load(recipeFile);
        return runAndPrint(options.experiment(recipe), options.outFor(recipe));
    }

    static int runAndPrint(Experiment experiment, Path out) throws Exception {
        ExperimentResults results = experiment.run();
        System.out.println();
        System.out.print(java.nio.file.Files.readString(out.resolve("results.md")));
        System.out.println();
        System.out.println("Report: " + out.resolve("report.html").toAbsolutePath());
        return results.models().isEmpty() ? ExitCodes.SOFTWARE : ExitCodes.OK;
    }
}
