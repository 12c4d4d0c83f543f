package org.distill4j.terms;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads one terms file and checks it against the schema. Parsing goes through the YAML tree
 * rather than data binding so that every problem can name the entry and field it is in.
 */
final class TermsFileParser {

    static final int SCHEMA_VERSION = 1;

    private static final List<String> TOP_KEYS = List.of("version", "entries");
    private static final List<String> ENTRY_KEYS = List.of(
            "id",
            "name",
            "outputs_for_training",
            "conditions",
            "clause",
            "source",
            "read_on",
            "notes",
            "override_built_in");
    private static final List<String> REQUIRED_ENTRY_KEYS =
            List.of("id", "name", "outputs_for_training", "clause", "source", "read_on");

    /** Per condition type: its fields (besides {@code type}), required first, then how to build it. */
    private static final Map<String, ConditionSchema> CONDITIONS = conditionSchemas();

    private record ConditionSchema(
            List<String> required, List<String> optional, Function<FieldReader, Condition> build) {}

    /** Reads typed fields of one condition mapping, failing with its location. */
    private record FieldReader(Location at, JsonNode node) {
        String text(String key) {
            JsonNode v = node.get(key);
            return v == null ? null : at.scalarText(v, key);
        }

        long positiveLong(String key) {
            JsonNode v = node.get(key);
            if (v == null || !v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() <= 0) {
                throw at.error(
                        key,
                        "'" + (v == null ? "" : v.asText()) + "' is not allowed; expected a positive whole number");
            }
            return v.asLong();
        }
    }

    private static Map<String, ConditionSchema> conditionSchemas() {
        Map<String, ConditionSchema> m = new LinkedHashMap<>();
        m.put(
                "name_prefix",
                new ConditionSchema(List.of("value"), List.of(), r -> new Condition.NamePrefix(r.text("value"))));
        m.put(
                "attribution_notice",
                new ConditionSchema(List.of("text"), List.of(), r -> new Condition.AttributionNotice(r.text("text"))));
        m.put(
                "user_threshold",
                new ConditionSchema(
                        List.of("monthly_active_users"),
                        List.of("text"),
                        r -> new Condition.UserThreshold(r.positiveLong("monthly_active_users"), r.text("text"))));
        m.put(
                "non_commercial",
                new ConditionSchema(List.of(), List.of("text"), r -> new Condition.NonCommercial(r.text("text"))));
        m.put(
                "pass_through_use_restrictions",
                new ConditionSchema(
                        List.of(), List.of("text"), r -> new Condition.PassThroughUseRestrictions(r.text("text"))));
        m.put(
                "licence_notice",
                new ConditionSchema(List.of(), List.of("text"), r -> new Condition.LicenceNotice(r.text("text"))));
        m.put("other", new ConditionSchema(List.of("text"), List.of(), r -> new Condition.Other(r.text("text"))));
        return Map.copyOf(m);
    }

    /** The accepted condition types, for docs and messages. */
    static Set<String> conditionTypes() {
        return CONDITIONS.keySet();
    }

    private TermsFileParser() {}

    /**
     * Parses and validates one file.
     *
     * @param file label used in messages (a path, or "built-in registry")
     * @param in the YAML bytes; not closed
     * @return the entries in file order, ids unique within the file
     * @throws TermsException on any schema violation
     */
    static List<TermsEntry> parse(String file, InputStream in) {
        return parseEntries(file, in).stream().map(Parsed::entry).toList();
    }

    /**
     * One entry as read, with its {@code override_built_in} flag (a user file's explicit, recorded
     * replacement of a built-in entry).
     */
    record Parsed(TermsEntry entry, boolean overridesBuiltIn) {}

