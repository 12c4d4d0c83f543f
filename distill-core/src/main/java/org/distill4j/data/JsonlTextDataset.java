package org.distill4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.distill4j.io.BoundedLineReader;
import org.distill4j.io.LineReadException;

/**
 * A labelled text data set in JSON Lines: up to three files ({@code train}, optional {@code
 * validation}, {@code test}), each {@code .jsonl} or gzip-compressed {@code .jsonl.gz}, one JSON
 * object per line such as {@code {"id": "vim", "text": "Vi IMproved ...", "label": "editors"}}.
 *
 * <p>Contract: the text and label fields (names configurable, see {@link Fields}) are required
 * strings; the id field is optional (a string or a number). Blank lines are skipped; every other
 * line must be one JSON object. The class names are the sorted (by {@link String#compareTo})
 * distinct labels of the training file, so class ids do not depend on row order; a validation or
 * test label that the training file lacks is an error, not a new class. Line numbers in messages
 * are 1-based and count blank lines.
 *
 * <p>Errors: a missing file is a {@link MissingDataException} that names the expected file names
 * and where the bundled data set lives; a malformed line is a {@link CorruptDataException} naming
 * the file, the line and what was expected; an unknown label is a {@link DataException} naming the
 * file, the line and the label.
 *
 * @param train the training rows; their labels define the classes
 * @param validation the validation rows, or null when the source has none
 * @param test the test rows
 */
public record JsonlTextDataset(TextExampleSet train, TextExampleSet validation, TextExampleSet test) {

    /** Where the bundled data set is, relative to the repository root, for error messages. */
    public static final String BUNDLED = "../shared/data/debian-descriptions/";

    // A key given twice in one row is refused rather than silently taking the last value.
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /**
     * The names of the JSON fields a row is read from.
     *
     * @param text field holding the text; default {@code text}
     * @param label field holding the label; default {@code label}
     * @param id field holding the row's id, optional in every row; default {@code id}
     */
    public record Fields(String text, String label, String id) {

        /** Fills defaults and requires distinct, non-blank names. */
        public Fields {
            text = text == null ? "text" : text;
            label = label == null ? "label" : label;
            id = id == null ? "id" : id;
            for (String[] f : new String[][] {{"text_field", text}, {"label_field", label}, {"id_field", id}}) {
                if (f[1].isBlank()) {
                    throw new IllegalArgumentException(
                            "illegal " + f[0] + " value: '" + f[1] + "', must be a non-blank JSON field name");
                }
            }
            if (text.equals(label)) {
                throw new IllegalArgumentException(
                        "text_field and label_field are both '" + text + "'; they must name different fields");
            }
        }

        /** The defaults: {@code text}, {@code label}, {@code id}. */
        public static Fields defaults() {
            return new Fields(null, null, null);
        }
    }

    /** Requires the training and test sets, with the same classes and featurisation everywhere. */
    public JsonlTextDataset {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        for (TextExampleSet other : validation == null ? List.of(test) : List.of(validation, test)) {
            if (!other.classNames().equals(train.classNames())
                    || !other.features().equals(train.features())) {
                throw new IllegalArgumentException(other.name() + " has classes " + other.classNames() + " and "
                        + other.features() + ", expected the training set's " + train.classNames() + " and "
                        + train.features());
            }
        }
    }

    /**
     * Returns the file of one split in {@code dir}: {@code <split>.jsonl} or {@code
     * <split>.jsonl.gz}, whichever exists, else null.
     *
     * @throws DataException if both exist: which one is meant is ambiguous, and silently taking one
     *     would train on data the user may not mean
     */
    public static Path find(Path dir, String split) throws DataException {
        Path plain = dir.resolve(split + ".jsonl");
        Path gz = dir.resolve(split + ".jsonl.gz");
        boolean hasPlain = Files.isRegularFile(plain);
        boolean hasGz = Files.isRegularFile(gz);
        if (hasPlain && hasGz) {
            throw new DataException(
                    dir,
                    "JSONL data directory " + dir + " has both " + plain.getFileName() + " and " + gz.getFileName()
                            + ", expected one file per split; remove or rename the one not meant");
        }
        return hasPlain ? plain : hasGz ? gz : null;
    }

