package org.distill4j.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.train.EpochRecord;

/**
 * The {@code metrics.json} format: writes an {@link ExperimentResults} as JSON and reads it back.
 *
 * <p>Shape: {@code {"title", "models": {role: {...}}, "recipe", "environment"}}, plus {@code "data"}
 * when the results hold facts about the data ({@link ExperimentResults#data()}). Each model object
 * holds {@code description}, the {@link ModelMetrics} fields and {@code history} (a list of {@link
 * EpochRecord}s), all with snake_case keys in declaration order. A non-finite number (an
 * unmeasured {@code NaN}, or an infinity) is written as {@code null}, so the file is always valid
 * JSON for strict parsers; reading turns {@code null} back into {@code NaN}.
 *
 * <p>Maps whose iteration order is unspecified (such as the copies {@link ExperimentResults}
 * holds) are written with their keys sorted, so the same results always give the same bytes;
 * insertion-ordered and sorted maps keep their order.
 *
 * <p>Stateless and thread-safe.
 */
public final class MetricsJson {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private MetricsJson() {}

    /**
     * The results as pretty-printed JSON.
     *
     * @throws IllegalArgumentException if two models share a role (roles are the JSON keys)
     */
    public static String toJson(ExperimentResults results) {
        ObjectNode root = NODES.objectNode();
        root.put("title", results.title());
        ObjectNode models = root.putObject("models");
        for (ModelResult model : results.models()) {
            if (models.has(model.role())) {
                throw new IllegalArgumentException("duplicate model role: " + model.role());
            }
            models.set(model.role(), modelNode(model));
        }
        root.set("recipe", tree(results.recipe()));
        root.set("environment", tree(results.environment()));
        if (!results.data().isEmpty()) {
            root.set("data", tree(results.data()));
        }
        return pretty(root);
    }

    /**
     * Reads the models of a {@code metrics.json}, keyed by role in file order. {@code null}
     * numbers come back as {@code NaN}; a missing {@code history} as an empty one.
     *
     * @return an unmodifiable, insertion-ordered map
     * @throws IOException if the file cannot be read or is not metrics JSON
     */
    public static Map<String, ModelResult> read(Path path) throws IOException {
        return models(readRoot(path));
    }

