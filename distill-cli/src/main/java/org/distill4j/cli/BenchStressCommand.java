package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.distill4j.bench.StressHarness;
import org.distill4j.bench.StressHarness.Collector;
import org.distill4j.bench.StressHarness.GcPressure;
import org.distill4j.bench.StressHarness.Mode;
import org.distill4j.io.AtomicFiles;
import org.distill4j.model.ConvolutionCheck;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.OneDnnIsa;
import org.distill4j.model.SavedModel;
import org.distill4j.server.BatcherStress;
import org.distill4j.server.ServedSavedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill bench stress}: are repeated runs bit-identical at a fixed thread count? */
@Command(
        name = "stress",
        mixinStandardHelpOptions = true,
        description = {
            "Repeats short trainings in child JVMs per thread count, collector, distillation mode and GC "
                    + "pressure and compares every run's results bit for bit within a thread count; then loads the "
                    + "dynamic batcher from many threads and compares each row with a single-row forward pass. "
                    + "Exit code 0 only when everything agreed. Writes OUT/bench-stress.md."
        })
final class BenchStressCommand implements Callable<Integer> {

    @Option(names = "--runs", description = "Trainings per setting (default 30).")
    int runs = 30;

    @Option(
            names = "--threads",
            split = ",",
            paramLabel = "N[,N]",
            description = "PyTorch intra-op thread counts, one child JVM each (default 1,2).")
    List<Integer> threads = List.of(1, 2);

    @Option(
            names = "--modes",
            split = ",",
            paramLabel = "MODE[,MODE]",
            description = "scratch, cached, online, cnn (default: all four).")
    List<String> modes = List.of("scratch", "cached", "online", "cnn");

    @Option(
            names = "--collectors",
            split = ",",
            paramLabel = "C[,C]",
            description = "serial (64 MB heap, "
                    + "-XX:+UseSerialGC, collections forced by a hammer thread) and/or default (default: both).")
    List<String> collectors = List.of("serial", "default");

    @Option(
            names = "--gc-steps",
            description = "Also call System.gc() after every step in the default-collector "
                    + "children (slow with a large heap).")
    boolean gcSteps;

    @Option(names = "--probe-runs", description = "Runs of the DJL scalar-lifetime probe (default 20, 0 to skip).")
    int probeRuns = 20;

    @Option(
            names = "--convolution-check",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Check convolutions (logits and gradient) against a float64 reference for padded and "
                    + "unpadded channel counts (docs/engine.md); --no-convolution-check skips it.")
    boolean convolutionCheck = true;

    @Option(
            names = "--batcher-clients",
            description = "Client threads of the batcher load test (default 8, 0 " + "to skip it).")
    int batcherClients = 8;

    @Option(names = "--batcher-requests", description = "Single-row requests per client (default 100).")
    int batcherRequests = 100;

    @Option(
            names = "--child-timeout",
            paramLabel = "SECONDS",
            description = "Longest a child JVM may run " + "(default 3600).")
    long childTimeout = 3600;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Where bench-stress.md goes (default runs/bench-stress).")
    Path out = Path.of("runs", "bench-stress");

