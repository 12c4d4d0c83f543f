package org.distill4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.IdxDataset;
import org.distill4j.data.JsonlTextDataset;
import org.distill4j.data.TextExampleSet;
import org.distill4j.data.TextFeatures;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;

/**
 * The probe data of {@code distill audit --data PATH}, from how the user names it:
 *
 * <ul>
 *   <li>an IDX directory: its test split;
 *   <li>a JSON Lines directory (holding {@code test.jsonl[.gz]}) or one {@code .jsonl[.gz]} file:
 *       its texts, featurised as the audited models were trained (the {@code text_features} and
 *       class names of the first model directory among teacher, suspect and references); the
 *       {@code label} field is optional, as the audit never reads labels; or, where its first line
 *       holds {@code "features"} (a dense model's {@code distill serve --record-queries} log), feature
 *       rows, shaped as the first model directory's descriptor says;
 *   <li>a recipe ({@code .yaml} / {@code .yml}): the test split of its data section, featurised as
 *       the recipe says.
 * </ul>
 *
 * <p>Text probes stay a {@link TextExampleSet}, so the audit mixes texts (not ids) and checks that
 * every model reads text the way the data was featurised.
 */
final class AuditData {

    private AuditData() {}

    /**
     * Loads the probe data.
     *
     * @param path what {@code --data} names
     * @param models the model specs as given (teacher first); local model directories among them
     *     tell how text becomes features
     * @throws IllegalArgumentException naming the path when it is none of the above, or when text
     *     data has no model directory to say how it is featurised
     */
    static ExampleSet load(Path path, List<String> models) throws IOException, org.distill4j.recipe.RecipeException {
        return load(path, models, false);
    }

    /**
     * Loads the rows a watermark key is drawn from: as {@link #load} but the <em>training</em>
     * split (a JSON Lines file is used whole; a recipe's training split without its limits).
     */
    static ExampleSet loadTrain(Path path, List<String> models)
            throws IOException, org.distill4j.recipe.RecipeException {
        return load(path, models, true);
    }

    private static ExampleSet load(Path path, List<String> models, boolean train)
            throws IOException, org.distill4j.recipe.RecipeException {
        String file = path.getFileName() == null ? "" : path.getFileName().toString();
        if (Files.isRegularFile(path) && (file.endsWith(".yaml") || file.endsWith(".yml"))) {
            Recipe recipe = RecipeLoader.load(path, List.of());
            return train ? trainOf(recipe) : fromRecipe(recipe);
        }
        if (Files.isRegularFile(path) && (file.endsWith(".jsonl") || file.endsWith(".jsonl.gz"))) {
            return holdsFeatureRows(path) ? featureRows(path, models) : text(path, models);
        }
        if (Files.isDirectory(path)) {
            Path texts = JsonlTextDataset.find(path, train ? "train" : "test");
            if (texts != null) {
                return text(texts, models);
            }
            IdxDataset idx = IdxDataset.load(path);
            return train ? idx.train() : idx.test();
        }
        throw new IllegalArgumentException("illegal --data value: '" + path + "', expected an IDX directory, a JSON "
                + "Lines directory (test.jsonl[.gz]) or file (.jsonl, .jsonl.gz), or a recipe (.yaml)");
    }

    /** The test split of a recipe's data section (its test_limit applied), as the recipe featurises it. */
    static ExampleSet fromRecipe(Recipe recipe) throws IOException {
        Recipe.DataSection d = recipe.data();
        int limit = d.testLimit() == null ? 0 : d.testLimit();
        if (!d.format().equals("jsonl")) {
            ExampleSet test = IdxDataset.load(d.dir()).test();
            return limit == 0 || limit >= test.size() ? test : org.distill4j.data.ExampleSets.slice(test, 0, limit);
        }
        TextExampleSet test = texts(d).test();
        return limit == 0 || limit >= test.size() ? test : head(test, limit);
    }