    /**
     * Loads {@code train}, {@code validation} (optional) and {@code test} from a directory, each
     * as {@code .jsonl} or {@code .jsonl.gz} (see {@link #find}).
     *
     * @param dir the data directory
     * @param fields the JSON field names
     * @param features how texts become features
     * @throws MissingDataException if the directory, the training or the test file is missing
     * @throws DataException if a file is malformed or has labels the training file lacks
     */
    public static JsonlTextDataset load(Path dir, Fields fields, TextFeatures features) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new MissingDataException(
                    dir,
                    "JSONL data directory " + dir + " does not exist; expected a "
                            + "directory holding train.jsonl[.gz], test.jsonl[.gz] and optionally validation.jsonl[.gz]. "
                            + howToGet());
        }
        Path train = find(dir, "train");
        Path test = find(dir, "test");
        for (Object[] split : new Object[][] {{"train", train}, {"test", test}}) {
            if (split[1] == null) {
                throw new MissingDataException(
                        dir.resolve(split[0] + ".jsonl"),
                        "JSONL data directory " + dir
                                + " has neither " + split[0] + ".jsonl nor " + split[0] + ".jsonl.gz; expected "
                                + "train.jsonl[.gz], test.jsonl[.gz] and optionally validation.jsonl[.gz]. "
                                + howToGet());
            }
        }
        return load(train, find(dir, "validation"), test, fields, features);
    }

    /**
     * Loads explicitly named files.
     *
     * @param train the training file; its labels define the classes
     * @param validation the validation file, or null for none
     * @param test the test file
     * @param fields the JSON field names
     * @param features how texts become features
     * @throws MissingDataException if a named file is missing
     * @throws DataException if a file is malformed or has labels the training file lacks
     */
    public static JsonlTextDataset load(Path train, Path validation, Path test, Fields fields, TextFeatures features)
            throws IOException {
        Rows trainRows = read(train, fields);
        List<String> classNames = List.copyOf(new TreeSet<>(trainRows.labels));
        if (classNames.size() < 2) {
            throw new DataException(
                    train,
                    train + ": " + classNames.size() + " distinct label(s) " + classNames + " in field '"
                            + fields.label() + "', expected at least 2 classes");
        }
        Map<String, Integer> classIds = new HashMap<>();
        for (int c = 0; c < classNames.size(); c++) {
            classIds.put(classNames.get(c), c);
        }
        TextExampleSet trainSet = trainRows.toSet(classIds, classNames, features);
        TextExampleSet validationSet =
                validation == null ? null : read(validation, fields).toSet(classIds, classNames, features);
        TextExampleSet testSet = read(test, fields).toSet(classIds, classNames, features);
        return new JsonlTextDataset(trainSet, validationSet, testSet);
    }

    /**
     * Reads one file into a set whose classes are {@code classNames} (e.g. another file's).
     *
     * @throws DataException if a label is not one of {@code classNames}
     */
    public static TextExampleSet load(Path file, Fields fields, List<String> classNames, TextFeatures features)
            throws IOException {
        Map<String, Integer> classIds = new HashMap<>();
        for (int c = 0; c < classNames.size(); c++) {
            classIds.put(classNames.get(c), c);
        }
        return read(file, fields).toSet(classIds, classNames, features);
    }

    /**
     * Reads one file of texts to be scored, not learnt from (an audit's probes, the texts an API
     * served): a line's label is optional. A line without the label field (or with {@code null})
     * is {@link ExampleSet#UNLABELED}; a label that is present must be one of {@code classNames},
     * as in {@link #load(Path, Fields, List, TextFeatures)}.
     *
     * @throws DataException if the file is malformed or a label present is not one of {@code classNames}
     */
    public static TextExampleSet loadUnlabelled(
            Path file, Fields fields, List<String> classNames, TextFeatures features) throws IOException {
        Map<String, Integer> classIds = new HashMap<>();
        for (int c = 0; c < classNames.size(); c++) {
            classIds.put(classNames.get(c), c);
        }
        return read(file, fields, BoundedLineReader.DEFAULT_MAX_LINE_CHARS, true)
                .toSet(classIds, classNames, features);
    }

    /** As {@link #load(Path, Fields, List, TextFeatures)}, refusing lines longer than {@code maxLineChars}. */
    public static TextExampleSet load(
            Path file, Fields fields, List<String> classNames, TextFeatures features, int maxLineChars)
            throws IOException {
        Map<String, Integer> classIds = new HashMap<>();
        for (int c = 0; c < classNames.size(); c++) {
            classIds.put(classNames.get(c), c);
        }
        return read(file, fields, maxLineChars).toSet(classIds, classNames, features);
    }

    private static String howToGet() {
        return "The bundled data set (Debian package descriptions by archive section) lives in " + BUNDLED
                + " relative to the repository root; see its README.md.";
    }

    /** The rows of one file, as read, before labels become class ids. */
    private record Rows(Path file, List<String> texts, List<String> ids, List<String> labels, List<Integer> lines) {

        TextExampleSet toSet(Map<String, Integer> classIds, List<String> classNames, TextFeatures features)
                throws DataException {
            int[] y = new int[labels.size()];
            for (int i = 0; i < y.length; i++) {
                if (labels.get(i) == null) {
                    y[i] = ExampleSet.UNLABELED;
                    continue;
                }
                Integer c = classIds.get(labels.get(i));
                if (c == null) {
                    throw new DataException(
                            file,
                            file + ", line " + lines.get(i) + ": label '" + labels.get(i)
                                    + "' does not occur in the training file, whose " + classNames.size()
                                    + " labels are the classes; expected one of " + abbreviate(classNames));
                }
                y[i] = c;
            }
            boolean anyId = ids.stream().anyMatch(Objects::nonNull);
            return new TextExampleSet(name(file), texts, anyId ? ids : null, y, classNames, features);
        }
    }

    private static Rows read(Path file, Fields fields) throws IOException {
        return read(file, fields, BoundedLineReader.DEFAULT_MAX_LINE_CHARS, false);
    }

    private static Rows read(Path file, Fields fields, int maxLineChars) throws IOException {
        return read(file, fields, maxLineChars, false);
    }

    private static Rows read(Path file, Fields fields, int maxLineChars, boolean labelsOptional) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new MissingDataException(
                    file,
                    "JSONL file " + file + " does not exist; expected one JSON object " + "per line with fields '"
                            + fields.text() + "' and '" + fields.label() + "'. " + howToGet());
        }
        List<String> texts = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        int lineNo = 0;
        // Lines are bounded while they are read (a gzip bomb fails at the bound, not at the heap's
        // end); BoundedLineReader names the file and the exact line of any failure.
        try (BoundedLineReader reader = BoundedLineReader.open(file, maxLineChars)) {
            for (String line; (line = reader.readLine()) != null; ) {
                lineNo = (int) reader.lineNumber();
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    String msg = e.getOriginalMessage();
                    if (msg != null && msg.startsWith("Duplicate field")) {
                        throw corrupt(
                                file,
                                lineNo,
                                "has a " + msg.replace("Duplicate field", "duplicate field")
                                        + " (which value is meant is ambiguous)",
                                fields);
                    }
                    throw corrupt(
                            file,
                            lineNo,
                            "is not valid JSON (" + org.distill4j.io.Snippets.clip(msg, 200) + ")",
                            fields);
                }
                if (node == null || !node.isObject()) {
                    throw corrupt(file, lineNo, "is not a JSON object", fields);
                }
                texts.add(stringField(node, fields.text(), file, lineNo, fields));
                JsonNode label = node.get(fields.label());
                labels.add(
                        labelsOptional && (label == null || label.isNull())
                                ? null
                                : stringField(node, fields.label(), file, lineNo, fields));
                JsonNode id = node.get(fields.id());
                if (id == null || id.isNull()) {
                    ids.add(null);
                } else if (id.isTextual() || id.isIntegralNumber()) {
                    ids.add(id.asText());
                } else {
                    throw corrupt(
                            file,
                            lineNo,
                            "has field '" + fields.id() + "' of type "
                                    + id.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)
                                    + ", expected a string or an integer id",
                            fields);
                }
                lines.add(lineNo);
            }
        } catch (LineReadException e) {
            String expected = switch (e.kind()) {
                case BROKEN_GZIP -> "; expected a complete gzip-compressed JSONL file";
                case NOT_UTF8 -> "; expected UTF-8 JSON";
                case TOO_LONG -> "";
            };
            throw new CorruptDataException(file, e.getMessage() + expected, e);
        }
        if (texts.isEmpty()) {
            throw new CorruptDataException(file, file + ": no rows, expected at least one JSON object line");
        }
        return new Rows(file, texts, ids, labels, lines);
    }

    private static String stringField(JsonNode node, String field, Path file, int line, Fields fields)
            throws CorruptDataException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw corrupt(file, line, "has no field '" + field + "'", fields);
        }
        if (!v.isTextual()) {
            throw corrupt(
                    file,
                    line,
                    "has field '" + field + "' of type "
                            + v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT) + ", expected a string",
                    fields);
        }
        return v.asText();
    }

    private static CorruptDataException corrupt(Path file, int line, String what, Fields fields) {
        return new CorruptDataException(
                file,
                file + ", line " + line + ": " + what + "; expected one JSON object "
                        + "per line with string fields '" + fields.text() + "' and '" + fields.label()
                        + "' (and optionally '"
                        + fields.id() + "')");
    }

    private static String name(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        String base = file.getFileName().toString().replaceFirst("\\.jsonl(\\.gz)?$", "");
        return dir == null || dir.getFileName() == null ? base : dir.getFileName() + "/" + base;
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 20 ? names.toString() : names.subList(0, 20) + " (and " + (names.size() - 20) + " more)";
    }
}
