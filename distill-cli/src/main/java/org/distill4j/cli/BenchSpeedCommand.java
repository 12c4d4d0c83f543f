package org.distill4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.bench.SpeedBenchmark;
import org.distill4j.bench.SpeedReport;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill bench speed}: what distillation costs, all figures from one run. */
@Command(
        name = "speed",
        mixinStandardHelpOptions = true,
        description = {
            "Epoch time of the student alone vs distilled (cached, online), the cost of cached distillation "
                    + "per step (alone and cached side by side in alternating blocks), throughput and GFLOP/s vs a "
                    + "large matmul, teacher vs student serving latency, RSS per epoch, and the same MLP step in "
                    + "PyTorch. Waits for a quiet machine first. Writes OUT/bench-speed.json and DOCS/benchmarks.md."
        })
final class BenchSpeedCommand implements Callable<Integer> {

    @Option(names = "--out", paramLabel = "DIR", description = "Working directory (default: runs/bench-speed).")
    Path out = Path.of("runs", "bench-speed");

    @Option(
            names = "--docs",
            paramLabel = "DIR",
            description = "Where benchmarks.md and the JSON copy go " + "(default: docs).")
    Path docs = Path.of("docs");

    @Option(
            names = "--recipe",
            paramLabel = "FILE",
            description = "Recipe (default: the bundled " + "bench-fashion-mnist.yaml).")
    Path recipeFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe value (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(
            names = "--teacher",
            paramLabel = "DIR",
            description = "Saved teacher (default: "
                    + "runs/bench-accuracy/teacher; a stand-in is trained when it is missing).")
    Path teacher = Path.of("runs", "bench-accuracy", "teacher");

    @Option(names = "--epochs", description = "Epochs timed for alone and cached (default 4).")
    int epochs = 4;

    @Option(names = "--online-epochs", description = "Epochs timed for online distillation (default 2).")
    int onlineEpochs = 2;

    @Option(names = "--python", paramLabel = "EXE", description = "Python with PyTorch (default /usr/bin/python3).")
    Path python = Path.of("/usr/bin/python3");

    @Option(
            names = "--torch-script",
            paramLabel = "FILE",
            description = "Reference script " + "(default bench/torch_mlp_step.py).")
    Path torchScript = Path.of("bench", "torch_mlp_step.py");

    @Option(names = "--max-load", description = "Wait while the 1-minute load is above this (default 1.0).")
    double maxLoad = 1.0;

    @Option(
            names = "--max-wait",
            paramLabel = "SECONDS",
            description = "Longest wait for a quiet machine " + "(default 600).")
    int maxWait = 600;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "PyTorch intra-op threads, for Java and the "
                    + "PyTorch reference alike (default: the launcher's, all cores).")
    Integer threads;

    @Option(
            names = "--rounds",
            description = "Rounds of (alone, cached, online), interleaved; medians over "
                    + "rounds with their range; as many rounds of the per-step comparison (default 3).")
    int rounds = 3;

    @Option(
            names = "--rss-epochs",
            description = "Epochs of the student alone whose VmRSS is recorded after each, "
                    + "to show memory flat (default 20, 0 to skip).")
    int rssEpochs = 20;

    @Override
    public Integer call() throws Exception {
        ExperimentOptions.applyThreads(threads);
        Recipe recipe = recipeFile == null
                ? RecipeLoader.parse(
                        BenchCommand.bundledRecipe("bench-fashion-mnist.yaml"),
                        "bundled bench-fashion-mnist.yaml",
                        Path.of("."),
                        overrides)
                : RecipeLoader.load(recipeFile, overrides);
        String command = "distill bench speed" + (threads == null ? "" : " --threads " + threads)
                + String.join("", overrides.stream().map(o -> " --set " + o).toList());
        SpeedReport report = new SpeedBenchmark(
                        new SpeedBenchmark.Settings(
                                recipe,
                                out,
                                docs,
                                teacher,
                                epochs,
                                onlineEpochs,
                                2048,
                                python,
                                torchScript,
                                maxLoad,
                                maxWait,
                                command,
                                rounds,
                                rssEpochs),
                        new ProgressReporter(false))
                .run();
        System.out.println();
        System.out.println(report.markdown());
        System.out.println("Results: " + docs.resolve("benchmarks.md").toAbsolutePath());
        return ExitCodes.OK;
    }
}
