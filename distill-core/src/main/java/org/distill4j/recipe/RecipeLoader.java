package org.distill4j.recipe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.distill4j.io.Snippets;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;

/**
 * Reads a recipe from YAML, applies {@code key=value} overrides, and validates it once, up front.
 * Every error is a {@link RecipeException} naming the recipe, the dotted key, the value and what
 * is allowed; unknown keys are errors (a typo must not silently fall back to a default).
 *
 * <p>Relative paths ({@code data.dir}, {@code data.train}, {@code data.validation}, {@code
 * data.test}, {@code data.unlabelled}, {@code teacher.path}, {@code teacher.terms_file}) are resolved against the directory of
 * the recipe file.
 */
public final class RecipeLoader {

    /**
     * The largest recipe file read, in bytes: 1 MiB by default (a recipe is a page of YAML); the
     * system property {@code distill4j.maxRecipeBytes} raises it.
     */
    public static final int MAX_RECIPE_BYTES = Integer.getInteger("distill4j.maxRecipeBytes", 1 << 20);

    /**
     * The longest scalar (one value) in a recipe or an override, in chars: 64 Ki by default; the
     * system property {@code distill4j.maxRecipeScalarChars} raises it.
     */
    public static final int MAX_SCALAR_CHARS = Integer.getInteger("distill4j.maxRecipeScalarChars", 1 << 16);

    private static LoaderOptions loaderOptions() {
        LoaderOptions o = new LoaderOptions();
        // The text is bounded before parsing; these bound what SnakeYAML builds from it.
        o.setCodePointLimit(Math.max(MAX_RECIPE_BYTES, 1 << 10));
        o.setMaxAliasesForCollections(0);
        o.setAllowRecursiveKeys(false);
        o.setNestingDepthLimit(64);
        return o;
    }

