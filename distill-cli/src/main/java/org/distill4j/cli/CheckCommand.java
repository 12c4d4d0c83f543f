package org.distill4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.distill4j.experiment.DataCheck;
import org.distill4j.experiment.Experiment;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.experiment.ExperimentListener;
import org.distill4j.io.AtomicFiles;
import org.distill4j.lm.experiment.LmExperiment;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.terms.GateDecision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distill check RECIPE}: the recipe, the teacher's terms and the data, before a run. */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = {
            "Check a recipe before running it: parse it, ask the licence gate about the teacher's terms, read"
                    + " the data and say what it holds (rows per split and class, held-out rows identical to"
                    + " a training row or with a near duplicate in training), with warnings where a run's numbers"
                    + " would mislead. Trains nothing; a streamed language-model corpus is packed into the cache"
                    + " the run reuses.",
            "Exit codes: 0 the run would start, 2 a bad recipe, 3 missing or bad data, 5 the terms refuse,"
                    + " 8 warnings with --strict."
        })
final class CheckCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "Recipe file (YAML).")
    Path recipeFile;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Override a recipe value, as for run (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description = "Cache directory, as for run (a streamed language-model corpus is packed there).")
    Path cacheDir;

    @Option(names = "--permission", paramLabel = "REFERENCE", description = "As for run: a recorded permission.")
    String permission;

    @Option(names = "--acknowledge-unknown-terms", description = "As for run: proceed with undeclared terms.")
    boolean acknowledgeUnknownTerms;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write every count as JSON (atomically).")
    Path json;

    @Option(names = "--strict", description = "Exit with code 8 when there is any warning.")
    boolean strict;

    @Option(
            names = "--max-identical-share",
            paramLabel = "SHARE",
            description = "Warn when more than this share of a held-out split is identical to training rows"
                    + " (default: ${DEFAULT-VALUE}).")
    double maxIdenticalShare = DataCheck.IDENTICAL_WARNING_SHARE;

    @Option(
            names = "--max-near-duplicate-share",
            paramLabel = "SHARE",
            description = "Warn when more than this share of the test rows (or documents) has a near duplicate in"
                    + " training (default: ${DEFAULT-VALUE}).")
    double maxNearDuplicateShare = DataCheck.NEAR_DUPLICATE_WARNING_SHARE;

    @Option(
            names = "--max-class-ratio",
            paramLabel = "RATIO",
            description = "Warn when the largest training class has more than this many times the rows of the"
                    + " smallest (default: ${DEFAULT-VALUE}).")
    double maxClassRatio = DataCheck.IMBALANCE_WARNING_RATIO;

    @Override
    public Integer call() throws Exception {
        DataCheck.Thresholds thresholds =
                new DataCheck.Thresholds(maxIdenticalShare, maxNearDuplicateShare, maxClassRatio);
        String name;
        GateDecision terms;
        DataCheck check;
        if (LmRecipe.isLmRecipe(recipeFile)) { // data.format: text
            LmRecipe recipe = LmRecipe.load(recipeFile, overrides);
            LmExperiment lm = new LmExperiment(
                    recipe,
                    Path.of("runs", recipe.name()),
                    new LmExperiment.Options(cacheDir, permission, acknowledgeUnknownTerms),
                    System.out);
            name = recipe.name();
            terms = lm.checkTerms();
            System.out.println("terms: " + terms.reason());
            check = lm.checkData(thresholds);
        } else {
            Recipe recipe = RecipeLoader.load(recipeFile, overrides);
            name = recipe.name();
            Experiment experiment = new Experiment(
                    recipe,
                    Path.of("runs", recipe.name()),
                    new Experiment.Options(
                            cacheDir != null ? cacheDir : Experiment.Options.defaultCacheDir(),
                            false,
                            permission,
                            acknowledgeUnknownTerms),
                    new ExperimentListener() {
                        @Override
                        public void info(String message) {
                            System.out.println(message);
                        }
                    });
            terms = experiment.checkTerms();
            ExperimentData data = ExperimentData.load(recipe);
            check = DataCheck.of(data, data.heldOutOverlap(), thresholds);
        }
        check.summary().forEach(line -> System.out.println("data: " + line));
        check.warnings().forEach(w -> System.out.println("warning: " + w));
        if (json != null) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("recipe", name);
            out.put("terms", terms.toMap());
            out.put("data", check.facts());
            out.put("warnings", check.warnings());
            out.put("thresholds", thresholds.toMap());
            AtomicFiles.writeString(
                    json,
                    new ObjectMapper()
                                    .enable(SerializationFeature.INDENT_OUTPUT)
                                    .writeValueAsString(out) + "\n");
        }
        System.out.printf(
                "%s: `distill run %s` would start (%d warning%s)%n",
                name, recipeFile, check.warnings().size(), check.warnings().size() == 1 ? "" : "s");
        return strict && !check.warnings().isEmpty() ? ExitCodes.CHECK_WARNINGS : ExitCodes.OK;
    }
}
