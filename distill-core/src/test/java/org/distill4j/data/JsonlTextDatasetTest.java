package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTextDatasetTest {

    @TempDir
    Path dir;

    private static final TextFeatures FEATURES = TextFeatures.of(16, 2, 0, 0, true);

    static void write(Path file, String... lines) throws IOException {
        byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        if (file.getFileName().toString().endsWith(".gz")) {
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
                out.write(bytes);
            }
        } else {
            Files.write(file, bytes);
        }
    }

    @Test
    void loadsGzipAndPlainSplitsWithSortedTrainingLabelsAsClasses() throws IOException {
        write(
                dir.resolve("train.jsonl.gz"),
                "{\"id\": \"vim\", \"text\": \"Vi IMproved, a text editor\", \"label\": \"editors\"}",
                "",
                "{\"id\": \"gnuchess\", \"text\": \"chess engine\", \"label\": \"games\"}",
                "{\"id\": 7, \"text\": \"another editor\", \"label\": \"editors\", \"extra\": [1, 2]}");
        write(dir.resolve("test.jsonl"), "{\"text\": \"a chess game\", \"label\": \"games\"}");

        JsonlTextDataset data = JsonlTextDataset.load(dir, JsonlTextDataset.Fields.defaults(), FEATURES);

        TextExampleSet train = data.train();
        assertThat(train.size()).isEqualTo(3);
        assertThat(train.classNames()).containsExactly("editors", "games");
        assertThat(train.label(0)).isZero();
        assertThat(train.label(1)).isEqualTo(1);
        assertThat(train.text(1)).isEqualTo("chess engine");
        assertThat(train.id(0)).isEqualTo("vim");
        assertThat(train.id(2)).isEqualTo("7");
        assertThat(train.featureShape()).containsExactly(16);
        assertThat(train.name()).endsWith("/train");
        float[] row = new float[16];
        train.copyFeatures(new int[] {1}, row);
        assertThat(row).isEqualTo(FEATURES.featurize("chess engine"));
        assertThat(data.validation()).isNull();
        assertThat(data.test().classNames()).isEqualTo(train.classNames());
        assertThat(data.test().label(0)).isEqualTo(1);
        assertThat(data.test().id(0)).isNull();
    }

    @Test
    void readsConfiguredFieldNamesAndAValidationFile() throws IOException {
        write(
                dir.resolve("train.jsonl"),
                "{\"name\": \"a\", \"body\": \"x y\", \"section\": \"b\"}",
                "{\"name\": \"b\", \"body\": \"z\", \"section\": \"a\"}");
        write(dir.resolve("validation.jsonl"), "{\"body\": \"x\", \"section\": \"a\"}");
        write(dir.resolve("test.jsonl.gz"), "{\"body\": \"y\", \"section\": \"b\"}");

        JsonlTextDataset data =
                JsonlTextDataset.load(dir, new JsonlTextDataset.Fields("body", "section", "name"), FEATURES);

        assertThat(data.train().id(1)).isEqualTo("b");
        assertThat(data.train().classNames()).containsExactly("a", "b");
        assertThat(data.train().label(0)).isEqualTo(1);
        assertThat(data.validation().text(0)).isEqualTo("x");
        assertThat(data.test().text(0)).isEqualTo("y");
    }

    @Test
    void slicesAndSubsetsKeepTheText() throws IOException {
        write(
                dir.resolve("train.jsonl"),
                "{\"text\": \"one\", \"label\": \"a\"}",
                "{\"text\": \"two\", \"label\": \"b\"}",
                "{\"text\": \"three\", \"label\": \"a\"}");
        write(dir.resolve("test.jsonl"), "{\"text\": \"four\", \"label\": \"b\"}");
        TextExampleSet train = JsonlTextDataset.load(dir, JsonlTextDataset.Fields.defaults(), FEATURES)
                .train();

        assertThat(ExampleSets.slice(train, 1, 3).text(1)).isEqualTo("three");
        assertThat(ExampleSets.withoutLabels(train).text(0)).isEqualTo("one");
        assertThat(ExampleSets.withoutLabels(train).label(0)).isEqualTo(ExampleSet.UNLABELED);
    }

    @Test
    void missingDirectoryOrFileSaysWhatIsExpectedAndWhereTheBundledDataLives() throws IOException {
        Path absent = dir.resolve("nope");
        assertThatThrownBy(() -> JsonlTextDataset.load(absent, JsonlTextDataset.Fields.defaults(), FEATURES))
                .isInstanceOf(MissingDataException.class)
                .hasMessageContaining(absent.toString())
                .hasMessageContaining("train.jsonl[.gz]")
                .hasMessageContaining("../shared/data/debian-descriptions/");

        write(
                dir.resolve("train.jsonl"),
                "{\"text\": \"one\", \"label\": \"a\"}",
                "{\"text\": \"two\", \"label\": \"b\"}");
        assertThatThrownBy(() -> JsonlTextDataset.load(dir, JsonlTextDataset.Fields.defaults(), FEATURES))
                .isInstanceOf(MissingDataException.class)
                .hasMessageContaining("test.jsonl")
                .hasMessageContaining("debian-descriptions");

        Path test = dir.resolve("elsewhere.jsonl");
        assertThatThrownBy(() -> JsonlTextDataset.load(
                        dir.resolve("train.jsonl"), null, test, JsonlTextDataset.Fields.defaults(), FEATURES))
                .isInstanceOf(MissingDataException.class)
                .hasMessageContaining(test.toString());
    }

    @Test
    void textsToScoreMayComeWithoutLabelsButALabelGivenMustBeAClass() throws IOException {
        Path served = dir.resolve("served.jsonl");
        write(
                served,
                "{\"text\": \"a chess game\"}",
                "{\"text\": \"an editor\", \"label\": \"a\"}",
                "{\"text\": \"a game\", \"label\": null}");
        TextExampleSet set = JsonlTextDataset.loadUnlabelled(
                served, JsonlTextDataset.Fields.defaults(), List.of("a", "b"), FEATURES);
        assertThat(set.size()).isEqualTo(3);
        assertThat(set.label(0)).isEqualTo(ExampleSet.UNLABELED);
        assertThat(set.label(1)).isZero();
        assertThat(set.label(2)).isEqualTo(ExampleSet.UNLABELED);
        assertThat(set.text(0)).isEqualTo("a chess game");
        // Data to learn from still needs its labels, and a label present is still checked.
        assertThatThrownBy(() ->
                        JsonlTextDataset.load(served, JsonlTextDataset.Fields.defaults(), List.of("a", "b"), FEATURES))
                .hasMessageContaining("line 1: has no field 'label'");
        write(served, "{\"text\": \"t\", \"label\": \"c\"}");
        assertThatThrownBy(() -> JsonlTextDataset.loadUnlabelled(
                        served, JsonlTextDataset.Fields.defaults(), List.of("a", "b"), FEATURES))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("line 1: label 'c' does not occur");
        write(served, "{\"text\": \"t\", \"label\": 3}");
        assertThatThrownBy(() -> JsonlTextDataset.loadUnlabelled(
                        served, JsonlTextDataset.Fields.defaults(), List.of("a", "b"), FEATURES))
                .hasMessageContaining("has field 'label' of type number");
    }

    @Test
    void malformedLinesNameFileLineAndWhatWasExpected() throws IOException {
        String good = "{\"text\": \"t\", \"label\": \"a\"}";
        String[][] cases = {
            {"{\"text\": \"t\", \"label\": ", "line 2: is not valid JSON"},
            {"[1, 2]", "line 2: is not a JSON object"},
            {"{\"label\": \"a\"}", "line 2: has no field 'text'"},
            {"{\"text\": \"t\"}", "line 2: has no field 'label'"},
            {"{\"text\": 5, \"label\": \"a\"}", "line 2: has field 'text' of type number, expected a string"},
            {"{\"text\": \"t\", \"label\": 3}", "line 2: has field 'label' of type number, expected a string"},
            {"{\"text\": \"t\", \"label\": \"a\", \"id\": {}}", "line 2: has field 'id' of type object"},
        };
        for (String[] c : cases) {
            Path file = dir.resolve("bad.jsonl");
            write(file, good, c[0], good);
            assertThatThrownBy(() -> JsonlTextDataset.load(
                            file, JsonlTextDataset.Fields.defaults(), List.of("a", "b"), FEATURES))
                    .as(c[0])
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining(c[1])
                    .hasMessageContaining("expected one JSON object per line with string fields 'text' and 'label'");
        }
    }

    @Test
    void emptyOrBrokenGzipFilesAreCorrupt() throws IOException {
        Path empty = dir.resolve("empty.jsonl");
        Files.writeString(empty, "\n\n");
        assertThatThrownBy(() ->
                        JsonlTextDataset.load(empty, JsonlTextDataset.Fields.defaults(), List.of("a", "b"), FEATURES))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("no rows");

        Path gz = dir.resolve("cut.jsonl.gz");
        write(gz, "{\"text\": \"t\", \"label\": \"a\"}".repeat(1).split("\n"));
        byte[] bytes = Files.readAllBytes(gz);
        Files.write(gz, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() ->
                        JsonlTextDataset.load(gz, JsonlTextDataset.Fields.defaults(), List.of("a", "b"), FEATURES))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(gz.toString())
                .hasMessageContaining("gzip");
    }

    @Test
    void aTestLabelTheTrainingFileLacksIsAnErrorNamingFileLineAndLabel() throws IOException {
        write(
                dir.resolve("train.jsonl"),
                "{\"text\": \"one\", \"label\": \"a\"}",
                "{\"text\": \"two\", \"label\": \"b\"}");
        write(
                dir.resolve("validation.jsonl"),
                "{\"text\": \"x\", \"label\": \"a\"}",
                "{\"text\": \"y\", \"label\": \"zope\"}");
        write(dir.resolve("test.jsonl"), "{\"text\": \"four\", \"label\": \"b\"}");

        assertThatThrownBy(() -> JsonlTextDataset.load(dir, JsonlTextDataset.Fields.defaults(), FEATURES))
                .isInstanceOf(DataException.class)
                .isNotInstanceOf(CorruptDataException.class)
                .hasMessageContaining(dir.resolve("validation.jsonl").toString())
                .hasMessageContaining("line 2")
                .hasMessageContaining("label 'zope'")
                .hasMessageContaining("[a, b]");
    }

    @Test
    void aTrainingFileWithOneLabelIsRejected() throws IOException {
        write(dir.resolve("train.jsonl"), "{\"text\": \"one\", \"label\": \"a\"}");
        write(dir.resolve("test.jsonl"), "{\"text\": \"one\", \"label\": \"a\"}");
        assertThatThrownBy(() -> JsonlTextDataset.load(dir, JsonlTextDataset.Fields.defaults(), FEATURES))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("at least 2 classes");
    }

    @Test
    void contentHashCoversTextLabelOrderAndFeatures() {
        List<String> classes = List.of("a", "b");
        TextExampleSet base = new TextExampleSet("s", List.of("x y", "z"), null, new int[] {0, 1}, classes, FEATURES);
        TextExampleSet same = new TextExampleSet(
                "other name", List.of("x y", "z"), List.of("1", "2"), new int[] {0, 1}, classes, FEATURES);
        assertThat(same.contentHash()).isEqualTo(base.contentHash());

        List<TextExampleSet> variants = List.of(
                new TextExampleSet("s", List.of("x  y", "z"), null, new int[] {0, 1}, classes, FEATURES),
                new TextExampleSet("s", List.of("x y", "z"), null, new int[] {0, 0}, classes, FEATURES),
                new TextExampleSet("s", List.of("z", "x y"), null, new int[] {1, 0}, classes, FEATURES),
                new TextExampleSet(
                        "s", List.of("x y", "z"), null, new int[] {0, 1}, classes, TextFeatures.of(16, 1, 0, 0, true)),
                new TextExampleSet(
                        "s", List.of("x y", "z"), null, new int[] {0, 1}, classes, TextFeatures.of(16, 2, 0, 0, false)),
                new TextExampleSet("s", List.of("x y", "z"), null, new int[] {0, 1}, List.of("a", "c"), FEATURES));
        for (TextExampleSet v : variants) {
            assertThat(v.contentHash()).as(v.toString()).isNotEqualTo(base.contentHash());
        }
        // Texts are length-prefixed: moving a boundary between rows changes the hash.
        TextExampleSet shifted =
                new TextExampleSet("s", List.of("x", " yz"), null, new int[] {0, 1}, classes, FEATURES);
        assertThat(shifted.contentHash())
                .isNotEqualTo(new TextExampleSet("s", List.of("x ", "yz"), null, new int[] {0, 1}, classes, FEATURES)
                        .contentHash());
    }

    @Test
    void rejectsInconsistentConstructorArguments() {
        assertThatThrownBy(() ->
                        new TextExampleSet("s", List.of("x"), null, new int[] {0, 1}, List.of("a", "b"), FEATURES))
                .hasMessageContaining("2 labels for 1 texts");
        assertThatThrownBy(
                        () -> new TextExampleSet("s", List.of("x"), null, new int[] {2}, List.of("a", "b"), FEATURES))
                .hasMessageContaining("label 2 of row 0");
    }
}
