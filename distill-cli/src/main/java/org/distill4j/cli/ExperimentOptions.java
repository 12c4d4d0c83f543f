package org.distill4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.experiment.Experiment;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeException;
import org.distill4j.recipe.RecipeLoader;
import picocli.CommandLine.Option;

/** Options shared by the commands that run (part of) an experiment. */
final class ExperimentOptions {

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/<recipe name>).")
    Path out;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Override a recipe value, e.g. --set student.training.epochs=3 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "Continue interrupted trainings from their last checkpoint.")
    boolean resume;

    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description = "Teacher-output cache (default: $DISTILL4J_CACHE or ~/.cache/distill4j).")
    Path cacheDir;

    @Option(names = "--no-progress", description = "Log a line per epoch instead of drawing progress bars.")
    boolean noProgress;

    @Option(
            names = "--permission",
            paramLabel = "REFERENCE",
            description = "Record a permission to distil a teacher whose terms prohibit it (e.g. \"licence "
                    + "agreement ACME-2026-17\"); it goes into the student's provenance and model card.")
    String permission;

    @Option(
            names = "--acknowledge-unknown-terms",
            description = "Proceed with a teacher whose terms are not declared (teacher.terms), taking "
                    + "responsibility for them; recorded in the provenance.")
    boolean acknowledgeUnknownTerms;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "PyTorch intra-op threads (default 1: bitwise reproducible; more is faster for CNNs "
                    + "but not reproducible to the last bit).")
    Integer threads;

    @Option(
            names = "--max-model-memory",
            paramLabel = "SIZE",
            description = "Largest model (parameters, optimiser state, activations) to allocate, e.g. 16g "
                    + "(default: the memory available now). A model estimated larger is refused before training.")
    String maxModelMemory;

    /** Sets the model-size limit when {@code --max-model-memory} is given (validated here, by name). */
    static void applyMaxModelMemory(String size) {
        if (size != null) {
            long bytes = org.distill4j.model.MemoryEstimate.parseSize(size, "--max-model-memory");
            System.setProperty(org.distill4j.model.MemoryEstimate.LIMIT_PROPERTY, Long.toString(bytes));
        }
    }

    /** Sets PyTorch's intra-op thread count when {@code threads} is given (before the engine starts). */
    static void applyThreads(Integer threads) {
        if (threads != null) {
            if (threads < 1) {
                throw new IllegalArgumentException("illegal --threads value: " + threads + ", must be >= 1");
            }
            // Read by DJL when the engine starts, which happens later, on first use.
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
    }

    Recipe load(Path recipe) throws RecipeException, IOException {
        return RecipeLoader.load(recipe, overrides);
    }

    Path outFor(Recipe recipe) {
        return out != null ? out : Path.of("runs", recipe.name());
    }

    Experiment experiment(Recipe recipe) {
        applyThreads(threads);
        applyMaxModelMemory(maxModelMemory);
        Path cache = cacheDir != null ? cacheDir : Experiment.Options.defaultCacheDir();
        return new Experiment(
                recipe,
                outFor(recipe),
                new Experiment.Options(cache, resume, permission, acknowledgeUnknownTerms),
                new ProgressReporter(!noProgress && System.console() != null));
    }
}
