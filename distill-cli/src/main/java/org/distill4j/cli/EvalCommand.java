package org.distill4j.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.eval.PairedComparison;
import org.distill4j.eval.Predictions;
import org.distill4j.eval.ServingCost;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.SavedModelTeacher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code distill eval MODEL_DIR (--data DIR | --recipe FILE) [--split S] [--against MODEL_DIR]}:
 * metrics of one saved model on a split, and optionally whether it differs from another model on
 * those rows by more than the rows alone explain ({@link PairedComparison}); a language-model
 * recipe is handed to {@link LmEval}.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = {
            "Evaluate a saved model on the test split of an IDX data directory (--data), or on a split of a"
                    + " recipe's data (--recipe: images or texts, featurised as the recipe says); with --against,"
                    + " compare it with a second model on the same rows (McNemar's exact test, paired-bootstrap"
                    + " intervals of the accuracy and macro-F1 differences).",
            "With a language-model recipe (data.format: text): bits per byte of a saved language model on the"
                    + " recipe's validation, test or test_without_near_duplicate documents; with --against, the"
                    + " bits per byte it saves over a second model (paired bootstrap over documents, sign-flip"
                    + " test), and with --teacher the share of the second model's gap to the teacher it closes.",
            "Exit codes: 2 bad options, 3 missing or invalid data or model, 6 signature check failed (--verify-key)."
        })
