package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.lm.train.LmDemo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distill lm-demo}: language-model distillation on the bundled Debian descriptions; {@code
 * distill demo --lm} is the same run.
 */
@Command(
        name = "lm-demo",
        mixinStandardHelpOptions = true,
        description = {
            "Train a small byte-level language model on the Debian package descriptions, then distil a",
            "smaller one from scratch, with full KL, top-5 KL and random-sampling KD; report bits per byte."
        })
final class LmDemoCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "About 300 KB of text, a 2x64 teacher and a 1x32 student: a few minutes.")
    boolean quick;

    @Option(
            names = "--data",
            description = "JSONL file with a \"text\" field (default: "
                    + "../shared/data/debian-descriptions/train.jsonl.gz).")
    Path data;

    @Option(
            names = "--bytes",
            description = "Bytes of documents to read (default: 300,000 quick, 2,000,000 otherwise).")
    Long bytes;

    @Option(names = "--steps", split = ",", description = "Teacher and student steps, e.g. --steps 300,200.")
    int[] steps;

    @Option(
            names = {"-o", "--out"},
            description = "Output directory (default: runs/lm-demo[-quick]).")
    Path out;

    @Override
    public Integer call() throws Exception {
        return runDemo(quick, data, out, bytes, steps);
    }

    /** The run behind {@code distill demo --lm}: the defaults of this command. */
    static int runDemo(boolean quick, Path data, Path out) throws Exception {
        return runDemo(quick, data, out, null, null);
    }

    private static int runDemo(boolean quick, Path data, Path out, Long bytes, int[] steps) throws Exception {
        Path corpus = data != null ? data : Path.of("../shared/data/debian-descriptions/train.jsonl.gz");
        if (!Files.isRegularFile(corpus)) {
            System.err.println(
                    "error: corpus " + corpus + " not found; pass --data FILE.jsonl[.gz] with a \"text\" field");
            return ExitCodes.USAGE;
        }
        LmDemo.Options o = quick ? LmDemo.Options.quick(corpus) : LmDemo.Options.standard(corpus);
        if (bytes != null) {
            o = o.withBytes(bytes);
        }
        if (steps != null) {
            if (steps.length != 2 || steps[0] < 1 || steps[1] < 1) {
                System.err.println(
                        "error: --steps takes two positive numbers, teacher and student steps, e.g. 300,200");
                return ExitCodes.USAGE;
            }
            o = o.withSteps(steps[0], steps[1]);
        }
        Path dir = out != null ? out : Path.of("runs", quick ? "lm-demo-quick" : "lm-demo");
        LmDemo.run(o, dir, System.out);
        System.out.println(
                "wrote " + dir.resolve("results.md") + ", " + dir.resolve("metrics.json") + " and the models");
        return ExitCodes.OK;
    }
}
