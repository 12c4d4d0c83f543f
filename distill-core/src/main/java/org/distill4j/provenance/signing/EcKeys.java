package org.distill4j.provenance.signing;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECField;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.distill4j.io.Hashing;

/**
 * Elliptic-curve keys for model signing, in the forms {@code model_signing} and OpenSSL use: a
 * PKCS#8 PEM private key ({@code -----BEGIN PRIVATE KEY-----}) and an X.509 SubjectPublicKeyInfo
 * PEM public key ({@code -----BEGIN PUBLIC KEY-----}). Only the curves the specification allows
 * are accepted: P-256, P-384 and P-521, signed with SHA-256, SHA-384 and SHA-512 respectively
 * (the pairing {@code model_signing}'s key-based verifier uses), DER-encoded.
 */
public final class EcKeys {

    /** The curves accepted, by standard name, with their JDK names and signature algorithms. */
    public enum Curve {
        /** NIST P-256 (secp256r1, prime256v1), signed with SHA-256. */
        P256("P-256", "secp256r1", "SHA256withECDSA"),
        /** NIST P-384 (secp384r1), signed with SHA-384. */
        P384("P-384", "secp384r1", "SHA384withECDSA"),
        /** NIST P-521 (secp521r1), signed with SHA-512. */
        P521("P-521", "secp521r1", "SHA512withECDSA");

        private final String displayName;
        private final String jdkName;
        private final String signatureAlgorithm;

        Curve(String displayName, String jdkName, String signatureAlgorithm) {
            this.displayName = displayName;
            this.jdkName = jdkName;
            this.signatureAlgorithm = signatureAlgorithm;
        }

        /** E.g. {@code P-256}. */
        public String displayName() {
            return displayName;
        }

        /** The JDK signature algorithm, e.g. {@code SHA256withECDSA} (DER signatures). */
        public String signatureAlgorithm() {
            return signatureAlgorithm;
        }

        /** Parses {@code P-256}, {@code p256}, {@code secp256r1} or {@code prime256v1} and the like. */
        public static Curve parse(String name) {
            String n = name.toLowerCase(Locale.ROOT).replace("-", "");
            for (Curve c : values()) {
                if (n.equals(c.displayName.toLowerCase(Locale.ROOT).replace("-", ""))
                        || n.equals(c.jdkName)
                        || (c == P256 && n.equals("prime256v1"))) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown curve \"" + name + "\": expected P-256, P-384 or P-521");
        }

        ECParameterSpec params() {
            try {
                AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
                p.init(new ECGenParameterSpec(jdkName));
                return p.getParameterSpec(ECParameterSpec.class);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK does not support " + displayName, e);
            }
        }
    }

    private static final String PRIVATE = "PRIVATE KEY";
    private static final String PUBLIC = "PUBLIC KEY";
    // Far larger than any EC key PEM; a bigger file is not a key.
    private static final long MAX_KEY_FILE_BYTES = 64 * 1024;

    private EcKeys() {}

