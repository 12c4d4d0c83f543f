package org.distill4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.distill4j.experiment.Experiment;
import org.distill4j.recipe.Recipe;
import org.distill4j.terms.Condition;
import org.distill4j.terms.GateDecision;
import org.distill4j.terms.TermsEntry;
import org.distill4j.terms.TermsRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distill terms list|show|check}: the registry of teachers' terms and the gate's verdict. */
@Command(
        name = "terms",
        mixinStandardHelpOptions = true,
        description = {
            "Teachers' declared terms on training from their outputs, as read on a date, with the "
                    + "clause and its source. Not legal advice."
        },
        subcommands = {TermsCommand.ListTerms.class, TermsCommand.Show.class, TermsCommand.Check.class})
final class TermsCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    static TermsRegistry registry(List<Path> files) {
        return files.isEmpty() ? TermsRegistry.builtIn() : TermsRegistry.load(files);
    }

    /** {@code distill terms list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the registry's entries.")
    static final class ListTerms implements Callable<Integer> {
        @Option(names = "--terms-file", paramLabel = "FILE", description = "Also load this user terms file.")
        List<Path> files = new ArrayList<>();

        @Override
        public Integer call() {
            TermsRegistry registry = registry(files);
            System.out.printf(Locale.ROOT, "%-24s %-12s %-10s %s%n", "ID", "OUTPUTS", "READ ON", "NAME");
            for (TermsEntry e : registry.entries()) {
                System.out.printf(
                        Locale.ROOT,
                        "%-24s %-12s %-10s %s%n",
                        e.id(),
                        e.outputsForTraining().yamlValue(),
                        e.readOn(),
                        e.name());
            }
            System.out.println();
            System.out.println("Declared terms as read on the date shown; not legal advice. `distill terms show ID` "
                    + "quotes the clause and its source.");
            return ExitCodes.OK;
        }
    }

    /** {@code distill terms show ID}. */
    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "Show one entry: verdict, conditions, " + "the clause quoted and its source.")
    static final class Show implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID", description = "Entry id, e.g. llama-3.1.")
        String id;

        @Option(names = "--terms-file", paramLabel = "FILE", description = "Also load this user terms file.")
        List<Path> files = new ArrayList<>();

        @Override
        public Integer call() {
            TermsRegistry registry = registry(files);
            TermsEntry e = registry.get(id);
            System.out.println(e.name() + " (" + e.id() + ")");
            System.out.println("outputs for training: " + e.outputsForTraining().yamlValue());
            for (Condition c : e.conditions()) {
                System.out.println("  condition: " + c.describe() + (c.machineEnforceable() ? " [enforced]" : ""));
            }
            System.out.println("clause: \"" + e.clause().strip() + "\"");
            System.out.println("source: " + e.source() + " (read on " + e.readOn() + ")");
            System.out.println("entry from: " + registry.originOf(e.id()).describe());
            if (e.notes() != null && !e.notes().isBlank()) {
                System.out.println("notes: " + e.notes().strip());
            }
            return ExitCodes.OK;
        }
    }

    /** {@code distill terms check RECIPE}. */
    @Command(
            name = "check",
            mixinStandardHelpOptions = true,
            description = "Say what the gate decides for a recipe's teacher and student, without training. "
                    + "Exit 0 when it would proceed, 5 when it refuses.")
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "RECIPE", description = "Recipe file (YAML).")
        Path recipeFile;

        @Mixin
        ExperimentOptions options;

        @Override
        public Integer call() throws Exception {
            Recipe recipe = options.load(recipeFile);
            Experiment experiment = options.experiment(recipe);
            GateDecision d = experiment.evaluateTerms();
            System.out.println("teacher terms: "
                    + (recipe.teacher().terms() == null
                            ? "(not declared)"
                            : recipe.teacher().terms()));
            System.out.println("student name:  " + recipe.student().name());
            System.out.println("decision:      " + d.outcome());
            System.out.println(d.reason());
            return d.proceeds() ? ExitCodes.OK : ExitCodes.REFUSED;
        }
    }
}
