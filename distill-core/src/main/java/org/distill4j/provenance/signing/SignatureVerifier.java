package org.distill4j.provenance.signing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.provenance.signing.SignatureReport.Status;

/**
 * Verifies a model directory against its signature and a public key, the way {@code
 * model_signing}'s key-based verifier does: the bundle's media type and key hint, the ECDSA
 * signature over the PAE of the first DSSE signature, the statement's types and root digest; then
 * every file under the directory is hashed again (recursively, hidden files included, links
 * refused) and compared with what was signed. Paths the signer recorded in {@code ignore_paths}
 * (normally only the signature file) are left out, as the reference verifier does.
 */
public final class SignatureVerifier {

    private SignatureVerifier() {}

    /** Verifies {@code modelDir} against {@code modelDir/}{@value ModelSigner#FILE_NAME}. */
    public static SignatureReport verify(Path modelDir, ECPublicKey key) throws IOException {
        return verify(modelDir, key, modelDir.resolve(ModelSigner.FILE_NAME));
    }

    /**
     * Verifies {@code modelDir} against {@code signatureFile}.
     *
     * @return the outcome; {@link SignatureReport#ok()} only when the signature is genuine for
     *     {@code key} and every file matches it
     * @throws java.nio.file.NoSuchFileException if {@code modelDir} is not a directory
     */
    public static SignatureReport verify(Path modelDir, ECPublicKey key, Path signatureFile) throws IOException {
        if (!Files.isDirectory(modelDir)) {
            throw new java.nio.file.NoSuchFileException(modelDir.toString(), null, "not a model directory");
        }
        if (!Files.exists(signatureFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return SignatureReport.rejected(modelDir, signatureFile, Status.UNSIGNED, null);
        }
        FileDigests signed;
        try {
            signed = authenticate(signatureFile, key);
        } catch (SignatureException e) {
            return SignatureReport.rejected(modelDir, signatureFile, Status.BAD_SIGNATURE, e.getMessage());
        }
        Set<String> ignore = new LinkedHashSet<>(signed.ignorePaths());
        ignore.addAll(ModelSigner.ignored(modelDir, signatureFile));
        FileDigests now = FileDigests.scan(modelDir, ignore);
        List<String> changed = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> added = new ArrayList<>();
        for (Map.Entry<String, String> e : signed.files().entrySet()) {
            String actual = now.files().get(e.getKey());
            if (actual == null) {
                missing.add(e.getKey() + (now.refused().containsKey(e.getKey()) ? " (replaced by a link)" : ""));
            } else if (!actual.equals(e.getValue())) {
                changed.add(e.getKey() + " (signed sha256 " + e.getValue() + ", now " + actual + ")");
            }
        }
        now.files().keySet().stream()
                .filter(f -> !signed.files().containsKey(f))
                .forEach(added::add);
        List<String> refused = now.refused().entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue())
                .toList();
        Status status = changed.isEmpty() && missing.isEmpty() && added.isEmpty() && refused.isEmpty()
                ? Status.VERIFIED
                : Status.FILES_DIFFER;
        return new SignatureReport(
                modelDir, signatureFile, status, null, signed.files().size(), changed, missing, added, refused);
    }

    /**
     * Checks the signature file's authenticity and returns what it signed.
     *
     * @throws SignatureException naming the file and what is wrong when the bundle is malformed,
     *     names another key, or its signature does not verify with {@code key}
     */
    public static FileDigests authenticate(Path signatureFile, ECPublicKey key) throws IOException {
        if (!Files.isRegularFile(signatureFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new SignatureException(signatureFile + " is not a regular file");
        }
        if (Files.size(signatureFile) > DsseEnvelope.MAX_BYTES) {
            throw new SignatureException(signatureFile + " is " + Files.size(signatureFile) + " bytes, more than the "
                    + DsseEnvelope.MAX_BYTES + " a signature may have");
        }
        DsseEnvelope env = DsseEnvelope.parseBundle(Files.readAllBytes(signatureFile), signatureFile);
        String hint = EcKeys.keyHint(key);
        if (env.keyHint() != null && !env.keyHint().equals(hint)) {
            throw new SignatureException("it names another signing key (key hint " + env.keyHint()
                    + ", the given public key's is " + hint + ")");
        }
        if (!DsseEnvelope.IN_TOTO_PAYLOAD_TYPE.equals(env.payloadType())) {
            throw new SignatureException("payloadType is \"" + env.payloadType() + "\", expected \""
                    + DsseEnvelope.IN_TOTO_PAYLOAD_TYPE + "\"");
        }
        EcKeys.Curve curve = EcKeys.curveOf(key, "public key");
        // model_signing checks the first signature only; a second one is not looked at, so not trusted either.
        if (!EcKeys.verify(key, curve, env.pae(), env.signatures().get(0).sig())) {
            throw new SignatureException(
                    "the ECDSA signature (" + curve.signatureAlgorithm() + ") does not verify: the "
                            + "signature or the signed statement was altered, or another key signed it");
        }
        return InTotoStatement.decode(env.payload(), signatureFile);
    }
}
