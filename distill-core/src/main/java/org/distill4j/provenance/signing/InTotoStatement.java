package org.distill4j.provenance.signing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The payload {@code model_signing} v1.0 signs: an in-toto Statement v1 with one subject (the
 * model's name and its {@linkplain FileDigests#rootDigest() root digest}) and the predicate {@value
 * #PREDICATE_TYPE}, whose {@code resources} list every file with its SHA-256 and whose {@code
 * serialization} says how they were hashed ({@code files}, {@code sha256}, no symbolic links, the
 * ignored paths). Reading checks every field the reference verifier checks, and the root digest.
 */
public final class InTotoStatement {

    /** The in-toto statement type. */
    public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";

    /** The model-signing predicate type, v1.0. */
    public static final String PREDICATE_TYPE = "https://model_signing/signature/v1.0";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private InTotoStatement() {}

    /** Serialises the statement for {@code digests} as UTF-8 JSON, the DSSE payload. */
    public static byte[] encode(FileDigests digests) {
        if (!digests.refused().isEmpty()) {
            throw new IllegalArgumentException("cannot sign a directory with refused entries: " + digests.refused());
        }
        Map<String, Object> serialization = new LinkedHashMap<>();
        serialization.put("method", "files");
        serialization.put("hash_type", "sha256");
        serialization.put("allow_symlinks", false);
        serialization.put("ignore_paths", digests.ignorePaths());
        List<Map<String, Object>> resources = new ArrayList<>();
        digests.files().forEach((name, hash) -> {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("name", name);
            r.put("algorithm", "sha256");
            r.put("digest", hash);
            resources.add(r);
        });
        Map<String, Object> predicate = new LinkedHashMap<>();
        predicate.put("serialization", serialization);
        predicate.put("resources", resources);
        Map<String, Object> statement = new LinkedHashMap<>();
        statement.put("_type", STATEMENT_TYPE);
        statement.put(
                "subject",
                List.of(Map.of("name", digests.modelName(), "digest", Map.of("sha256", digests.rootDigest()))));
        statement.put("predicateType", PREDICATE_TYPE);
        statement.put("predicate", predicate);
        try {
            return JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(statement)
                    .getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the statement", e);
        }
    }

    /**
     * Reads a signed statement back into the digests it records ({@code refused} empty).
     *
     * @param payload the DSSE payload, already authenticated
     * @param source the signature file, for messages
     * @throws SignatureException naming {@code source} and the field when the statement is not a
     *     model-signing v1.0 statement distill4j can check, or its root digest does not match
     */
    public static FileDigests decode(byte[] payload, Object source) throws SignatureException {
        JsonNode root;
        try {
            root = JSON.readTree(payload);
        } catch (IOException e) {
            throw new SignatureException(source + ": the signed payload is not JSON: " + e.getMessage(), e);
        }
        expect(source, "_type", text(root, "_type", source), STATEMENT_TYPE);
        expect(source, "predicateType", text(root, "predicateType", source), PREDICATE_TYPE);
        JsonNode subjects = root.path("subject");
        if (!subjects.isArray() || subjects.size() != 1) {
            throw new SignatureException(source + ": expected exactly one subject in the statement, got " + subjects);
        }
        String name = text(subjects.get(0), "name", source);
        String rootDigest = text(subjects.get(0).path("digest"), "sha256", source);
        JsonNode predicate = root.path("predicate");
        JsonNode ser = predicate.path("serialization");
        expect(source, "predicate.serialization.method", text(ser, "method", source), "files");
        expect(source, "predicate.serialization.hash_type", text(ser, "hash_type", source), "sha256");
        if (ser.path("allow_symlinks").asBoolean(false)) {
            throw new SignatureException(source + ": the model was signed with allow_symlinks=true; distill4j refuses "
                    + "symbolic links in models (they can point anywhere)");
        }
        List<String> ignore = new ArrayList<>();
        for (JsonNode p : ser.path("ignore_paths")) {
            String path = p.asText();
            checkRelative(path, "ignore_paths", source);
            ignore.add(FileDigests.normalize(path));
        }
        JsonNode resources = predicate.path("resources");
        if (!resources.isArray()) {
            throw new SignatureException(source + ": predicate.resources is missing or not a list");
        }
        Map<String, String> files = new TreeMap<>(FileDigests.PATH_ORDER);
        for (JsonNode r : resources) {
            String file = text(r, "name", source);
            checkRelative(file, "resources", source);
            expect(source, "resources[" + file + "].algorithm", text(r, "algorithm", source), "sha256");
            String digest = text(r, "digest", source);
            if (!SHA256_HEX.matcher(digest).matches()) {
                throw new SignatureException(source + ": resource " + file + " has digest \"" + digest
                        + "\", expected 64 lower-case hex digits");
            }
            if (files.put(file, digest) != null) {
                throw new SignatureException(source + ": resource " + file + " is listed twice");
            }
        }
        FileDigests digests = new FileDigests(name, new TreeMap<>(files), ignore, new TreeMap<>());
        // The reference verifier hashes the digests in the order listed; the writer sorts them, so sorted order agrees.
        String listed = listedOrderRoot(resources);
        if (!listed.equals(rootDigest)) {
            throw new SignatureException(source + ": the statement is inconsistent: its subject digest is " + rootDigest
                    + " but its resources hash to " + listed);
        }
        return digests;
    }

    private static String listedOrderRoot(JsonNode resources) {
        var md = org.distill4j.io.Hashing.sha256();
        var hex = java.util.HexFormat.of();
        resources.forEach(r -> md.update(hex.parseHex(r.path("digest").asText())));
        return hex.formatHex(md.digest());
    }

    private static String text(JsonNode node, String field, Object source) throws SignatureException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new SignatureException(source + ": statement field '" + field + "' is missing or not a string");
        }
        return v.asText();
    }

    private static void expect(Object source, String field, String actual, String expected) throws SignatureException {
        if (!expected.equals(actual)) {
            throw new SignatureException(
                    source + ": statement field '" + field + "' is \"" + actual + "\", expected \"" + expected + "\"");
        }
    }

    // A signed name like "../x" or "/etc/passwd" would never match a file inside the model; refuse it outright.
    private static void checkRelative(String path, String where, Object source) throws SignatureException {
        String p = path.replace('\\', '/');
        boolean bad = p.isEmpty() || p.startsWith("/") || p.matches("^[A-Za-z]:.*");
        for (String c : p.split("/")) {
            bad |= c.equals("..");
        }
        if (bad) {
            throw new SignatureException(
                    source + ": " + where + " names \"" + path + "\", expected a path inside the model directory");
        }
    }
}
