package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.lm.experiment.LmExperiment;
import org.distill4j.lm.experiment.LmRecipe;

/** {@code distill run} for a language-model recipe ({@code data.format: text}), and {@code distill demo --lm}. */
final class LmRun {

    private LmRun() {}

    /** Runs {@code recipe} with the shared experiment options; prints {@code results.md}. */
    static int run(LmRecipe recipe, ExperimentOptions options) throws Exception {
        ExperimentOptions.applyThreads(options.threads);
        Path out = options.out != null ? options.out : Path.of("runs", recipe.name());
        new LmExperiment(
                        recipe,
                        out,
                        new LmExperiment.Options(
                                options.cacheDir, options.permission, options.acknowledgeUnknownTerms, options.resume),
                        System.out)
                .run();
        System.out.println();
        System.out.print(Files.readString(out.resolve("results.md")));
        System.out.println();
        System.out.println("Report: " + out.resolve("report.html").toAbsolutePath());
        return ExitCodes.OK;
    }

    /** Loads a recipe file with the options' overrides and runs it. */
    static int run(Path recipeFile, ExperimentOptions options) throws Exception {
        return run(LmRecipe.load(recipeFile, options.overrides), options);
    }

    /** Runs a bundled recipe (a classpath resource), its relative paths resolving against {@code baseDir}. */
    static int runBundled(String resource, Path baseDir, ExperimentOptions options) throws Exception {
        String yaml;
        try (var in = LmRun.class.getResourceAsStream(resource)) {
            yaml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        return run(LmRecipe.parse(yaml, "bundled " + resource, baseDir, options.overrides), options);
    }
}
