package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.provenance.Provenance;
import org.distill4j.provenance.VerificationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code distill provenance show|verify MODEL_DIR}. */
@Command(name = "provenance", mixinStandardHelpOptions = true,
        description = "How a model was made (provenance.json next to it), and whether its files are unchanged.",
        subcommands = {ProvenanceCommand.Show.class, ProvenanceCommand.Verify.class})
final class ProvenanceCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    /** {@code distill provenance show MODEL_DIR}: prints the manifest. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a model's provenance manifest.")
    static final class Show implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by distill4j.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            Provenance.read(dir); // validates before printing
            System.out.print(Files.readString(dir.resolve(Provenance.FILE_NAME)));
            return ExitCodes.OK;
        }
    }

    /** {@code distill provenance verify MODEL_DIR}: recomputes the file hashes. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Recompute the SHA-256 of the model's files and report any that changed, went missing or "
                    + "were added since the manifest was written. Exit 0 when all match, 6 otherwise.")
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by distill4j.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            VerificationReport report = Provenance.verify(dir);
            System.out.println(report.describe());
            return report.ok() ? ExitCodes.OK : ExitCodes.TAMPERED;
        }
    }
}