    /**
     * Reads a PKCS#8 PEM EC private key; any text around the PEM block is ignored.
     *
     * @throws KeyFileException naming the file when it is missing, encrypted, in the SEC1 ({@code
     *     EC PRIVATE KEY}) form, a public key, not EC, or on an unsupported curve
     */
    public static ECPrivateKey readPrivateKey(Path pem) throws IOException {
        String text = readKeyFile(pem);
        if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new KeyFileException(pem + " is an encrypted private key; distill4j reads unencrypted PKCS#8 only. "
                    + "Decrypt a copy for signing with: openssl pkcs8 -in " + pem + " -out key.pem");
        }
        if (text.contains("-----BEGIN EC PRIVATE KEY-----")) {
            throw new KeyFileException(pem + " is a SEC1 'EC PRIVATE KEY'; distill4j reads PKCS#8 ('PRIVATE KEY'). "
                    + "Convert it with: openssl pkcs8 -topk8 -nocrypt -in " + pem + " -out key.pem");
        }
        if (text.contains("-----BEGIN " + PUBLIC + "-----")) {
            throw new KeyFileException(pem + " is a public key; signing needs the private key (PKCS#8 PEM)");
        }
        byte[] der = pemBlock(pem, text, PRIVATE);
        try {
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
            ECPrivateKey ec = (ECPrivateKey) key;
            curveOf(ec, pem);
            return ec;
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new KeyFileException(
                    pem + " is not an elliptic-curve private key in PKCS#8 ("
                            + e.getMessage()
                            + "); make one with: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
                            + "-out key.pem",
                    e);
        }
    }

    /**
     * Reads an X.509 SubjectPublicKeyInfo PEM EC public key; any text around the PEM block (as
     * {@code certtool} writes) is ignored.
     *
     * @throws KeyFileException naming the file when it is missing, a private key, not EC, or on
     *     an unsupported curve
     */
    public static ECPublicKey readPublicKey(Path pem) throws IOException {
        String text = readKeyFile(pem);
        if (text.contains("PRIVATE KEY-----")) {
            throw new KeyFileException(
                    pem + " is a private key; verification needs the public key "
                            + "(openssl pkey -in KEY.pem -pubout -out pub.pem), and the private key should not be handed around");
        }
        byte[] der = pemBlock(pem, text, PUBLIC);
        try {
            PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
            ECPublicKey ec = (ECPublicKey) key;
            curveOf(ec, pem);
            return ec;
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new KeyFileException(pem + " is not an elliptic-curve public key (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Returns the curve of a key.
     *
     * @param source the key's file, for the message
     * @throws KeyFileException when the curve is not P-256, P-384 or P-521
     */
    public static Curve curveOf(ECKey key, Object source) throws KeyFileException {
        ECParameterSpec p = key.getParams();
        for (Curve c : Curve.values()) {
            if (sameCurve(p, c.params())) {
                return c;
            }
        }
        throw new KeyFileException(source + ": unsupported elliptic curve ("
                + p.getCurve().getField().getFieldSize()
                + "-bit field); model signing accepts P-256, P-384 and P-521 only");
    }

    /**
     * Derives the public key of a private key (Q = d·G). Used at signing time so that the
     * signature's key hint and a self-check need no second key file. The arithmetic is not
     * constant-time; it runs once per signing, on the signer's own machine.
     */
    public static ECPublicKey publicKeyOf(ECPrivateKey key) throws KeyFileException {
        ECParameterSpec p = key.getParams();
        ECField field = p.getCurve().getField();
        if (!(field instanceof ECFieldFp fp)) {
            throw new KeyFileException("only prime-field curves are supported");
        }
        ECPoint q = multiply(p.getGenerator(), key.getS(), p.getCurve().getA(), fp.getP());
        try {
            ECPublicKey pub = (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(q, p));
            // A wrong derivation would produce signatures nobody can verify; prove it on a throwaway message.
            byte[] probe = "distill4j key self-check".getBytes(StandardCharsets.UTF_8);
            Curve c = curveOf(key, "private key");
            if (!verify(pub, c, probe, sign(key, c, probe))) {
                throw new IllegalStateException("derived public key does not verify the private key's signature");
            }
            return pub;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the public key", e);
        }
    }

    /** Signs {@code data} with the curve's algorithm; returns the DER-encoded ECDSA signature. */
    static byte[] sign(ECPrivateKey key, Curve curve, byte[] data) throws GeneralSecurityException {
        Signature s = Signature.getInstance(curve.signatureAlgorithm());
        s.initSign(key, new SecureRandom());
        s.update(data);
        return s.sign();
    }

    /** Verifies a DER-encoded ECDSA signature; false (not an exception) for a malformed one. */
    static boolean verify(ECPublicKey key, Curve curve, byte[] data, byte[] der) {
        try {
            Signature s = Signature.getInstance(curve.signatureAlgorithm());
            s.initVerify(key);
            s.update(data);
            return s.verify(der);
        } catch (java.security.SignatureException e) {
            return false; // not DER, or not a signature for this curve
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ECDSA is required of every Java runtime", e);
        }
    }

    /**
     * The public key as PEM, exactly as OpenSSL and Python's {@code cryptography} write it
     * (SubjectPublicKeyInfo, 64-character base64 lines, a final newline). Its SHA-256 is the key
     * hint {@code model_signing} records.
     */
    public static String publicKeyPem(ECPublicKey key) {
        return pem(PUBLIC, key.getEncoded());
    }

    /** The {@code model_signing} key hint: lower-case hex SHA-256 of {@link #publicKeyPem}. */
    public static String keyHint(ECPublicKey key) {
        return Hashing.sha256(publicKeyPem(key));
    }

    /**
     * Generates a key pair and writes {@code privateKey} (PKCS#8 PEM, owner-only permissions where
     * the file system has them) and {@code publicKey} (SubjectPublicKeyInfo PEM). Refuses to
     * overwrite either file.
     *
     * @return the generated pair
     */
    public static KeyPair generate(Curve curve, Path privateKey, Path publicKey) throws IOException {
        for (Path p : List.of(privateKey, publicKey)) {
            if (Files.exists(p)) {
                throw new FileAlreadyExistsException(p.toString(), null, "will not overwrite a key file");
            }
        }
        KeyPair pair;
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve.jdkName), new SecureRandom());
            pair = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate a " + curve.displayName + " key", e);
        }
        writePrivate(privateKey, pem(PRIVATE, pair.getPrivate().getEncoded()));
        Path tmp = publicKey.resolveSibling("." + publicKey.getFileName() + ".tmp");
        Files.writeString(tmp, publicKeyPem((ECPublicKey) pair.getPublic()), StandardCharsets.US_ASCII);
        Files.move(tmp, publicKey, StandardCopyOption.ATOMIC_MOVE);
        return pair;
    }

    private static void writePrivate(Path target, String pem) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        // Created with owner-only permissions, so the key is never readable by others, not even briefly.
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    private static String readKeyFile(Path pem) throws IOException {
        if (!Files.isRegularFile(pem)) {
            throw new KeyFileException("key file not found: " + pem);
        }
        if (Files.size(pem) > MAX_KEY_FILE_BYTES) {
            throw new KeyFileException(pem + " is " + Files.size(pem) + " bytes, too large for a PEM key");
        }
        return Files.readString(pem, StandardCharsets.ISO_8859_1);
    }

    private static byte[] pemBlock(Path file, String text, String label) throws KeyFileException {
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int b = text.indexOf(begin);
        int e = b < 0 ? -1 : text.indexOf(end, b);
        if (b < 0 || e < 0) {
            throw new KeyFileException(file + " holds no PEM '" + label + "' block (expected a line '" + begin + "')");
        }
        try {
            return Base64.getMimeDecoder()
                    .decode(text.substring(b + begin.length(), e).strip());
        } catch (IllegalArgumentException ex) {
            throw new KeyFileException(file + ": the PEM '" + label + "' block is not valid base64", ex);
        }
    }

    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a.getCurve().equals(b.getCurve())
                && a.getGenerator().equals(b.getGenerator())
                && a.getOrder().equals(b.getOrder())
                && a.getCofactor() == b.getCofactor();
    }

    // Double-and-add on y^2 = x^3 + ax + b over F_p, in affine coordinates; null is the point at infinity.
    private static ECPoint multiply(ECPoint g, BigInteger k, BigInteger a, BigInteger p) {
        ECPoint result = null;
        ECPoint addend = g;
        for (int i = 0; i < k.bitLength(); i++) {
            if (k.testBit(i)) {
                result = add(result, addend, a, p);
            }
            addend = add(addend, addend, a, p);
        }
        if (result == null) {
            throw new IllegalArgumentException("private key is zero");
        }
        return result;
    }

    private static ECPoint add(ECPoint s, ECPoint t, BigInteger a, BigInteger p) {
        if (s == null) {
            return t;
        }
        if (t == null) {
            return s;
        }
        BigInteger x1 = s.getAffineX(), y1 = s.getAffineY(), x2 = t.getAffineX(), y2 = t.getAffineY();
        BigInteger lambda;
        if (x1.equals(x2)) {
            if (y1.add(y2).mod(p).signum() == 0) {
                return null;
            }
            lambda = x1.pow(2)
                    .multiply(BigInteger.valueOf(3))
                    .add(a)
                    .multiply(y1.shiftLeft(1).modInverse(p))
                    .mod(p);
        } else {
            lambda = y2.subtract(y1).multiply(x2.subtract(x1).modInverse(p)).mod(p);
        }
        BigInteger x3 = lambda.pow(2).subtract(x1).subtract(x2).mod(p);
        BigInteger y3 = lambda.multiply(x1.subtract(x3)).subtract(y1).mod(p);
        return new ECPoint(x3, y3);
    }
}
