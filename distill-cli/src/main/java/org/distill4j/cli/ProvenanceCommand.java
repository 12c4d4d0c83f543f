package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.provenance.Provenance;
import org.distill4j.provenance.VerificationReport;
import org.distill4j.provenance.signing.EcKeys;
import org.distill4j.provenance.signing.ModelSigner;
import org.distill4j.provenance.signing.SignatureReport;
import org.distill4j.provenance.signing.SignatureVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distill provenance show|verify|sign|keygen}. */
@Command(
        name = "provenance",
        mixinStandardHelpOptions = true,
        description = "How a model was made (provenance.json next to it), whether its files are unchanged, and "
                + "signatures over every file (model.sig, the OpenSSF model-signing format). See docs/signing.md.",
        subcommands = {
            ProvenanceCommand.Show.class,
            ProvenanceCommand.Verify.class,
            ProvenanceCommand.Sign.class,
            ProvenanceCommand.Keygen.class
        })
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

    /** {@code distill provenance verify MODEL_DIR [--key PUB.pem]}: recomputes the file hashes. */
    @Command(
            name = "verify",
            mixinStandardHelpOptions = true,
            description = {
                "Without --key: recompute the SHA-256 of the files provenance.json lists and report any "
                        + "that changed, went missing or were added (detects accidental change only).",
                "With --key: verify the signature (model.sig) with the signer's public key and every file under the "
                        + "directory, recursively, hidden files included; then provenance.json as above if present.",
                "Exit 0 when all match, 6 otherwise (also for an unsigned model with --key), 2 for an unusable key."
            })
    static final class Verify implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by distill4j.")
        Path dir;

        @Option(names = "--key", paramLabel = "PUB.pem", description = "The signer's EC public key (PEM).")
        Path key;

        @Option(
                names = "--signature",
                paramLabel = "FILE",
                description = "The signature file (default: MODEL_DIR/model.sig).")
        Path signature;

        @Override
        public Integer call() throws Exception {
            if (key == null) {
                if (signature != null) {
                    throw new picocli.CommandLine.ParameterException(
                            spec.commandLine(),
                            "--signature needs --key: a signature can only be checked with the signer's public key");
                }
                VerificationReport report = Provenance.verify(dir);
                System.out.println(report.describe());
                if (Files.exists(dir.resolve(ModelSigner.FILE_NAME))) {
                    System.out.println("note: " + dir.resolve(ModelSigner.FILE_NAME) + " exists; verify it with "
                            + "--key PUB.pem (the check above does not prove who wrote the files)");
                }
                return report.ok() ? ExitCodes.OK : ExitCodes.TAMPERED;
            }
            SignatureReport signed = SignatureVerifier.verify(
                    dir, EcKeys.readPublicKey(key), signature != null ? signature : dir.resolve(ModelSigner.FILE_NAME));
            System.out.println(signed.describe());
            boolean ok = signed.ok();
            if (ok && Files.exists(dir.resolve(Provenance.FILE_NAME))) {
                VerificationReport manifest = Provenance.verify(dir);
                System.out.println(manifest.describe());
                ok = manifest.ok();
            }
            return ok ? ExitCodes.OK : ExitCodes.TAMPERED;
        }
    }

    /** {@code distill provenance sign MODEL_DIR --key KEY.pem}: writes model.sig. */
    @Command(
            name = "sign",
            mixinStandardHelpOptions = true,
            description = {
                "Sign every file under MODEL_DIR (recursively, hidden files and sub-directories included; "
                        + "symbolic links refused) with an EC private key (P-256, P-384 or P-521, PKCS#8 PEM), writing an "
                        + "OpenSSF model-signing signature (Sigstore bundle with a DSSE-wrapped in-toto statement).",
                "Sign last: a file written afterwards fails verification. Exit 0 signed, 2 unusable key, 6 refused "
                        + "(links or special files in the directory)."
            })
    static final class Sign implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "The model directory to sign.")
        Path dir;

        @Option(
                names = "--key",
                required = true,
                paramLabel = "KEY.pem",
                description = "EC private key, unencrypted PKCS#8 PEM (openssl genpkey -algorithm EC ...).")
        Path key;

        @Option(
                names = "--signature",
                paramLabel = "FILE",
                description = "Where to write the signature (default: MODEL_DIR/model.sig).")
        Path signature;

        @Override
        public Integer call() throws Exception {
            if (!Files.isDirectory(dir)) {
                throw new java.nio.file.NoSuchFileException(dir.toString(), null, "not a model directory");
            }
            ModelSigner.Signed s = ModelSigner.sign(
                    dir,
                    EcKeys.readPrivateKey(key),
                    signature != null ? signature : dir.resolve(ModelSigner.FILE_NAME));
            System.out.println("signed " + s.digests().files().size() + " files of " + dir + " with a "
                    + s.curve().displayName() + " key (hint " + s.keyHint() + ")");
            System.out.println("signature: " + s.signatureFile());
            System.out.println("root digest: sha256:" + s.digests().rootDigest());
            return ExitCodes.OK;
        }
    }

    /** {@code distill provenance keygen --out-private KEY.pem --out-public PUB.pem}. */
    @Command(
            name = "keygen",
            mixinStandardHelpOptions = true,
            description = "Generate an EC signing key pair: the private key as PKCS#8 PEM (owner-only permissions), "
                    + "the public key as PEM. Keep the private key off the machines that serve models.")
    static final class Keygen implements Callable<Integer> {
        @Option(
                names = "--private",
                required = true,
                paramLabel = "KEY.pem",
                description = "Private key file to write.")
        Path privateKey;

        @Option(names = "--public", required = true, paramLabel = "PUB.pem", description = "Public key file to write.")
        Path publicKey;

        @Option(
                names = "--curve",
                paramLabel = "CURVE",
                defaultValue = "P-256",
                description = "P-256, P-384 or P-521 (default: ${DEFAULT-VALUE}).")
        String curve;

        @Override
        public Integer call() throws Exception {
            EcKeys.Curve c = EcKeys.Curve.parse(curve);
            EcKeys.generate(c, privateKey, publicKey);
            System.out.println(
                    "wrote " + c.displayName() + " private key " + privateKey + " and public key " + publicKey);
            return ExitCodes.OK;
        }
    }
}
