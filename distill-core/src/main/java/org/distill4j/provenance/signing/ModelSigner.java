package org.distill4j.provenance.signing;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.io.AtomicFiles;

/**
 * Signs a model directory: hashes every file under it (recursively, hidden files included; the
 * signature file itself excluded; symbolic links and special files refused), wraps the {@linkplain
 * InTotoStatement statement} in a {@linkplain DsseEnvelope DSSE envelope} signed with an EC private
 * key, and writes the bundle atomically. Sign last: any file written afterwards shows up as added.
 */
public final class ModelSigner {

    /** The signature's default file name inside a model directory, as {@code model_signing} names it. */
    public static final String FILE_NAME = org.distill4j.provenance.Provenance.SIGNATURE_FILE_NAME;

    private ModelSigner() {}

    /**
     * What signing produced.
     *
     * @param signatureFile the file written
     * @param digests the files signed
     * @param keyHint the signer's key hint (SHA-256 of its public key PEM)
     * @param curve the key's curve
     */
    public record Signed(Path signatureFile, FileDigests digests, String keyHint, EcKeys.Curve curve) {}

    /** Signs {@code modelDir} into {@code modelDir/}{@value #FILE_NAME}. */
    public static Signed sign(Path modelDir, ECPrivateKey key) throws IOException {
        return sign(modelDir, key, modelDir.resolve(FILE_NAME));
    }

    /**
     * Signs {@code modelDir} into {@code signatureFile} (inside the directory it is excluded from
     * the hashing and recorded in {@code ignore_paths}, as {@code model_signing} does).
     *
     * @throws SignatureException naming every symbolic link or special file found
     */
    public static Signed sign(Path modelDir, ECPrivateKey key, Path signatureFile) throws IOException {
        EcKeys.Curve curve = EcKeys.curveOf(key, "private key");
        ECPublicKey pub = EcKeys.publicKeyOf(key);
        FileDigests digests = FileDigests.scan(modelDir, ignored(modelDir, signatureFile));
        if (!digests.refused().isEmpty()) {
            StringBuilder sb = new StringBuilder("cannot sign " + modelDir + ": it contains entries a signature cannot "
                    + "vouch for; replace links with the files themselves or remove them:");
            digests.refused()
                    .forEach(
                            (f, why) -> sb.append("\n  ").append(f).append(": ").append(why));
            throw new SignatureException(sb.toString());
        }
        String hint = EcKeys.keyHint(pub);
        byte[] payload = InTotoStatement.encode(digests);
        byte[] sig;
        try {
            sig = EcKeys.sign(key, curve, DsseEnvelope.pae(DsseEnvelope.IN_TOTO_PAYLOAD_TYPE, payload));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ECDSA signing failed", e);
        }
        DsseEnvelope envelope = new DsseEnvelope(
                DsseEnvelope.IN_TOTO_PAYLOAD_TYPE, payload, List.of(new DsseEnvelope.Sig(hint, sig)), hint);
        AtomicFiles.write(signatureFile, envelope.toBundleJson());
        return new Signed(signatureFile, digests, hint, curve);
    }

    /** The signature file's path relative to the model directory when it lies inside it; else nothing. */
    static List<String> ignored(Path modelDir, Path signatureFile) throws IOException {
        List<String> ignore = new ArrayList<>();
        Path dir = modelDir.toRealPath();
        Path parent = signatureFile.toAbsolutePath().getParent();
        if (parent != null && java.nio.file.Files.isDirectory(parent)) {
            Path sig = parent.toRealPath().resolve(signatureFile.getFileName());
            if (sig.startsWith(dir) && !sig.equals(dir)) {
                List<String> parts = new ArrayList<>();
                dir.relativize(sig).forEach(c -> parts.add(c.toString()));
                ignore.add(String.join("/", parts));
            }
        }
        return ignore;
    }
}