    /** The JSON Lines data set a recipe's data section names (by directory or by files). */
    private static JsonlTextDataset texts(Recipe.DataSection d) throws IOException {
        return d.dir() != null
                ? JsonlTextDataset.load(d.dir(), d.fields(), d.features())
                : JsonlTextDataset.load(d.train(), null, d.test(), d.fields(), d.features());
    }

    private static ExampleSet trainOf(Recipe recipe) throws IOException {
        Recipe.DataSection d = recipe.data();
        if (!d.format().equals("jsonl")) {
            return IdxDataset.load(d.dir()).train();
        }
        return texts(d).train();
    }

    private static TextExampleSet text(Path file, List<String> models) throws IOException {
        for (String spec : models) {
            if (spec.startsWith("http://") || spec.startsWith("https://")) {
                continue;
            }
            Path dir = Path.of(spec);
            Path descriptor = dir.resolve(SavedModel.DESCRIPTOR);
            if (!Files.isRegularFile(descriptor)) {
                continue;
            }
            ObjectMapper mapper = new ObjectMapper();
            JsonNode json = mapper.readTree(descriptor.toFile());
            JsonNode features = json.get("text_features");
            if (features == null || features.isNull()) {
                throw new IllegalArgumentException("--data " + file + " holds texts, but model " + dir
                        + " is not a model of text (its " + SavedModel.DESCRIPTOR
                        + " has no text_features): audit it on the data it was trained for");
            }
            List<String> classes = new ArrayList<>();
            json.get("class_names").forEach(c -> classes.add(c.asText()));
            // Probes are scored, never learnt from, so a label is optional (texts an API served have none).
            return JsonlTextDataset.loadUnlabelled(
                    file,
                    JsonlTextDataset.Fields.defaults(),
                    classes,
                    mapper.treeToValue(features, TextFeatures.class));
        }
        throw new IllegalArgumentException("--data " + file + " holds texts, and none of the audited models is a "
                + "distill4j model directory whose " + SavedModel.DESCRIPTOR + " says how text becomes features "
                + "(text_features): give the recipe instead (--data RECIPE.yaml), whose data section says it");
    }