final class EvalCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by distill4j.")
    Path modelDir;

    @picocli.CommandLine.ArgGroup(multiplicity = "1")
    Source source;

    /** Where the rows come from: exactly one of the two. */
    static final class Source {
        @Option(names = "--data", required = true, paramLabel = "DIR", description = "IDX data directory.")
        Path dataDir;

        @Option(
                names = "--recipe",
                required = true,
                paramLabel = "FILE",
                description = "A classifier recipe whose data (and text features) to evaluate on.")
        Path recipe;
    }

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "With --recipe: override a recipe value, as for run (repeatable).")
    java.util.List<String> overrides = new java.util.ArrayList<>();

    @Option(
            names = "--split",
            paramLabel = "SPLIT",
            description = "With --recipe: test (default) or validation; for a language model also"
                    + " test_without_near_duplicate.")
    String split = "test";

    @Option(
            names = "--against",
            paramLabel = "MODEL_DIR",
            description = "A second model: the differences (this model minus it) with their uncertainty.")
    Path againstDir;

    @Option(names = "--teacher", paramLabel = "DIR", description = "Teacher model directory, for agreement.")
    Path teacherDir;

    @Option(names = "--test-limit", paramLabel = "N", description = "Use only the first N test rows.")
    int testLimit;

    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description = "With a language-model recipe: where its streamed corpus or trained BPE is kept"
                    + " (default: a temporary directory, deleted after).")
    Path cacheDir;

    @picocli.CommandLine.Mixin
    SignatureOptions signature;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        signature.check(spec.commandLine(), modelDir);
        if (source.recipe == null && (!split.equals("test") || !overrides.isEmpty())) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--split and --set apply to --recipe; --data evaluates the test split");
        }
        if (source.recipe != null && org.distill4j.lm.experiment.LmRecipe.isLmRecipe(source.recipe)) {
            if (testLimit > 0) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(),
                        "--test-limit applies to classifiers; a language model is scored on every document of the"
                                + " split");
            }
            return LmEval.run(modelDir, source.recipe, overrides, split, againstDir, teacherDir, cacheDir, System.out);
        }
        if (cacheDir != null) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--cache-dir applies to language-model recipes");
        }
        Rows rows = source.recipe != null
                ? recipeRows()
                : new Rows(IdxDataset.load(source.dataDir).test(), null);
        ExampleSet test = rows.set();
        if (testLimit > 0 && testLimit < test.size()) {
            test = ExampleSets.slice(test, 0, testLimit);
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                SavedModel model = SavedModel.load(modelDir)) {
            requireFeatures(model, modelDir, rows.features());
            Predictions p = Predictions.of(model, test, manager, 512);
            ServingCost cost = ServingCost.measure(model::logits, test, manager, 200, 256);
            System.out.printf(Locale.ROOT, "model:            %s%n", model.describe());
            System.out.printf(Locale.ROOT, "rows:             %s split, %d rows%n", split, test.size());
            System.out.printf(
                    Locale.ROOT, "accuracy:         %.2f%% (%d errors)%n", 100 * p.accuracy(test), p.errors(test));
            System.out.printf(Locale.ROOT, "macro-F1:         %.2f%%%n", 100 * p.macroF1(test));
            System.out.printf(Locale.ROOT, "parameters:       %d%n", model.parameterCount());
            System.out.printf(
                    Locale.ROOT,
                    "latency (1 row):  p50 %.3f ms, p99 %.3f ms%n",
                    cost.latencyMsP50(),
                    cost.latencyMsP99());
            System.out.printf(
                    Locale.ROOT, "throughput:       %.0f rows/s at batch %d%n", cost.throughputPerS(), cost.batch());
            if (teacherDir != null) {
                try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir)) {
                    Predictions t = Predictions.of(teacher, test, manager, 512);
                    System.out.printf(Locale.ROOT, "agreement:        %.2f%% with the teacher%n", 100 * p.agreement(t));
                }
            }
            if (againstDir != null) {
                try (SavedModel other = SavedModel.load(againstDir)) {
                    requireFeatures(other, againstDir, rows.features());
                    compare(other, p, Predictions.of(other, test, manager, 512), test);
                }
            }
        }
        return ExitCodes.OK;
    }

    /** The rows to evaluate on and, for text, the features the model must have been trained with. */
    private record Rows(ExampleSet set, org.distill4j.data.TextFeatures features) {}

    private Rows recipeRows() throws Exception {
        org.distill4j.recipe.Recipe recipe = org.distill4j.recipe.RecipeLoader.load(source.recipe, overrides);
        org.distill4j.experiment.ExperimentData data = org.distill4j.experiment.ExperimentData.load(recipe);
        ExampleSet set = switch (split) {
            case "test" -> data.test();
            case "validation" -> {
                if (data.validation() == null) {
                    throw new IllegalArgumentException("--split validation: recipe " + source.recipe
                            + " has no validation rows " + "(data.validation_fraction is 0)");
                }
                yield data.validation();
            }
            default ->
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "illegal --split value: '" + split + "', allowed: [test, validation]");
        };
        return new Rows(set, data.textFeatures());
    }

    /** A model reads the rows only if it was trained on the same kind: the same text features, or none. */
    private static void requireFeatures(SavedModel model, Path dir, org.distill4j.data.TextFeatures features) {
        org.distill4j.data.TextFeatures own = model.descriptor().textFeatures();
        if (!java.util.Objects.equals(own, features)) {
            throw new IllegalArgumentException("model " + dir + " was trained on "
                    + (own == null ? "dense features" : "texts featurised as " + own) + ", but the rows are "
                    + (features == null ? "dense features" : "texts featurised as " + features)
                    + ": evaluate it with the recipe it was trained with");
        }
    }

    private void compare(SavedModel other, Predictions own, Predictions its, ExampleSet rows) {
        PairedComparison c = PairedComparison.of(own, its, rows);
        System.out.printf(Locale.ROOT, "against:          %s (%s)%n", againstDir, other.describe());
        System.out.printf(
                Locale.ROOT,
                "  its accuracy:   %.2f%%, macro-F1 %.2f%%%n",
                100 * its.accuracy(rows),
                100 * its.macroF1(rows));
        System.out.printf(
                Locale.ROOT,
                "  this minus it:  accuracy %+.2f points (95%% interval %+.2f to %+.2f), macro-F1 %+.2f points"
                        + " (%+.2f to %+.2f)%n",
                100 * c.accuracy().value(),
                100 * c.accuracy().low(),
                100 * c.accuracy().high(),
                100 * c.macroF1().value(),
                100 * c.macroF1().low(),
                100 * c.macroF1().high());
        System.out.printf(
                Locale.ROOT,
                "  McNemar exact:  p = %.3g (%d rows only this model gets right, %d only it)%n",
                c.mcnemarP(),
                c.onlyFirstRight(),
                c.onlySecondRight());
        System.out.printf(
                Locale.ROOT,
                "  intervals:      paired bootstrap, %d resamples of the %d rows: the choice of rows, not of"
                        + " training seeds%n",
                c.resamples(),
                c.rows());
    }
}
