package org.distill4j.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.distill4j.train.ShutdownBarrier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code distill} command: knowledge distillation from the command line. Each subcommand is a
 * thin shell over distill-core: parse, call the library, print.
 */
@Command(
        name = "distill",
        mixinStandardHelpOptions = true,
        versionProvider = Versions.class,
        description = "Knowledge distillation on the JVM: train a small student from a large teacher.",
        subcommands = {
            RunCommand.class,
            CheckCommand.class,
            DemoCommand.class,
            TrainTeacherCommand.class,
            DistillStepCommand.class,
            ShardsCommand.class,
            EvalCommand.class,
            ExportCommand.class,
            TermsCommand.class,
            ProvenanceCommand.class,
            BenchCommand.class,
            LabelCommand.class,
            ServeCommand.class,
            LmDemoCommand.class,
            TokenizerCommand.class,
            AuditCommand.class,
            CommandLine.HelpCommand.class
        })
public final class DistillCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        // A stopped process (Ctrl-C, SIGTERM) must not tear libtorch down under a training step.
        ShutdownBarrier.install(
                SHUTDOWN_WAIT,
                System.err,
                "distill: stopping after the training step in progress (at most " + SHUTDOWN_WAIT.toSeconds()
                        + " s); checkpoints already written are kept: the same command with --resume continues");
        System.exit(execute(args));
    }

    /** Longest wait, at exit, for a training step in progress. */
    static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(30);

    /** Runs the command line and returns its exit code (for tests and embedding). */
    public static int execute(String... args) {
        // Reproducible by default (see the launcher); --threads or -D overrides.
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        CommandLine cl = new CommandLine(new DistillCommand());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl.execute(args);
    }
}