    @Override
    public Integer call() throws Exception {
        List<StressHarness.Setting> settings = new ArrayList<>();
        for (int t : threads) {
            for (String m : modes) {
                Mode mode = parseMode(m);
                for (String c : collectors) {
                    switch (c) {
                        case "serial" ->
                            settings.add(
                                    new StressHarness.Setting(t, Collector.SERIAL_SMALL_HEAP, mode, GcPressure.HAMMER));
                        case "default" ->
                            settings.add(new StressHarness.Setting(
                                    t, Collector.DEFAULT, mode, gcSteps ? GcPressure.STEPS : GcPressure.NONE));
                        default ->
                            throw new IllegalArgumentException(
                                    "illegal collector value: '" + c + "', allowed: [serial, default]");
                    }
                }
            }
        }
        StressHarness.Report report = new StressHarness(childTimeout)
                .run(settings, runs, probeRuns, line -> System.err.println("stress: " + line));
        StringBuilder md = new StringBuilder("# distill bench stress\n\n")
                .append(runs)
                .append(" runs per setting; each run trains a teacher and a student on 384 synthetic "
                        + "rows, or in mode cnn a CNN alone on 384 synthetic images (see StressHarness).\n\n")
                .append(report.markdown())
                .append('\n');
        boolean ok = report.reproducible();
        if (convolutionCheck) {
            ok &= appendConvolutionCheck(md);
        }
        if (batcherClients > 0) {
            md.append("\n## Dynamic batcher\n\n");
            Path tmp = Files.createTempDirectory("distill-stress-batcher-");
            try {
                Path dir = tmp.resolve("model");
                try (SavedModel m = SavedModel.create(
                        new MlpSpec(List.of(64), null, 0), new long[] {24}, List.of("a", "b", "c", "d", "e"))) {
                    m.model()
                            .getBlock()
                            .initialize(
                                    m.model().getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, m.inputShape(1));
                    m.save(dir);
                }
                float[] rows = new float[256 * 24];
                java.util.Random rng = new java.util.Random(3);
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = (float) rng.nextGaussian();
                }
                try (ServedSavedModel model = ServedSavedModel.load("stress", dir)) {
                    for (int maxBatch : new int[] {1, 32}) {
                        BatcherStress.Result r =
                                BatcherStress.run(model, rows, 256, batcherClients, batcherRequests, maxBatch);
                        System.err.println("stress: batcher " + r.describe());
                        md.append("- ").append(r.describe()).append('\n');
                        ok &= r.ok();
                    }
                }
            } finally {
                try (var s = Files.walk(tmp)) {
                    for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
        Files.createDirectories(out);
        AtomicFiles.writeString(out.resolve("bench-stress.md"), md.toString());
        System.out.println(md);
        System.out.println(ok ? "stress: every run agreed" : "stress: DIFFERENCES FOUND (see above)");
        return ok ? ExitCodes.OK : ExitCodes.SOFTWARE;
    }

    /** Runs {@link ConvolutionCheck} on its shapes, appends a table; returns whether all were right. */
    private static boolean appendConvolutionCheck(StringBuilder md) {
        List<ConvolutionCheck.Result> results = new ArrayList<>();
        for (List<Integer> channels : ConvolutionCheck.SHAPES) {
            ConvolutionCheck.Result r = ConvolutionCheck.check(channels);
            System.err.printf(
                    Locale.ROOT,
                    "stress: convolution %s: relative error logits %.2e, gradient %.2e%n",
                    channels,
                    r.logitsError(),
                    r.gradientError());
            results.add(r);
        }
        return appendConvolutionTable(md, OneDnnIsa.cap(), results);
    }

    /** Appends the table of {@code results} under {@code cap}; returns whether all were right. */
    static boolean appendConvolutionTable(StringBuilder md, String cap, List<ConvolutionCheck.Result> results) {
        md.append("\n## Convolutions (" + OneDnnIsa.ENV + "=" + cap + ")\n\n")
                .append("A small CNN's logits and its first convolution's weight gradient, float32 against a "
                        + "float64 reference (oneDNN has no float64 convolution; docs/engine.md); relative "
                        + "errors.\n\n")
                .append("| channels | logits | gradient | verdict |\n| --- | ---: | ---: | --- |\n");
        boolean allRight = true;
        for (ConvolutionCheck.Result r : results) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %.2e | %.2e | %s |%n",
                    r.channels(),
                    r.logitsError(),
                    r.gradientError(),
                    r.right() ? "right" : "WRONG"));
            allRight &= r.right();
        }
        if (!allRight) {
            md.append("\nThis process computes wrong convolutions for the shapes marked WRONG. Use channel "
                            + "counts that are multiples of ")
                    .append(OneDnnIsa.CHANNEL_MULTIPLE)
                    .append(", or set ")
                    .append(OneDnnIsa.ENV)
                    .append('=')
                    .append(OneDnnIsa.SAFE)
                    .append(" before the JVM starts (about 2x slower for convolution training).\n");
        }
        return allRight;
    }

    private static Mode parseMode(String m) {
        return switch (m) {
            case "scratch" -> Mode.SCRATCH;
            case "cached" -> Mode.CACHED;
            case "online" -> Mode.ONLINE;
            case "cnn" -> Mode.CNN;
            default ->
                throw new IllegalArgumentException(
                        "illegal mode value: '" + m + "', allowed: [scratch, cached, online, cnn]");
        };
    }
}
