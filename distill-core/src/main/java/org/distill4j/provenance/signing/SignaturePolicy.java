package org.distill4j.provenance.signing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a loader ({@code distill serve}, {@code distill eval}, an application) does before it
 * trusts a model directory: with a public key configured, the model must verify against its
 * signature; with {@code requireSigned}, an unsigned model is refused too. Without a key nothing
 * is checked. Call it before loading anything from the directory.
 *
 * @param publicKey the signer's public key PEM, or {@code null} for no check
 * @param requireSigned refuse a model without a signature (needs {@code publicKey})
 */
public record SignaturePolicy(Path publicKey, boolean requireSigned) {

    /** Requires a key when {@code requireSigned}, since a signature cannot be checked without one. */
    public SignaturePolicy {
        if (requireSigned && publicKey == null) {
            throw new IllegalArgumentException("requiring a signed model needs the signer's public key "
                    + "(--verify-key PUB.pem): without it any signature would be accepted");
        }
    }

    /** No check: every model is loaded as it is. */
    public static SignaturePolicy none() {
        return new SignaturePolicy(null, false);
    }

    /**
     * Checks {@code modelDir} under this policy.
     *
     * @return the report when a key is configured (an {@link SignatureReport.Status#UNSIGNED}
     *     report when the model is unsigned and unsigned models are allowed: the caller should
     *     warn); empty when no key is configured
     * @throws SignatureException naming the model, the signature and every differing file when
     *     the model fails verification, or is unsigned while a signature is required
     * @throws KeyFileException when the key file cannot be used
     */
    public Optional<SignatureReport> check(Path modelDir) throws IOException {
        if (publicKey == null) {
            return Optional.empty();
        }
        if (!Files.isDirectory(modelDir)) {
            throw new SignatureException(modelDir + ": only model directories can be verified against a signature "
                    + "(sign the directory with distill provenance sign)");
        }
        SignatureReport report = SignatureVerifier.verify(modelDir, EcKeys.readPublicKey(publicKey));
        if (report.status() == SignatureReport.Status.UNSIGNED && !requireSigned) {
            return Optional.of(report);
        }
        if (!report.ok()) {
            String hint = report.status() == SignatureReport.Status.UNSIGNED
                    ? "\n  refusing an unsigned model (--require-signed); sign it with: distill provenance sign "
                            + modelDir + " --key KEY.pem"
                    : "\n  refusing to load it; verified with " + publicKey;
            throw new SignatureException(report.describe() + hint);
        }
        return Optional.of(report);
    }
}