    /**
     * The texts of a JSON Lines file ({@code .jsonl[.gz]}, a {@code text} field per line) or of a
     * JSON Lines directory's test split: the probes of a language model's watermark audit.
     *
     * @throws IllegalArgumentException naming the path, line or field when it holds no such texts
     */
    static List<String> texts(Path path) throws IOException {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = JsonlTextDataset.find(path, "test");
            if (file == null) {
                throw new IllegalArgumentException("--data " + path + " holds no test.jsonl[.gz]: give a JSON Lines "
                        + "file of texts (a \"text\" field per line)");
            }
        }
        String name = file.getFileName().toString();
        if (!Files.isRegularFile(file) || !(name.endsWith(".jsonl") || name.endsWith(".jsonl.gz"))) {
            throw new IllegalArgumentException("--data " + path + ": expected a JSON Lines file of texts (.jsonl, "
                    + ".jsonl.gz, a \"text\" field per line) or a directory holding test.jsonl[.gz]");
        }
        List<String> texts = new ArrayList<>();
        Path source = file;
        forEachJsonLine(file, (lineNo, node) -> {
            JsonNode t = node.get("text");
            if (t == null || !t.isTextual()) {
                throw new IllegalArgumentException(source + " line " + lineNo + ": expected a string field \"text\"");
            }
            texts.add(t.asText());
        });
        return texts;
    }

    /** What to do with one parsed line of a JSON Lines file. */
    @FunctionalInterface
    private interface JsonLine {
        void accept(int lineNo, JsonNode node);
    }

    /** Parses each non-blank line of a JSON Lines file; a line that is not JSON is an error naming it. */
    private static void forEachJsonLine(Path file, JsonLine action) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        try (java.io.BufferedReader r = reader(file)) {
            int lineNo = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = mapper.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException(
                            file + " line " + lineNo + ": not JSON (" + e.getOriginalMessage() + ")");
                }
                action.accept(lineNo, node);
            }
        }
    }

    /** Whether a JSON Lines file's first line is a feature row ({@code "features"}), as a query log writes them. */
    private static boolean holdsFeatureRows(Path file) throws IOException {
        try (java.io.BufferedReader r = reader(file)) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    try {
                        return new ObjectMapper().readTree(line).has("features");
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        return false; // the text reader names the file and line
                    }
                }
            }
        }
        return false;
    }

    private static java.io.BufferedReader reader(Path file) throws IOException {
        java.io.InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) {
            in = new java.util.zip.GZIPInputStream(in);
        }
        return new java.io.BufferedReader(new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Feature rows, one {@code {"features": [...]}} per line (what {@code distill serve
     * --record-queries} records for a dense model), shaped and named as the first audited model
     * directory's {@link SavedModel#DESCRIPTOR} says; unlabelled.
     */
    private static ExampleSet featureRows(Path file, List<String> models) throws IOException {
        JsonNode descriptor = null;
        for (String spec : models) {
            Path d = spec.startsWith("http://") || spec.startsWith("https://") ? null : Path.of(spec);
            if (d != null && Files.isRegularFile(d.resolve(SavedModel.DESCRIPTOR))) {
                descriptor = new ObjectMapper()
                        .readTree(d.resolve(SavedModel.DESCRIPTOR).toFile());
                break;
            }
        }
        if (descriptor == null) {
            throw new IllegalArgumentException("--data " + file + " holds feature rows, and none of the audited "
                    + "models is a distill4j model directory whose " + SavedModel.DESCRIPTOR + " says their shape "
                    + "and classes: give the clean teacher's directory (--teacher DIR)");
        }
        if (descriptor.hasNonNull("text_features")) {
            throw new IllegalArgumentException("--data " + file + " holds feature rows, but the audited models read "
                    + "text: record the texts (a text model's query log holds {\"text\": ...} lines)");
        }
        long[] shape = new long[descriptor.get("feature_shape").size()];
        long width = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = descriptor.get("feature_shape").get(i).asLong();
            width *= shape[i];
        }
        List<String> classes = new ArrayList<>();
        descriptor.get("class_names").forEach(c -> classes.add(c.asText()));
        java.util.List<float[]> rows = new ArrayList<>();
        long rowWidth = width;
        forEachJsonLine(file, (lineNo, node) -> {
            JsonNode f = node.get("features");
            if (f == null || !f.isArray() || f.size() != rowWidth) {
                throw new IllegalArgumentException(file + " line " + lineNo + ": expected \"features\", an array of "
                        + rowWidth + " numbers (the models' input shape " + java.util.Arrays.toString(shape)
                        + "), got "
                        + (f == null ? "no \"features\"" : f.isArray() ? f.size() + " values" : f.getNodeType()));
            }
            float[] row = new float[(int) rowWidth];
            for (int j = 0; j < row.length; j++) {
                if (!f.get(j).isNumber()) {
                    throw new IllegalArgumentException(
                            file + " line " + lineNo + ": features[" + j + "] is " + f.get(j) + ", expected a number");
                }
                row[j] = f.get(j).floatValue();
            }
            rows.add(row);
        });
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no feature rows");
        }
        float[] x = new float[(int) (rows.size() * width)];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, x, (int) (i * width), (int) width);
        }
        int[] labels = new int[rows.size()];
        java.util.Arrays.fill(labels, ExampleSet.UNLABELED);
        return new org.distill4j.data.InMemoryExampleSet(file.getFileName().toString(), shape, x, labels, classes);
    }

    private static TextExampleSet head(TextExampleSet set, int n) {
        List<String> texts = new ArrayList<>();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            texts.add(set.text(i));
            labels[i] = set.label(i);
        }
        return new TextExampleSet(set.name() + "[0:" + n + "]", texts, null, labels, set.classNames(), set.features());
    }
}
