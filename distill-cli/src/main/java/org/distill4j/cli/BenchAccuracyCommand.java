package org.distill4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.bench.AccuracyBenchmark;
import org.distill4j.bench.AccuracyReport;
import org.distill4j.experiment.Experiment;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill bench accuracy}: scratch vs distilled students, seeds, T sweep, transfer sets, sizes. */
@Command(
        name = "accuracy",
        mixinStandardHelpOptions = true,
        description = {
            "Hinton-style Table 1 on Fashion-MNIST: teacher, student from scratch and distilled "
                    + "(several seeds), T and alpha chosen on validation, transfer without labels and without a class, "
                    + "student-size sweep. Writes OUT/bench-accuracy.json and DOCS/benchmarks.md with charts."
        })
final class BenchAccuracyCommand implements Callable<Integer> {

    /** Overrides that make the benchmark quick (about a minute): a slice of the data, few epochs. */
    static final List<String> QUICK = List.of(
            "data.train_limit=3000",
            "data.test_limit=1000",
            "teacher.training.epochs=2",
            "teacher.training.learning_rate=0.002",
            "teacher.training.augment.shift=0",
            "student.training.epochs=3");

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description =
                    "Working directory (default: runs/bench-accuracy, " + "runs/bench-accuracy-quick with --quick).")
    Path out;

    @Option(
            names = "--docs",
            paramLabel = "DIR",
            description =
                    "Where benchmarks.md, the charts and the JSON copy go " + "(default: docs; OUT with --quick).")
    Path docs;

    @Option(
            names = "--recipe",
            paramLabel = "FILE",
            description = "Recipe (default: the bundled " + "bench-fashion-mnist.yaml).")
    Path recipeFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe value (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(
            names = "--quick",
            description = "A 3,000-row slice, 2 teacher and 3 student epochs, 2 seeds, "
                    + "T in {1, 4}: checks the pipeline in about a minute, proves nothing.")
    boolean quick;

    @Option(names = "--seeds", split = ",", paramLabel = "S", description = "Seeds (default 1,2,3).")
    List<Long> seeds;

    @Option(names = "--temperatures", split = ",", paramLabel = "T", description = "T sweep (default 1,2,4,8,20).")
    List<Double> temperatures;

    @Option(
            names = "--alphas",
            split = ",",
            paramLabel = "A",
            description = "Alphas tried at the best T " + "(default 0.5,0.9,1; the recipe's alpha is always tried).")
    List<Double> alphas;

    @Option(
            names = "--widths",
            split = ",",
            paramLabel = "W",
            description = "Hidden widths of the size sweep " + "(default 8,16,32,64,100).")
    List<Integer> widths;

    @Option(
            names = "--cnn-students",
            description = "Add the small CNN students (CNN [8,16], CNN [16,32], "
                    + "separable CNN [16,32,64]) to the size sweep.")
    boolean cnnStudents;

    @Option(names = "--no-size-sweep", description = "Skip the student-size sweep (MLP widths and CNN students).")
    boolean noSizeSweep;

    @Option(names = "--omit-class", paramLabel = "C", description = "Class left out of the transfer set (default 3).")
    int omitClass = 3;

    @Option(names = "--no-transfer", description = "Skip the two transfer-set rows (for exploring settings).")
    boolean noTransfer;

    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description = "Teacher-output cache " + "(default: $DISTILL4J_CACHE or ~/.cache/distill4j).")
    Path cacheDir;

    @Option(names = "--threads", paramLabel = "N", description = "PyTorch intra-op threads (default 1).")
    Integer threads;

    @Option(names = "--no-progress", description = "Log a line per epoch instead of progress bars.")
    boolean noProgress;

    @Option(
            names = "--acknowledge-unknown-terms",
            description = "Distil from a teacher whose recipe declares no terms (e.g. one trained here on data under "
                    + "many licences); recorded as by distill run.")
    boolean acknowledgeUnknownTerms;

    @Option(
            names = "--redraw-labels",
            description = "Under data.labelled_share, each seed's students draw their own labelled rows (seed: the "
                    + "recipe's plus the student's), so the spread over seeds includes the draw; the sweeps keep "
                    + "the recipe's draw.")
    boolean redrawLabels;

    @Override
    public Integer call() throws Exception {
        ExperimentOptions.applyThreads(threads);
        List<String> all = new ArrayList<>(quick ? QUICK : List.of());
        all.addAll(overrides);
        Recipe recipe = recipeFile == null
                ? RecipeLoader.parse(
                        BenchCommand.bundledRecipe("bench-fashion-mnist.yaml"),
                        "bundled bench-fashion-mnist.yaml",
                        Path.of("."),
                        all)
                : RecipeLoader.load(recipeFile, all);
        Path outDir = out != null ? out : Path.of("runs", quick ? "bench-accuracy-quick" : "bench-accuracy");
        Path docsDir = docs != null ? docs : quick ? outDir : Path.of("docs");
        AccuracyBenchmark.Settings settings = new AccuracyBenchmark.Settings(
                recipe,
                outDir,
                docsDir,
                cacheDir != null ? cacheDir : Experiment.Options.defaultCacheDir(),
                seeds != null ? seeds : quick ? List.of(1L, 2L) : List.of(1L, 2L, 3L),
                temperatures != null ? temperatures : quick ? List.of(1.0, 4.0) : List.of(1.0, 2.0, 4.0, 8.0, 20.0),
                alphas != null ? alphas : quick ? List.of(0.5) : List.of(0.5, 0.9, 1.0),
                noSizeSweep
                        ? List.of()
                        : widths != null ? widths : quick ? List.of(8, 16) : List.of(8, 16, 32, 64, 100),
                omitClass,
                !noTransfer,
                commandLine(),
                cnnStudents && !noSizeSweep ? AccuracyBenchmark.CNN_STUDENTS : java.util.List.of(),
                acknowledgeUnknownTerms,
                redrawLabels);
        AccuracyReport report =
                new AccuracyBenchmark(settings, new ProgressReporter(!noProgress && System.console() != null)).run();
        System.out.println();
        System.out.println(report.markdown());
        System.out.println("Results: " + docsDir.resolve("benchmarks.md").toAbsolutePath());
        return ExitCodes.OK;
    }

    private String commandLine() {
        StringBuilder b = new StringBuilder("distill bench accuracy");
        if (quick) {
            b.append(" --quick");
        }
        if (threads != null) {
            b.append(" --threads ").append(threads);
        }
        if (recipeFile != null) {
            b.append(" --recipe ").append(recipeFile);
        }
        appendList(b, "--seeds", seeds);
        appendList(b, "--temperatures", temperatures);
        appendList(b, "--alphas", alphas);
        appendList(b, "--widths", widths);
        if (cnnStudents) {
            b.append(" --cnn-students");
        }
        if (noTransfer) {
            b.append(" --no-transfer");
        }
        if (noSizeSweep) {
            b.append(" --no-size-sweep");
        }
        if (acknowledgeUnknownTerms) {
            b.append(" --acknowledge-unknown-terms");
        }
        if (redrawLabels) {
            b.append(" --redraw-labels");
        }
        for (String o : overrides) {
            b.append(" --set ").append(o);
        }
        return b.toString();
    }

    private static void appendList(StringBuilder b, String option, List<?> values) {
        if (values != null) {
            b.append(' ').append(option).append(' ');
            // 4.0 prints as 4, as the user would type it.
            b.append(String.join(
                    ",",
                    values.stream()
                            .map(v -> v instanceof Double d && d == Math.rint(d)
                                    ? Long.toString(d.longValue())
                                    : v.toString())
                            .toList()));
        }
    }
}