    private static final ObjectMapper YAML = new ObjectMapper(
                    YAMLFactory.builder().loaderOptions(loaderOptions()).build())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    /**
     * Writes recipes so that they read back: plain {@code type:} keys rather than YAML tags for
     * architectures, and paths as plain strings rather than {@code file://} URIs.
     */
    private static final ObjectMapper YAML_OUT = new ObjectMapper(YAMLFactory.builder()
                    .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.USE_NATIVE_TYPE_ID)
                    .build())
            .registerModule(new com.fasterxml.jackson.databind.module.SimpleModule()
                    .addSerializer(
                            Path.class, new com.fasterxml.jackson.databind.ser.std.ToStringSerializer(Path.class)))
            // Absent optional keys stay absent in the recipe as run.
            .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL);

    private RecipeLoader() {}

    /** Loads and validates a recipe file with overrides ({@code a.b.c=value}, value in YAML syntax). */
    public static Recipe load(Path file, List<String> overrides) throws RecipeException, IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.io.FileNotFoundException("recipe file not found: " + file);
        }
        long size = Files.size(file);
        if (size > MAX_RECIPE_BYTES) {
            throw new RecipeException(
                    "",
                    "recipe " + file + " has " + size + " bytes, expected at most "
                            + MAX_RECIPE_BYTES + " (a recipe is a page of YAML; the limit is the system property "
                            + "distill4j.maxRecipeBytes)");
        }
        byte[] bytes;
        try (java.io.InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_RECIPE_BYTES + 1); // the file may have grown since
        }
        if (bytes.length > MAX_RECIPE_BYTES) {
            throw new RecipeException(
                    "",
                    "recipe " + file + " has more than " + MAX_RECIPE_BYTES + " bytes, expected "
                            + "at most that (the limit is the system property distill4j.maxRecipeBytes)");
        }
        return parse(
                decodeUtf8(bytes, file), file.toString(), file.toAbsolutePath().getParent(), overrides);
    }

    /** Decodes strictly; a malformed byte is reported with its line, not as "Input length = 1". */
    private static String decodeUtf8(byte[] bytes, Path file) throws RecipeException {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length);
        java.nio.charset.CoderResult r = java.nio.charset.StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                .decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new RecipeException(
                    "",
                    "recipe " + file + ", line " + line + " (byte " + at + "): not valid UTF-8 "
                            + String.format(java.util.Locale.ROOT, "(byte 0x%02X)", bytes[at] & 0xFF)
                            + ", expected a UTF-8 text file; re-save it as UTF-8");
        }
        out.flip();
        String text = out.toString();
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /**
     * Parses and validates recipe text.
     *
     * @param yaml the recipe
     * @param origin where it came from, for messages
     * @param baseDir directory that relative paths are resolved against
     * @param overrides {@code key=value} overrides applied before validation
     */
    public static Recipe parse(String yaml, String origin, Path baseDir, List<String> overrides)
            throws RecipeException {
        if (yaml.length() > MAX_RECIPE_BYTES) {
            throw new RecipeException(
                    "",
                    "recipe " + origin + " has " + yaml.length() + " characters, expected at most " + MAX_RECIPE_BYTES
                            + " (the limit is the system property distill4j.maxRecipeBytes)");
        }
        refuseAliases(yaml, origin);
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new RecipeException(
                    "", "recipe " + origin + " is not valid YAML: " + Snippets.clip(e.getOriginalMessage(), 300));
        } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
            throw new RecipeException(
                    "", "recipe " + origin + " is not valid YAML: " + Snippets.clip(e.getMessage(), 300));
        }
        checkScalars(tree, "", origin);
        if (tree == null || !tree.isObject()) {
            throw new RecipeException(
                    "",
                    "recipe " + origin + " must be a YAML mapping with sections data, teacher, "
                            + "student, distillation, evaluation");
        }
        for (String override : overrides) {
            applyOverride((ObjectNode) tree, override, origin);
        }
        resolvePath(tree, baseDir, "data", "dir", origin);
        resolvePath(tree, baseDir, "data", "train", origin);
        resolvePath(tree, baseDir, "data", "validation", origin);
        resolvePath(tree, baseDir, "data", "test", origin);
        resolvePath(tree, baseDir, "data", "unlabelled", origin);
        resolvePath(tree, baseDir, "teacher", "path", origin);
        resolvePath(tree, baseDir, "teacher", "terms_file", origin);
        resolvePath(tree.get("teacher"), baseDir, "http", "api_key_file", origin);
        // Jackson builds a record before it reports unknown keys, so a misspelt required key
        // ("modle") would surface as "'model' is required"; check the keys first.
        checkKeys(tree, Recipe.class, "", origin);
        try {
            return YAML.treeToValue(tree, Recipe.class);
        } catch (JsonProcessingException e) {
            throw translate(e, origin, tree);
        } catch (IllegalArgumentException e) {
            throw new RecipeException("", "recipe " + origin + ": " + e.getMessage(), e);
        }
    }

    /** Returns the recipe as a JSON-compatible tree, for reports and provenance. */
    public static Map<String, Object> toTree(Recipe recipe) {
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> map = json.convertValue(YAML_OUT.valueToTree(recipe), Map.class);
        return map;
    }

    /** Returns the recipe as YAML text (the recipe as run, after overrides and defaults). */
    public static String toYaml(Recipe recipe) {
        try {
            return YAML_OUT.writeValueAsString(recipe);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void applyOverride(ObjectNode root, String override, String origin) throws RecipeException {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new RecipeException(
                    "", "override '" + override + "' must look like key=value, e.g. " + "student.training.epochs=3");
        }
        String key = Snippets.clip(override.substring(0, eq).trim());
        String raw = override.substring(eq + 1);
        if (raw.length() > MAX_SCALAR_CHARS) {
            throw new RecipeException(
                    key,
                    "override " + key + ": value of " + raw.length() + " chars, expected at most " + MAX_SCALAR_CHARS
                            + " (the limit is the system property distill4j.maxRecipeScalarChars)");
        }
        JsonNode value;
        try {
            value = raw.isEmpty() ? root.nullNode() : YAML.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new RecipeException(
                    key, "override " + key + ": value '" + Snippets.clip(raw) + "' is not valid YAML");
        }
        if (value.isContainerNode()) {
            checkScalars(value, key, "override " + key);
        }
        String[] parts = key.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (child == null || child.isNull()) {
                child = node.putObject(parts[i]);
            } else if (!child.isObject()) {
                throw new RecipeException(
                        key,
                        "override " + key + ": '"
                                + String.join(".", List.of(parts).subList(0, i + 1)) + "' is a value, not a section");
            }
            node = (ObjectNode) child;
        }
        node.set(parts[parts.length - 1], value);
    }

    /**
     * Refuses YAML aliases ({@code *name}, merge keys included): Jackson would read an alias as the
     * string "name", not as the value it stands for, and expanding them invites alias bombs. The
     * message names the alias and its line.
     */
    private static void refuseAliases(String yaml, String origin) throws RecipeException {
        try {
            for (Event e : new Yaml(loaderOptions()).parse(new java.io.StringReader(yaml))) {
                if (e instanceof AliasEvent a) {
                    throw new RecipeException(
                            "",
                            "recipe " + origin + ", line " + (a.getStartMark().getLine() + 1)
                                    + ": YAML alias '*" + Snippets.clip(a.getAnchor())
                                    + "' is not supported (aliases and "
                                    + "anchors are not expanded); write the value out in full");
                }
            }
        } catch (YAMLException | IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
            // SnakeYAML lets some malformed input escape as a runtime exception (a cut unicode escape
            // is a NumberFormatException): all of them mean the text is not valid YAML.
            throw new RecipeException(
                    "", "recipe " + origin + " is not valid YAML: " + Snippets.clip(e.getMessage(), 300));
        }
    }

    /** Refuses scalars longer than {@link #MAX_SCALAR_CHARS}, naming the dotted key. */
    private static void checkScalars(JsonNode node, String path, String origin) throws RecipeException {
        if (node.isTextual() && node.asText().length() > MAX_SCALAR_CHARS) {
            String where = origin.startsWith("override ") ? origin : "recipe " + origin + ", key '" + path + "'";
            throw new RecipeException(
                    path,
                    where + ": value of " + node.asText().length() + " chars, expected at most " + MAX_SCALAR_CHARS
                            + " (the limit is the system property distill4j.maxRecipeScalarChars)");
        }
        if (node.isObject()) {
            var fields = node.fields();
            while (fields.hasNext()) {
                var f = fields.next();
                if (f.getKey().length() > MAX_SCALAR_CHARS) {
                    throw new RecipeException(
                            path,
                            "recipe " + origin + ": a key of " + f.getKey().length() + " chars under '" + path
                                    + "', expected at most " + MAX_SCALAR_CHARS);
                }
                checkScalars(
                        f.getValue(), path.isEmpty() ? f.getKey() : path + "." + Snippets.clip(f.getKey()), origin);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkScalars(node.get(i), path + "[" + i + "]", origin);
            }
        }
    }

    private static void resolvePath(JsonNode tree, Path baseDir, String section, String field, String origin)
            throws RecipeException {
        JsonNode s = tree == null ? null : tree.get(section);
        if (s instanceof ObjectNode obj
                && obj.hasNonNull(field)
                && obj.get(field).isTextual()
                && baseDir != null) {
            String text = obj.get(field).asText();
            if (text.startsWith("~/")) {
                text = System.getProperty("user.home") + text.substring(1);
            }
            try {
                obj.put(field, baseDir.resolve(text).normalize().toString());
            } catch (java.nio.file.InvalidPathException e) {
                String key = (section.equals("http") ? "teacher." : "") + section + "." + field;
                throw new RecipeException(
                        key,
                        "recipe " + origin + ", key '" + key + "': '" + Snippets.clip(text) + "' is not a valid path ("
                                + Snippets.clip(e.getReason()) + "), expected a file or directory path");
            }
        }
    }

    /** Reports the first key that no record along the way declares, naming what is allowed there. */
    private static void checkKeys(JsonNode node, Class<?> type, String path, String origin) throws RecipeException {
        if (!(node instanceof ObjectNode obj)) {
            return;
        }
        java.util.Set<String> extra = new java.util.TreeSet<>();
        if (type.isInterface()) {
            // A polymorphic architecture: the keys are those of the subtype its 'type' names.
            com.fasterxml.jackson.annotation.JsonSubTypes subtypes =
                    type.getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class);
            JsonNode id = obj.get("type");
            if (subtypes == null || id == null || !id.isTextual()) {
                return; // Jackson reports the missing or bad type id itself
            }
            Class<?> sub = null;
            for (com.fasterxml.jackson.annotation.JsonSubTypes.Type t : subtypes.value()) {
                if (t.name().equals(id.asText())) {
                    sub = t.value();
                }
            }
            if (sub == null) {
                return;
            }
            type = sub;
            extra.add("type");
        }
        if (!type.isRecord()) {
            return;
        }
        Map<String, java.lang.reflect.RecordComponent> known = new java.util.LinkedHashMap<>();
        for (java.lang.reflect.RecordComponent rc : type.getRecordComponents()) {
            com.fasterxml.jackson.annotation.JsonProperty jp =
                    rc.getAccessor().getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
            known.put(jp != null && !jp.value().isEmpty() ? jp.value() : rc.getName(), rc);
        }
        var names = obj.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            String key = path.isEmpty() ? name : path + "." + name;
            java.lang.reflect.RecordComponent rc = known.get(name);
            if (rc == null) {
                if (extra.contains(name)) {
                    continue;
                }
                java.util.Set<String> allowed = new java.util.TreeSet<>(known.keySet());
                allowed.addAll(extra);
                throw new RecipeException(
                        key,
                        "recipe " + origin + (path.isEmpty() ? "" : ", key '" + key + "'") + ": unknown key '" + name
                                + "'; allowed here: " + allowed);
            }
            checkKeys(obj.get(name), rc.getType(), key, origin);
        }
    }

    private static RecipeException translate(JsonProcessingException e, String origin, JsonNode tree) {
        String key = e instanceof JsonMappingException m ? path(m) : "";
        String where = "recipe " + origin + (key.isEmpty() ? "" : ", key '" + key + "'");
        if (e instanceof UnrecognizedPropertyException u) {
            String allowed = u.getKnownPropertyIds() == null
                    ? ""
                    : u.getKnownPropertyIds().stream()
                            .map(Object::toString)
                            .sorted()
                            .collect(Collectors.joining(", ", "; allowed here: [", "]"));
            return new RecipeException(key, where + ": unknown key '" + u.getPropertyName() + "'" + allowed, e);
        }
        if (e instanceof ValueInstantiationException v) {
            Throwable cause = v.getCause() != null ? v.getCause() : v;
            String msg = cause instanceof NullPointerException
                    ? "'" + cause.getMessage() + "' is required"
                    : cause.getMessage();
            return new RecipeException(key, where + ": " + msg, e);
        }
        if (e instanceof InvalidFormatException f) {
            return new RecipeException(
                    key,
                    where + ": value '" + f.getValue() + "' is not a valid "
                            + f.getTargetType().getSimpleName().toLowerCase(java.util.Locale.ROOT),
                    e);
        }
        if (e instanceof MismatchedInputException mi && mi.getOriginalMessage().contains("Missing required")) {
            return new RecipeException(
                    key, where + ": " + mi.getOriginalMessage().replace("creator property", "key"), e);
        }
        if (e instanceof MismatchedInputException mi && mi.getTargetType() != null) {
            // Jackson's own text names Java types and tokens; say it in the recipe's terms.
            return new RecipeException(
                    key, where + ": expected " + expected(mi.getTargetType()) + ", got " + describe(at(tree, mi)), e);
        }
        if (e instanceof JsonMappingException m && m.getCause() instanceof IllegalArgumentException iae) {
            return new RecipeException(key, where + ": " + iae.getMessage(), e);
        }
        return new RecipeException(key, where + ": " + e.getOriginalMessage(), e);
    }

    private static String expected(Class<?> type) {
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class || type == Path.class || type.isEnum()) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        return "a mapping (" + type.getSimpleName() + ")";
    }

    /** The recipe node a mapping error is about, or null. */
    private static JsonNode at(JsonNode tree, JsonMappingException e) {
        JsonNode node = tree;
        for (JsonMappingException.Reference r : e.getPath()) {
            if (node == null) {
                return null;
            }
            node = r.getFieldName() != null ? node.get(r.getFieldName()) : node.get(r.getIndex());
        }
        return node;
    }

    private static String describe(JsonNode node) {
        if (node == null) {
            return "something else";
        }
        if (node.isArray()) {
            return "a list " + Snippets.clip(node.toString());
        }
        if (node.isObject()) {
            return "a mapping " + Snippets.clip(node.toString());
        }
        if (node.isNull()) {
            return "null";
        }
        return node.isTextual() ? "'" + Snippets.clip(node.asText()) + "'" : Snippets.clip(node.toString());
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }
}