    /**
     * Reads a whole {@code metrics.json} back into results, e.g. to re-render a report. Top-level
     * recipe entries whose value is {@code null} are dropped, since {@link ExperimentResults}
     * cannot hold them.
     *
     * @throws IOException if the file cannot be read or is not metrics JSON
     */
    public static ExperimentResults readResults(Path path) throws IOException {
        JsonNode root = readRoot(path);
        Map<String, Object> recipe = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.path("recipe").properties()) {
            Object value = MAPPER.convertValue(e.getValue(), Object.class);
            if (value != null) {
                recipe.put(e.getKey(), value);
            }
        }
        Map<String, String> environment = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.path("environment").properties()) {
            environment.put(e.getKey(), e.getValue().asText());
        }
        Map<String, Object> data = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.path("data").properties()) {
            data.put(e.getKey(), MAPPER.convertValue(e.getValue(), Object.class));
        }
        return new ExperimentResults(
                root.path("title").asText(""), List.copyOf(models(root).values()), recipe, environment, data);
    }

    /** Pretty JSON of a recipe-like tree, with the same null-for-non-finite and ordering rules. */
    static String prettyTree(Object value) {
        return pretty(tree(value));
    }

    private static ObjectNode modelNode(ModelResult model) {
        ModelMetrics m = model.metrics();
        ObjectNode node = NODES.objectNode();
        node.put("description", model.description());
        putNumber(node, "test_accuracy", m.testAccuracy());
        putNumber(node, "test_macro_f1", m.testMacroF1());
        node.put("test_errors", m.testErrors());
        node.put("test_size", m.testSize());
        node.put("params", m.params());
        node.put("size_bytes", m.sizeBytes());
        putNumber(node, "agreement_with_teacher", m.agreementWithTeacher());
        putNumber(node, "kl_to_teacher", m.klToTeacher());
        putNumber(node, "latency_ms_p50", m.latencyMsP50());
        putNumber(node, "latency_ms_p99", m.latencyMsP99());
        putNumber(node, "throughput_per_s", m.throughputPerS());
        node.put("throughput_batch", m.throughputBatch());
        ArrayNode history = node.putArray("history");
        for (EpochRecord r : model.history()) {
            ObjectNode e = history.addObject();
            e.put("epoch", r.epoch());
            putNumber(e, "train_loss", r.trainLoss());
            putNumber(e, "train_soft_loss", r.trainSoftLoss());
            putNumber(e, "train_hard_loss", r.trainHardLoss());
            putNumber(e, "train_accuracy", r.trainAccuracy());
            putNumber(e, "val_loss", r.valLoss());
            putNumber(e, "val_accuracy", r.valAccuracy());
            putNumber(e, "seconds", r.seconds());
            putNumber(e, "samples_per_second", r.samplesPerSecond());
            putNumber(e, "learning_rate", r.learningRate());
        }
        return node;
    }

    private static Map<String, ModelResult> models(JsonNode root) throws IOException {
        JsonNode models = root.get("models");
        if (models == null || !models.isObject()) {
            throw new IOException("not a metrics.json: no \"models\" object");
        }
        Map<String, ModelResult> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : models.properties()) {
            out.put(e.getKey(), model(e.getKey(), e.getValue()));
        }
        return Collections.unmodifiableMap(out);
    }

    private static ModelResult model(String role, JsonNode n) {
        ModelMetrics metrics = new ModelMetrics(
                number(n, "test_accuracy"),
                number(n, "test_macro_f1"),
                n.path("test_errors").asInt(),
                n.path("test_size").asInt(),
                n.path("params").asLong(),
                n.path("size_bytes").asLong(),
                number(n, "agreement_with_teacher"),
                number(n, "kl_to_teacher"),
                number(n, "latency_ms_p50"),
                number(n, "latency_ms_p99"),
                number(n, "throughput_per_s"),
                n.path("throughput_batch").asInt());
        List<EpochRecord> history = new ArrayList<>();
        for (JsonNode e : n.path("history")) {
            history.add(new EpochRecord(
                    e.path("epoch").asInt(),
                    number(e, "train_loss"),
                    number(e, "train_soft_loss"),
                    number(e, "train_hard_loss"),
                    number(e, "train_accuracy"),
                    number(e, "val_loss"),
                    number(e, "val_accuracy"),
                    number(e, "seconds"),
                    number(e, "samples_per_second"),
                    number(e, "learning_rate")));
        }
        return new ModelResult(role, n.path("description").asText(""), metrics, history);
    }

    private static double number(JsonNode parent, String key) {
        JsonNode v = parent.get(key);
        return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
    }

    private static void putNumber(ObjectNode node, String key, double value) {
        if (Double.isFinite(value)) {
            node.put(key, value);
        } else {
            node.putNull(key);
        }
    }

    private static JsonNode readRoot(Path path) throws IOException {
        JsonNode root = MAPPER.readTree(Files.readAllBytes(path));
        if (root == null || !root.isObject()) {
            throw new IOException("not a metrics.json: " + path);
        }
        return root;
    }

    private static String pretty(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            // A tree of plain nodes always serializes; this would be a Jackson bug.
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Converts a JSON-compatible value to a tree by hand rather than with {@code valueToTree},
     * because Jackson writes NaN as a bare {@code NaN} token and keeps unordered maps unordered.
     */
    private static JsonNode tree(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode node = NODES.objectNode();
            for (Map.Entry<?, ?> e : ordered(map).entrySet()) {
                node.set(String.valueOf(e.getKey()), tree(e.getValue()));
            }
            return node;
        }
        if (value instanceof Collection<?> list) {
            ArrayNode node = NODES.arrayNode();
            list.forEach(v -> node.add(tree(v)));
            return node;
        }
        if (value instanceof Object[] array) {
            ArrayNode node = NODES.arrayNode();
            for (Object v : array) {
                node.add(tree(v));
            }
            return node;
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return Double.isFinite(d) ? NODES.numberNode(d) : NODES.nullNode();
        }
        if (value instanceof Number || value instanceof Boolean) {
            return MAPPER.valueToTree(value);
        }
        if (value instanceof CharSequence || value instanceof Enum<?>) {
            return NODES.textNode(value.toString());
        }
        return finite(MAPPER.valueToTree(value));
    }

    /** Replaces non-finite numbers in a tree Jackson built (e.g. from a {@code double[]}). */
    private static JsonNode finite(JsonNode node) {
        if (node.isFloatingPointNumber()) {
            return Double.isFinite(node.asDouble()) ? node : NODES.nullNode();
        }
        if (node.isObject()) {
            ObjectNode copy = NODES.objectNode();
            node.properties().forEach(e -> copy.set(e.getKey(), finite(e.getValue())));
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode();
            node.forEach(v -> copy.add(finite(v)));
            return copy;
        }
        return node;
    }

    private static Map<?, ?> ordered(Map<?, ?> map) {
        if (map instanceof LinkedHashMap<?, ?> || map instanceof SortedMap<?, ?>) {
            return map;
        }
        Map<String, Object> sorted = new TreeMap<>();
        map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
        return sorted;
    }
}
