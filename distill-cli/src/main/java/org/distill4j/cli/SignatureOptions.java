package org.distill4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.distill4j.provenance.signing.SignaturePolicy;
import org.distill4j.provenance.signing.SignatureReport;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --verify-key} and {@code --require-signed}, shared by the commands that load a model
 * ({@code serve}, {@code eval}): verify the model directory's signature before loading it.
 */
final class SignatureOptions {

    @Option(
            names = "--verify-key",
            paramLabel = "PUB.pem",
            description = "Verify the model directory against its signature (model.sig, see 'distill provenance sign') "
                    + "with this EC public key before loading it; refuse it (exit 6) if any file differs or the "
                    + "signature is not this key's. An unsigned model only gets a warning unless --require-signed.")
    Path verifyKey;

    @Option(names = "--require-signed", description = "Refuse a model without a valid signature (needs --verify-key).")
    boolean requireSigned;

    /**
     * Checks {@code modelDir} under these options, printing the outcome to stderr.
     *
     * @throws org.distill4j.provenance.signing.SignatureException when the model must not be loaded
     */
    void check(CommandLine cl, Path modelDir) throws IOException {
        SignaturePolicy policy;
        try {
            policy = new SignaturePolicy(verifyKey, requireSigned);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--require-signed: " + e.getMessage());
        }
        policy.check(modelDir)
                .ifPresent(r -> System.err.println("distill: "
                        + (r.status() == SignatureReport.Status.UNSIGNED
                                ? "warning: " + r.describe() + "; loading it anyway (add --require-signed to refuse)"
                                : "signature " + r.describe())));
    }
}
