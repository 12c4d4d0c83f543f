package org.distill4j.provenance.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.distill4j.provenance.ModelCard;
import org.distill4j.provenance.ModelCardData;
import org.distill4j.provenance.Provenance;
import org.distill4j.provenance.ProvenanceManifest;
import org.distill4j.provenance.ProvenanceManifest.DatasetInfo;
import org.distill4j.provenance.ProvenanceManifest.DatasetRole;
import org.distill4j.provenance.ProvenanceManifest.ModelInfo;
import org.distill4j.provenance.ProvenanceManifest.SoftwareInfo;
import org.distill4j.provenance.ProvenanceManifest.TeacherInfo;
import org.distill4j.provenance.signing.SignatureReport.Status;
import org.distill4j.teacher.TeacherIdentity;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Signs a model directory written by the real provenance writers and tampers with it in every way
 * issue 14.8 lists; each must be refused with the file named, and the untampered model must verify.
 */
class ModelSigningTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    Path model;
    ECPrivateKey key;
    ECPublicKey pub;

    @BeforeEach
    void setUp() throws Exception {
        model = tmp.resolve("model");
        Files.createDirectories(model);
        writeModel(model, 1);
        EcKeys.generate(EcKeys.Curve.P256, tmp.resolve("key.pem"), tmp.resolve("pub.pem"));
        key = EcKeys.readPrivateKey(tmp.resolve("key.pem"));
        pub = EcKeys.readPublicKey(tmp.resolve("pub.pem"));
    }

    /** A model directory as distill4j saves it, plus a checkpoint sub-directory and a hidden file. */
    static void writeModel(Path dir, long seed) throws Exception {
        byte[] params = new byte[4096];
        new Random(seed).nextBytes(params);
        Files.write(dir.resolve("model-0000.params"), params);
        Files.writeString(dir.resolve("model.json"), "{\"format\":\"distill4j-model\",\"classes\":3}");
        Files.createDirectories(dir.resolve("checkpoints/epoch-2"));
        Files.write(dir.resolve("checkpoints/epoch-2/model-0002.params"), params);
        Files.writeString(dir.resolve(".hidden-config"), "x=1\n");
        Map<String, Object> terms = new LinkedHashMap<>();
        terms.put("outcome", "proceed");
        terms.put("verdict", "allowed");
        TeacherIdentity teacher = new TeacherIdentity("distill4j", "/models/teacher", "ab".repeat(32), "MLP 64-32-3");
        Map<String, Object> training = Map.of("epochs", 2, "distillation", Map.of("temperature", 2.0, "alpha", 0.5));
        ModelCard.write(
                dir,
                new ModelCardData(
                        "tiny",
                        "student_distilled",
                        "MLP 64-8-3",
                        null,
                        teacher,
                        terms,
                        Map.of(),
                        List.of("tiny/train"),
                        training,
                        seed,
                        "mit"));
        Provenance.write(
                dir,
                ProvenanceManifest.of(
                        new ModelInfo("student_distilled", "tiny", "MLP 64-8-3"),
                        TeacherInfo.of(teacher),
                        terms,
                        List.of(new DatasetInfo(DatasetRole.TRAIN, "tiny/train", "cd".repeat(32), 300)),
                        null,
                        training,
                        seed,
                        new SoftwareInfo("dev", "unknown", "java", "0.36.0", "2.7.1", "linux"),
                        Instant.parse("2026-12-01T00:00:00Z")));
    }

    @Test
    void untamperedModelVerifiesAndEveryFileIsSigned() throws Exception {
        ModelSigner.Signed signed = ModelSigner.sign(model, key);
        assertThat(signed.signatureFile()).isEqualTo(model.resolve("model.sig")).exists();
        assertThat(signed.digests().files().keySet())
                .containsExactly(
                        ".hidden-config",
                        "README.md",
                        "checkpoints/epoch-2/model-0002.params",
                        "model-0000.params",
                        "model.json",
                        "provenance.json");
        SignatureReport report = SignatureVerifier.verify(model, pub);
        assertThat(report.status()).as(report.describe()).isEqualTo(Status.VERIFIED);
        assertThat(report.signedFiles()).isEqualTo(6);
        assertThat(report.describe()).startsWith("OK:");
        // The unsigned manifest check still passes next to a signature (model.sig is not "unrecorded").
        assertThat(Provenance.verify(model).ok()).isTrue();
    }

    @Test
    void aChangedByteInTheParametersIsNamed() throws Exception {
        ModelSigner.sign(model, key);
        byte[] params = Files.readAllBytes(model.resolve("model-0000.params"));
        params[100] ^= 1;
        Files.write(model.resolve("model-0000.params"), params);
        assertDiffers(SignatureVerifier.verify(model, pub), "changed:  model-0000.params");
    }

    @Test
    void anEditedVerdictWithTheManifestUpdatedToMatchIsNamed() throws Exception {
        ModelSigner.sign(model, key);
        // The attacker edits the terms verdict and the seed, and also changes the params and fixes their recorded hash.
        ObjectNode prov =
                (ObjectNode) JSON.readTree(model.resolve("provenance.json").toFile());
        ((ObjectNode) prov.get("terms")).put("verdict", "prohibited-but-hidden");
        prov.put("seed", 7);
        byte[] params = Files.readAllBytes(model.resolve("model-0000.params"));
        params[0] ^= 1;
        Files.write(model.resolve("model-0000.params"), params);
        ((ObjectNode) prov.get("files"))
                .put("model-0000.params", org.distill4j.io.Hashing.sha256(model.resolve("model-0000.params")));
        Files.writeString(
                model.resolve("provenance.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(prov));
        assertThat(Provenance.verify(model).ok())
                .as("the unsigned manifest cannot see this")
                .isTrue();
        SignatureReport r = SignatureVerifier.verify(model, pub);
        assertDiffers(r, "changed:  provenance.json");
        assertThat(r.describe()).contains("changed:  model-0000.params");
    }

    @Test
    void anAddedHiddenFileIsNamed() throws Exception {
        ModelSigner.sign(model, key);
        Files.writeString(model.resolve(".pth-injection"), "import os\n");
        assertDiffers(SignatureVerifier.verify(model, pub), "added:    .pth-injection");
    }

    @Test
    void aNewFileInANewSubdirectoryIsNamed() throws Exception {
        ModelSigner.sign(model, key);
        Files.createDirectories(model.resolve("extra/deep"));
        Files.writeString(model.resolve("extra/deep/payload.bin"), "evil");
        Files.writeString(model.resolve("checkpoints/epoch-2/model-0003.params"), "evil");
        SignatureReport r = SignatureVerifier.verify(model, pub);
        assertDiffers(r, "added:    extra/deep/payload.bin");
        assertThat(r.added()).containsExactly("checkpoints/epoch-2/model-0003.params", "extra/deep/payload.bin");
    }

    @Test
    void aSymlinkIsRefusedWhenVerifyingAndWhenSigning() throws Exception {
        ModelSigner.sign(model, key);
        Files.writeString(tmp.resolve("outside.txt"), "secret");
        Files.createSymbolicLink(model.resolve("link.txt"), tmp.resolve("outside.txt"));
        assertDiffers(SignatureVerifier.verify(model, pub), "refused:  link.txt: symbolic link");
        // A signed file replaced by a link to identical content is refused too, not followed.
        Files.copy(model.resolve("model.json"), tmp.resolve("model.json.copy"));
        Files.delete(model.resolve("model.json"));
        Files.createSymbolicLink(model.resolve("model.json"), tmp.resolve("model.json.copy"));
        assertThat(SignatureVerifier.verify(model, pub).describe())
                .contains("missing:  model.json (replaced by a link)");
        assertThatThrownBy(() -> ModelSigner.sign(model, key))
                .isInstanceOf(SignatureException.class)
                .hasMessageContaining("link.txt")
                .hasMessageContaining("model.json");
    }

    @Test
    void aRemovedFileIsNamed() throws Exception {
        ModelSigner.sign(model, key);
        Files.delete(model.resolve("checkpoints/epoch-2/model-0002.params"));
        assertDiffers(SignatureVerifier.verify(model, pub), "missing:  checkpoints/epoch-2/model-0002.params");
    }

    @Test
    void aSignatureSwappedFromAnotherModelIsRefused() throws Exception {
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        writeModel(other, 2);
        ModelSigner.sign(other, key);
        ModelSigner.sign(model, key);
        Files.copy(
                other.resolve("model.sig"),
                model.resolve("model.sig"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        SignatureReport r = SignatureVerifier.verify(model, pub);
        // Genuine signature by the same key, but over other bytes: every differing file is named.
        assertDiffers(r, "changed:  model-0000.params");
        assertThat(r.describe()).contains("changed:  provenance.json", "changed:  README.md");
    }

    @Test
    void aWrongKeyIsRefused() throws Exception {
        ModelSigner.sign(model, key);
        EcKeys.generate(EcKeys.Curve.P256, tmp.resolve("k2.pem"), tmp.resolve("p2.pem"));
        SignatureReport r = SignatureVerifier.verify(model, EcKeys.readPublicKey(tmp.resolve("p2.pem")));
        assertThat(r.status()).isEqualTo(Status.BAD_SIGNATURE);
        assertThat(r.describe()).contains(model.resolve("model.sig").toString(), "another signing key");
    }

    @Test
    void aWrongKeyWithTheHintRemovedStillFailsOnTheSignature() throws Exception {
        ModelSigner.sign(model, key);
        ObjectNode bundle =
                (ObjectNode) JSON.readTree(model.resolve("model.sig").toFile());
        ((ObjectNode) bundle.get("verificationMaterial")).putObject("publicKey");
        Files.writeString(model.resolve("model.sig"), bundle.toString());
        EcKeys.generate(EcKeys.Curve.P256, tmp.resolve("k2.pem"), tmp.resolve("p2.pem"));
        SignatureReport r = SignatureVerifier.verify(model, EcKeys.readPublicKey(tmp.resolve("p2.pem")));
        assertThat(r.status()).isEqualTo(Status.BAD_SIGNATURE);
        assertThat(r.problem()).contains("does not verify");
        assertThat(SignatureVerifier.verify(model, pub).ok())
                .as("the hint is optional for the right key")
                .isTrue();
    }

    @Test
    void aStatementRewrittenToMatchTamperedFilesDoesNotVerify() throws Exception {
        ModelSigner.sign(model, key);
        Files.writeString(model.resolve("model.json"), "{\"format\":\"distill4j-model\",\"classes\":4}");
        // The attacker rewrites the signed statement to the new files but cannot re-sign it.
        byte[] forged = InTotoStatement.encode(FileDigests.scan(model, List.of("model.sig")));
        ObjectNode bundle =
                (ObjectNode) JSON.readTree(model.resolve("model.sig").toFile());
        ((ObjectNode) bundle.get("dsseEnvelope"))
                .put("payload", Base64.getEncoder().encodeToString(forged));
        Files.writeString(model.resolve("model.sig"), bundle.toString());
        SignatureReport r = SignatureVerifier.verify(model, pub);
        assertThat(r.status()).isEqualTo(Status.BAD_SIGNATURE);
        assertThat(r.problem()).contains("does not verify");
    }

    @Test
    void aTruncatedSignatureFileIsRefusedNamingIt() throws Exception {
        ModelSigner.sign(model, key);
        byte[] b = Files.readAllBytes(model.resolve("model.sig"));
        Files.write(model.resolve("model.sig"), java.util.Arrays.copyOf(b, b.length / 2));
        SignatureReport r = SignatureVerifier.verify(model, pub);
        assertThat(r.status()).isEqualTo(Status.BAD_SIGNATURE);
        assertThat(r.problem()).contains("model.sig", "not valid JSON");
    }

    @Test
    void anUnsignedModelIsReportedAndRefusedOnlyWhenRequired() throws Exception {
        assertThat(SignatureVerifier.verify(model, pub).status()).isEqualTo(Status.UNSIGNED);
        assertThat(new SignaturePolicy(tmp.resolve("pub.pem"), false).check(model))
                .get()
                .extracting(SignatureReport::status)
                .isEqualTo(Status.UNSIGNED);
        assertThatThrownBy(() -> new SignaturePolicy(tmp.resolve("pub.pem"), true).check(model))
                .isInstanceOf(SignatureException.class)
                .hasMessageContaining("UNSIGNED")
                .hasMessageContaining("model.sig");
        assertThat(SignaturePolicy.none().check(model)).isEmpty();
        assertThatThrownBy(() -> new SignaturePolicy(null, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--verify-key");
    }

    @Test
    void thePolicyRefusesATamperedModelNamingTheFile() throws Exception {
        ModelSigner.sign(model, key);
        SignaturePolicy policy = new SignaturePolicy(tmp.resolve("pub.pem"), true);
        assertThat(policy.check(model)).get().extracting(SignatureReport::ok).isEqualTo(true);
        Files.writeString(model.resolve("model.json"), "{}");
        assertThatThrownBy(() -> policy.check(model))
                .isInstanceOf(SignatureException.class)
                .hasMessageContaining("changed:  model.json")
                .hasMessageContaining("refusing to load it");
    }

    @ParameterizedTest
    @EnumSource(EcKeys.Curve.class)
    void everyCurveSignsAndVerifies(EcKeys.Curve curve) throws Exception {
        Path k = tmp.resolve(curve + ".pem");
        Path p = tmp.resolve(curve + ".pub.pem");
        EcKeys.generate(curve, k, p);
        ModelSigner.Signed s = ModelSigner.sign(model, EcKeys.readPrivateKey(k));
        assertThat(s.curve()).isEqualTo(curve);
        assertThat(s.keyHint()).isEqualTo(org.distill4j.io.Hashing.sha256(Files.readString(p)));
        assertThat(SignatureVerifier.verify(model, EcKeys.readPublicKey(p)).ok())
                .isTrue();
        assertThat(SignatureVerifier.verify(model, pub).ok()).as("another key").isFalse();
    }

    @Test
    void theSignatureIsTheReferenceBundleLayout() throws Exception {
        ModelSigner.sign(model, key);
        var bundle = JSON.readTree(model.resolve("model.sig").toFile());
        assertThat(bundle.get("mediaType").asText()).isEqualTo("application/vnd.dev.sigstore.bundle.v0.3+json");
        assertThat(bundle.at("/verificationMaterial/publicKey/hint").asText()).isEqualTo(EcKeys.keyHint(pub));
        assertThat(bundle.at("/verificationMaterial/tlogEntries").isArray()).isTrue();
        var env = bundle.get("dsseEnvelope");
        assertThat(env.get("payloadType").asText()).isEqualTo("application/vnd.in-toto+json");
        var st = JSON.readTree(Base64.getDecoder().decode(env.get("payload").asText()));
        assertThat(st.get("_type").asText()).isEqualTo("https://in-toto.io/Statement/v1");
        assertThat(st.get("predicateType").asText()).isEqualTo("https://model_signing/signature/v1.0");
        assertThat(st.at("/subject/0/name").asText()).isEqualTo("model");
        assertThat(st.at("/predicate/serialization/method").asText()).isEqualTo("files");
        assertThat(st.at("/predicate/serialization/allow_symlinks").asBoolean(true))
                .isFalse();
        assertThat(st.at("/predicate/serialization/ignore_paths").toString()).isEqualTo("[\"model.sig\"]");
        assertThat(st.at("/predicate/resources/0/name").asText()).isEqualTo(".hidden-config");
        // Root digest: SHA-256 over the raw resource digests in order.
        var md = org.distill4j.io.Hashing.sha256();
        st.at("/predicate/resources")
                .forEach(r -> md.update(
                        java.util.HexFormat.of().parseHex(r.get("digest").asText())));
        assertThat(st.at("/subject/0/digest/sha256").asText())
                .isEqualTo(java.util.HexFormat.of().formatHex(md.digest()));
    }

    @Test
    void pathsAreOrderedComponentByComponentAsModelSigningOrdersThem() {
        // String order would put "a-b/c" before "a/c" ('-' < '/'); PurePosixPath order compares "a" with "a-b" first.
        List<String> paths = new java.util.ArrayList<>(List.of("a-b/c", "a/c", "a.txt", "B", "a/b/z"));
        paths.sort(FileDigests.PATH_ORDER);
        assertThat(paths).containsExactly("B", "a/b/z", "a/c", "a-b/c", "a.txt");
    }

    static void assertDiffers(SignatureReport r, String line) {
        assertThat(r.status()).as(r.describe()).isEqualTo(Status.FILES_DIFFER);
        assertThat(r.ok()).isFalse();
        assertThat(r.describe()).contains(line);
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