    /** As {@link #parse}, keeping each entry's {@code override_built_in} flag. */
    static List<Parsed> parseEntries(String file, InputStream in) {
        JsonNode root = readTree(file, in);
        Location top = new Location(file, null);
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw top.error(null, "the file is empty; expected 'version: " + SCHEMA_VERSION + "' and 'entries:'");
        }
        if (!root.isObject()) {
            throw top.error(null, "the top level must be a mapping with keys " + String.join(", ", TOP_KEYS));
        }
        top.rejectUnknownKeys(root, TOP_KEYS);
        JsonNode version = root.get("version");
        if (version == null) {
            throw top.error("version", "missing; expected 'version: " + SCHEMA_VERSION + "'");
        }
        if (!version.isIntegralNumber() || version.asInt() != SCHEMA_VERSION) {
            throw top.error("version", "'" + version.asText() + "' is not supported; allowed: " + SCHEMA_VERSION);
        }
        JsonNode entries = root.get("entries");
        if (entries == null || !entries.isArray()) {
            throw top.error("entries", "missing or not a list; expected a list of entries");
        }
        List<Parsed> out = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            TermsEntry entry = parseEntry(file, i, entries.get(i));
            JsonNode flag = entries.get(i).get("override_built_in");
            if (flag != null && !flag.isBoolean()) {
                throw new Location(file, ref(i, entry.id()))
                        .error("override_built_in", "'" + flag.asText() + "' is not allowed; expected true or false");
            }
            Integer first = seen.putIfAbsent(entry.id(), i);
            if (first != null) {
                throw new Location(file, ref(i, entry.id()))
                        .error(
                                "id",
                                "duplicate id '" + entry.id() + "' (already used by entries[" + first
                                        + "]); ids must be unique within a file. To replace an entry from an earlier file,"
                                        + " put the new one in a later file");
            }
            out.add(new Parsed(entry, flag != null && flag.asBoolean()));
        }
        return List.copyOf(out);
    }

    private static JsonNode readTree(String file, InputStream in) {
        YAMLFactory factory = new YAMLFactory();
        // A repeated key in a mapping would otherwise silently keep the last value.
        factory.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        ObjectMapper mapper = new ObjectMapper(factory);
        try {
            return mapper.readTree(in);
        } catch (JsonProcessingException e) {
            throw new TermsException(
                    file,
                    null,
                    null,
                    "not valid YAML: " + e.getOriginalMessage()
                            + (e.getLocation() == null
                                    ? ""
                                    : " (line " + e.getLocation().getLineNr() + ")"),
                    e);
        } catch (IOException e) {
            throw new TermsException(file, null, null, "cannot read: " + e.getMessage(), e);
        }
    }

    private static TermsEntry parseEntry(String file, int index, JsonNode node) {
        JsonNode idNode = node == null ? null : node.get("id");
        String idHint = idNode != null && idNode.isTextual() ? idNode.asText() : null;
        Location at = new Location(file, ref(index, idHint));
        if (node == null || !node.isObject()) {
            throw at.error(null, "must be a mapping with keys " + String.join(", ", ENTRY_KEYS));
        }
        at.rejectUnknownKeys(node, ENTRY_KEYS);
        for (String key : REQUIRED_ENTRY_KEYS) {
            if (!node.hasNonNull(key)) {
                throw at.error(key, "missing; every entry needs " + String.join(", ", REQUIRED_ENTRY_KEYS));
            }
        }
        String id = at.scalarText(node.get("id"), "id");
        if (!TermsEntry.ID_PATTERN.matcher(id).matches()) {
            throw at.error(
                    "id",
                    "'" + id + "' is not allowed; use lower-case letters and digits joined by '.' or '-',"
                            + " e.g. llama-3.1");
        }
        String verdictText = at.scalarText(node.get("outputs_for_training"), "outputs_for_training");
        OutputsForTraining verdict = OutputsForTraining.fromYaml(verdictText)
                .orElseThrow(() -> at.error(
                        "outputs_for_training",
                        "'" + verdictText + "' is not allowed; allowed: " + OutputsForTraining.allowedValues()));
        String sourceText = at.scalarText(node.get("source"), "source");
        URI source = parseSource(at, sourceText);
        String readOnText = at.scalarText(node.get("read_on"), "read_on");
        LocalDate readOn;
        try {
            readOn = LocalDate.parse(readOnText);
        } catch (DateTimeParseException e) {
            throw at.error(
                    "read_on", "'" + readOnText + "' is not allowed; expected a date as YYYY-MM-DD, e.g. 2026-11-29");
        }
        List<Condition> conditions = parseConditions(at, node.get("conditions"));
        if (verdict == OutputsForTraining.CONDITIONAL && conditions.isEmpty()) {
            throw at.error(
                    "conditions",
                    "outputs_for_training is 'conditional' but there are no conditions; expected "
                            + "at least one condition (allowed types: " + String.join(", ", sortedTypes()) + ")");
        }
        String notes = node.hasNonNull("notes") ? at.scalarText(node.get("notes"), "notes") : "";
        try {
            return new TermsEntry(
                    id,
                    at.scalarText(node.get("name"), "name"),
                    verdict,
                    conditions,
                    at.scalarText(node.get("clause"), "clause"),
                    source,
                    readOn,
                    notes);
        } catch (IllegalArgumentException | NullPointerException e) {
            // Field-level checks above cover the common cases; this catches cross-field rules.
            throw at.error(fieldOf(e.getMessage()), e.getMessage());
        }
    }

    private static URI parseSource(Location at, String text) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme();
            if (scheme != null
                    && (scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException ignored) {
            // Reported below with the same message as a non-http URI.
        }
        throw at.error("source", "'" + text + "' is not allowed; expected an http(s) URL where the clause was read");
    }

    private static List<Condition> parseConditions(Location at, JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw at.error("conditions", "must be a list of mappings, each with a 'type'");
        }
        List<Condition> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String path = "conditions[" + i + "]";
            JsonNode c = node.get(i);
            if (c == null || !c.isObject()) {
                throw at.error(
                        path, "must be a mapping with a 'type'; allowed types: " + String.join(", ", sortedTypes()));
            }
            if (!c.hasNonNull("type")) {
                throw at.error(path + ".type", "missing; allowed types: " + String.join(", ", sortedTypes()));
            }
            String type = at.scalarText(c.get("type"), path + ".type");
            ConditionSchema schema = CONDITIONS.get(type);
            if (schema == null) {
                throw at.error(
                        path + ".type", "'" + type + "' is not allowed; allowed: " + String.join(", ", sortedTypes()));
            }
            Location cat = at.nested(path);
            List<String> allowed = new ArrayList<>();
            allowed.add("type");
            allowed.addAll(schema.required());
            allowed.addAll(schema.optional());
            cat.rejectUnknownKeys(c, allowed);
            for (String key : schema.required()) {
                if (!c.hasNonNull(key)) {
                    throw cat.error(
                            key, "missing; a " + type + " condition needs " + String.join(", ", schema.required()));
                }
            }
            try {
                out.add(schema.build().apply(new FieldReader(cat, c)));
            } catch (IllegalArgumentException e) {
                throw cat.error(fieldOf(e.getMessage()), e.getMessage());
            }
        }
        return out;
    }

    private static List<String> sortedTypes() {
        return CONDITIONS.keySet().stream().sorted().toList();
    }

    /** Best effort: record validation messages start with the field name. */
    private static String fieldOf(String message) {
        if (message == null) {
            return null;
        }
        int space = message.indexOf(' ');
        String first = space < 0 ? message : message.substring(0, space);
        // Only a real key names a field ("a conditional entry ..." must not become field 'a').
        return ENTRY_KEYS.contains(first)
                        || first.equals("value")
                        || first.equals("text")
                        || first.equals("monthly_active_users")
                ? first
                : null;
    }

    private static String ref(int index, String id) {
        return "entries[" + index + "]" + (id == null ? "" : " (id '" + id + "')");
    }

    /** Where in a file a check is running; builds exceptions that name it. */
    private record Location(String file, String entry, String prefix) {
        Location(String file, String entry) {
            this(file, entry, "");
        }

        Location nested(String path) {
            return new Location(file, entry, prefix + path + ".");
        }

        TermsException error(String field, String problem) {
            String f = field == null
                    ? (prefix.isEmpty() ? null : prefix.substring(0, prefix.length() - 1))
                    : prefix + field;
            return new TermsException(file, entry, f, problem);
        }

        void rejectUnknownKeys(JsonNode node, List<String> allowed) {
            Set<String> allowedSet = new HashSet<>(allowed);
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!allowedSet.contains(key)) {
                    throw error(key, "unknown key '" + key + "'; allowed keys: " + String.join(", ", allowed));
                }
            }
        }

        String scalarText(JsonNode value, String field) {
            if (value == null || value.isNull()) {
                throw error(field, "missing");
            }
            if (!value.isValueNode()) {
                throw error(field, "must be a single value, not a " + (value.isArray() ? "list" : "mapping"));
            }
            String text = value.asText();
            if (text.isBlank()) {
                throw error(field, "must not be blank");
            }
            return text;
        }
    }
}
