package org.distill4j.provenance.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.distill4j.provenance.signing.SignatureReport.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks distill4j's signatures against implementations other than its own, in both directions:
 * the reference {@code model_signing} v1.1.0's own signed test vector is verified by distill4j's
 * verifier; distill4j's signatures are verified by OpenSSL ({@code openssl dgst -verify} over the
 * PAE) and by an independent Python verifier written from the format ({@code
 * tools/signing/verify_model_signature.py}, on Python's {@code cryptography}, which the reference
 * uses). The external tools are skipped, not faked, where they are not installed.
 */
class InteroperabilityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** Copies the reference test vector (see src/test/resources/model-signing/README.md) to a temp dir. */
    private Path referenceModel() throws IOException {
        Path dir = tmp.resolve("v1.1.0-elliptic-key");
        Files.createDirectories(dir);
        for (String f : List.of("model.sig", "signme-1", "signme-2", "ignore-me")) {
            try (InputStream in = getClass().getResourceAsStream("/model-signing/v1.1.0-elliptic-key/" + f)) {
                Files.copy(in, dir.resolve(f));
            }
        }
        try (InputStream in = getClass().getResourceAsStream("/model-signing/signing-key-pub.pem")) {
            Files.copy(in, tmp.resolve("signing-key-pub.pem"));
        }
        return dir;
    }

    @Test
    void distill4jVerifiesASignatureMadeByTheReferenceImplementation() throws Exception {
        Path dir = referenceModel();
        ECPublicKey pub = EcKeys.readPublicKey(tmp.resolve("signing-key-pub.pem"));
        assertThat(EcKeys.curveOf(pub, "ref")).isEqualTo(EcKeys.Curve.P384);
        // The key hint the reference recorded is the SHA-256 of the PEM distill4j writes for the same key.
        assertThat(EcKeys.keyHint(pub)).isEqualTo("e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");
        SignatureReport r = SignatureVerifier.verify(dir, pub);
        assertThat(r.status()).as(r.describe()).isEqualTo(Status.VERIFIED);
        assertThat(r.signedFiles()).isEqualTo(2);
        // ignore-me is in the reference's signed ignore_paths; a real change is still caught.
        Files.writeString(dir.resolve("ignore-me"), "anything");
        assertThat(SignatureVerifier.verify(dir, pub).ok()).isTrue();
        Files.writeString(dir.resolve("signme-1"), "signme-X\n");
        assertThat(SignatureVerifier.verify(dir, pub).describe()).contains("changed:  signme-1");
    }

    @Test
    void openSslVerifiesTheEcdsaSignatureOverThePae() throws Exception {
        assumeThat(canRun("openssl", "version")).as("openssl on PATH").isTrue();
        for (EcKeys.Curve curve : EcKeys.Curve.values()) {
            Path model = Files.createDirectories(tmp.resolve("m-" + curve));
            ModelSigningTest.writeModel(model, 3);
            Path key = tmp.resolve(curve + ".pem");
            Path pub = tmp.resolve(curve + ".pub.pem");
            EcKeys.generate(curve, key, pub);
            ModelSigner.sign(model, EcKeys.readPrivateKey(key));
            var env = JSON.readTree(model.resolve("model.sig").toFile()).get("dsseEnvelope");
            byte[] payload = Base64.getDecoder().decode(env.get("payload").asText());
            Path pae =
                    Files.write(tmp.resolve(curve + ".pae"), DsseEnvelope.pae("application/vnd.in-toto+json", payload));
            Path sig = Files.write(
                    tmp.resolve(curve + ".der"),
                    Base64.getDecoder().decode(env.at("/signatures/0/sig").asText()));
            String digest = switch (curve) {
                case P256 -> "-sha256";
                case P384 -> "-sha384";
                case P521 -> "-sha512";
            };
            Result ok = run(
                    "openssl", "dgst", digest, "-verify", pub.toString(), "-signature", sig.toString(), pae.toString());
            assertThat(ok.out()).as(curve + ": " + ok.out()).contains("Verified OK");
            Files.write(
                    pae,
                    DsseEnvelope.pae(
                            "application/vnd.in-toto+json",
                            (new String(payload, StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8)));
            Result bad = run(
                    "openssl", "dgst", digest, "-verify", pub.toString(), "-signature", sig.toString(), pae.toString());
            assertThat(bad.code()).as("a changed payload must not verify").isNotZero();
        }
    }

    @Test
    void aKeyMadeByOpenSslSignsAndItsHintMatchesOpenSslsPublicKeyPem() throws Exception {
        assumeThat(canRun("openssl", "version")).as("openssl on PATH").isTrue();
        Path key = tmp.resolve("ossl.pem");
        Path pub = tmp.resolve("ossl.pub.pem");
        assertThat(run(
                                "openssl",
                                "genpkey",
                                "-algorithm",
                                "EC",
                                "-pkeyopt",
                                "ec_paramgen_curve:P-384",
                                "-out",
                                key.toString())
                        .code())
                .isZero();
        assertThat(run("openssl", "pkey", "-in", key.toString(), "-pubout", "-out", pub.toString())
                        .code())
                .isZero();
        Path model = Files.createDirectories(tmp.resolve("m"));
        ModelSigningTest.writeModel(model, 4);
        ModelSigner.Signed s = ModelSigner.sign(model, EcKeys.readPrivateKey(key));
        // Derived public key (Q = dG) equals OpenSSL's, byte for byte in PEM.
        assertThat(s.keyHint()).isEqualTo(org.distill4j.io.Hashing.sha256(Files.readString(pub)));
        assertThat(SignatureVerifier.verify(model, EcKeys.readPublicKey(pub)).ok())
                .isTrue();
    }

    @Test
    void anIndependentPythonVerifierAcceptsDistill4jSignaturesAndRejectsTampering() throws Exception {
        Path tool = Path.of("..", "tools", "signing", "verify_model_signature.py")
                .toAbsolutePath()
                .normalize();
        assumeThat(Files.isRegularFile(tool)).as(tool + " present").isTrue();
        assumeThat(canRun("python3", "-c", "import cryptography"))
                .as("python3 with cryptography")
                .isTrue();
        Path model = Files.createDirectories(tmp.resolve("m"));
        ModelSigningTest.writeModel(model, 5);
        EcKeys.generate(EcKeys.Curve.P256, tmp.resolve("k.pem"), tmp.resolve("p.pem"));
        ModelSigner.sign(model, EcKeys.readPrivateKey(tmp.resolve("k.pem")));
        Result ok = run(
                "python3",
                tool.toString(),
                model.toString(),
                model.resolve("model.sig").toString(),
                tmp.resolve("p.pem").toString());
        assertThat(ok.code()).as(ok.out()).isZero();
        assertThat(ok.out()).contains("verified 6 files");
        Files.writeString(model.resolve(".added"), "x");
        Result bad = run(
                "python3",
                tool.toString(),
                model.toString(),
                model.resolve("model.sig").toString(),
                tmp.resolve("p.pem").toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.out()).contains("files differ", ".added");
        // The same tool accepts the reference implementation's own vector: it checks what the reference checks.
        Path ref = referenceModel();
        Result refOk = run(
                "python3",
                tool.toString(),
                ref.toString(),
                ref.resolve("model.sig").toString(),
                tmp.resolve("signing-key-pub.pem").toString());
        assertThat(refOk.code()).as(refOk.out()).isZero();
    }

    record Result(int code, String out) {}

    static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        return new Result(p.exitValue(), out);
    }

    static boolean canRun(String... cmd) {
        try {
            return run(cmd).code() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
