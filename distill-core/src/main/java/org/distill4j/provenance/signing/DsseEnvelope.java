package org.distill4j.provenance.signing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A DSSE envelope (payload, payload type, signatures) as {@code model_signing} stores it: inside a
 * Sigstore bundle v0.3 whose verification material is a public-key hint (the SHA-256 of the
 * signer's public key PEM) and no transparency-log entries. Payload and signatures are base64
 * (standard alphabet) in JSON; signatures cover the {@linkplain #pae PAE} of type and payload.
 * Immutable.
 *
 * @param payloadType {@value #IN_TOTO_PAYLOAD_TYPE} for model signatures
 * @param payload the raw payload bytes (the in-toto statement's JSON)
 * @param signatures at least one; {@code model_signing} writes and checks exactly the first
 * @param keyHint lower-case hex SHA-256 of the signer's public key PEM, or {@code null} when the
 *     bundle carries none
 */
public record DsseEnvelope(String payloadType, byte[] payload, List<Sig> signatures, String keyHint) {

    /** The DSSE payload type of an in-toto statement. */
    public static final String IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

    /** The Sigstore bundle media type {@code model_signing} writes and requires. */
    public static final String BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

    // A signature of a million-file model is tens of MB; more is not a signature.
    static final long MAX_BYTES = 256L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One signature.
     *
     * @param keyid an identifier of the key (distill4j writes the key hint; verifiers ignore it)
     * @param sig the DER-encoded ECDSA signature over the PAE
     */
    public record Sig(String keyid, byte[] sig) {

        /** Requires both. */
        public Sig {
            Objects.requireNonNull(keyid, "keyid");
            sig = Objects.requireNonNull(sig, "sig").clone();
        }

        /** A copy of the DER signature bytes. */
        @Override
        public byte[] sig() {
            return sig.clone();
        }
    }

    /** Requires type, payload and at least one signature; copies the arrays. */
    public DsseEnvelope {
        Objects.requireNonNull(payloadType, "payloadType");
        payload = Objects.requireNonNull(payload, "payload").clone();
        signatures = List.copyOf(signatures);
        if (signatures.isEmpty()) {
            throw new IllegalArgumentException("a DSSE envelope needs at least one signature");
        }
    }

    /** A copy of the payload bytes. */
    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /**
     * DSSE v1 pre-authentication encoding: {@code "DSSEv1" SP LEN(type) SP type SP LEN(body) SP
     * body}, lengths as ASCII decimal byte counts. This, not the bare payload, is what is signed.
     */
    public static byte[] pae(String payloadType, byte[] payload) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + type.length + 32);
        out.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(type);
        out.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(payload);
        return out.toByteArray();
    }

    /** The PAE of this envelope's type and payload. */
    public byte[] pae() {
        return pae(payloadType, payload);
    }

    /** The Sigstore bundle JSON {@code model_signing} reads, UTF-8, ending with a newline. */
    public byte[] toBundleJson() {
        Base64.Encoder b64 = Base64.getEncoder();
        List<Map<String, Object>> sigs = new ArrayList<>();
        for (Sig s : signatures) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sig", b64.encodeToString(s.sig()));
            m.put("keyid", s.keyid());
            sigs.add(m);
        }
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("payload", b64.encodeToString(payload));
        envelope.put("payloadType", payloadType);
        envelope.put("signatures", sigs);
        Map<String, Object> material = new LinkedHashMap<>();
        material.put("publicKey", keyHint == null ? Map.of() : Map.of("hint", keyHint));
        material.put("tlogEntries", List.of());
        Map<String, Object> bundle = new LinkedHashMap<>();
        bundle.put("mediaType", BUNDLE_MEDIA_TYPE);
        bundle.put("verificationMaterial", material);
        bundle.put("dsseEnvelope", envelope);
        try {
            return (JSON.writeValueAsString(bundle) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise the bundle", e);
        }
    }

    /**
     * Parses a Sigstore bundle holding a DSSE envelope. Does not verify anything.
     *
     * @param json the bundle's bytes
     * @param source the signature file, for messages
     * @throws SignatureException naming {@code source} and the field when it is not such a bundle
     */
    public static DsseEnvelope parseBundle(byte[] json, Object source) throws SignatureException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new SignatureException(
                    source + " is not a signature bundle: not valid JSON (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new SignatureException(source + " is not a signature bundle: expected a JSON object");
        }
        String media = root.path("mediaType").asText(null);
        if (!BUNDLE_MEDIA_TYPE.equals(media)) {
            throw new SignatureException(source + ": mediaType is " + (media == null ? "missing" : "\"" + media + "\"")
                    + ", expected \"" + BUNDLE_MEDIA_TYPE + "\"");
        }
        JsonNode hint = root.path("verificationMaterial").path("publicKey").path("hint");
        JsonNode env = root.path("dsseEnvelope");
        if (!env.isObject()) {
            throw new SignatureException(source + ": no dsseEnvelope (a bundle signing something other than a DSSE "
                    + "envelope is not a model signature)");
        }
        String type = env.path("payloadType").asText(null);
        if (type == null) {
            throw new SignatureException(source + ": dsseEnvelope.payloadType is missing");
        }
        byte[] payload = base64(env.path("payload"), "dsseEnvelope.payload", source);
        List<Sig> sigs = new ArrayList<>();
        for (JsonNode s : env.path("signatures")) {
            sigs.add(new Sig(
                    s.path("keyid").asText(""), base64(s.path("sig"), "dsseEnvelope.signatures[].sig", source)));
        }
        if (sigs.isEmpty()) {
            throw new SignatureException(source + ": dsseEnvelope.signatures is missing or empty");
        }
        return new DsseEnvelope(
                type, payload, sigs, hint.isTextual() && !hint.asText().isEmpty() ? hint.asText() : null);
    }

    private static byte[] base64(JsonNode node, String field, Object source) throws SignatureException {
        if (!node.isTextual()) {
            throw new SignatureException(source + ": " + field + " is missing or not a string");
        }
        try {
            return Base64.getDecoder().decode(node.asText());
        } catch (IllegalArgumentException e) {
            throw new SignatureException(source + ": " + field + " is not valid base64", e);
        }
    }
}
