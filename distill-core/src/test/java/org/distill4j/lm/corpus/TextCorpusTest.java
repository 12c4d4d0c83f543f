package org.distill4j.lm.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.distill4j.data.CorruptDataException;
import org.distill4j.data.DataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextCorpusTest {

    @TempDir
    Path dir;

    @Test
    void readsJsonlTextFieldsAndSkipsBlankLinesAndBlankDocuments() throws Exception {
        Path f = write(
                "a.jsonl",
                "{\"text\":\"first doc\",\"label\":\"x\"}\n\n{\"text\":\"  \"}\r\n{\"text\":\"sé\\ncond\"}\n");
        TextCorpus c = TextCorpus.read(List.of(f));
        assertThat(c.documents()).extracting(Document::text).containsExactly("first doc", "sé\ncond");
        assertThat(c.documents().get(1).source()).isEqualTo(f + ":4");
        assertThat(c.skippedEmpty()).isEqualTo(1);
        assertThat(c.bytes()).isEqualTo(9 + 8);
        assertThat(c.contentHash()).hasSize(64);
    }

    @Test
    void readsGzipAndPlainTextParagraphs() throws Exception {
        Path gz = dir.resolve("b.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write("{\"text\":\"zipped\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        Path txt = write("c.txt", "para one\nline two\n\n\n\npara two\n");
        TextCorpus c = TextCorpus.read(List.of(gz, txt));
        assertThat(c.documents())
                .extracting(Document::text)
                .containsExactly("zipped", "para one\nline two", "para two");
        assertThat(c.documents().get(2).source()).isEqualTo(txt + ":6");
    }

    @Test
    void refusesInvalidUtf8NamingFileAndLineOrReplacesAndCounts() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write("{\"text\":\"ok\"}\n{\"text\":\"bad ".getBytes(StandardCharsets.UTF_8));
        b.write(new byte[] {(byte) 0xC3, (byte) 0x28});
        b.write("\"}\n".getBytes(StandardCharsets.UTF_8));
        Path f = dir.resolve("bad.jsonl");
        Files.write(f, b.toByteArray());
        assertThatThrownBy(() -> TextCorpus.read(List.of(f)))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(f + ":2")
                .hasMessageContaining("invalid UTF-8");
        TextCorpus c = TextCorpus.read(List.of(f), TextCorpus.Options.defaults().withUtf8(Utf8Policy.REPLACE));
        assertThat(c.replacedLines()).isEqualTo(1);
        assertThat(c.documents().get(1).text()).isEqualTo("bad \uFFFD(");
    }

    @Test
    void emptyCorpusIsAClearError() throws Exception {
        Path empty = write("empty.jsonl", "\n\n");
        Path blank = write("blank.jsonl", "{\"text\":\"\"}\n");
        assertThatThrownBy(() -> TextCorpus.read(List.of(empty, blank)))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("empty corpus")
                .hasMessageContaining("empty.jsonl")
                .hasMessageContaining("1 blank documents skipped");
    }

    @Test
    void malformedLinesNameFileLineAndWhatWasExpected() throws Exception {
        Path notJson = write("n.jsonl", "{\"text\":\"ok\"}\nnot json\n");
        assertThatThrownBy(() -> TextCorpus.read(List.of(notJson)))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(notJson + ":2: not valid JSON");
        Path noField = write("f.jsonl", "{\"body\":\"x\"}\n");
        assertThatThrownBy(() -> TextCorpus.read(List.of(noField)))
                .hasMessageContaining(noField + ":1")
                .hasMessageContaining("\"text\" field, got no such field");
        Path number = write("g.jsonl", "{\"text\":3}\n");
        assertThatThrownBy(() -> TextCorpus.read(List.of(number))).hasMessageContaining("got a NUMBER value");
        Path longLine = write("l.txt", "short\n" + "x".repeat(100) + "\n");
        assertThatThrownBy(() -> TextCorpus.read(
                        List.of(longLine), TextCorpus.Options.defaults().withMaxLineBytes(50)))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(longLine + ":2: line longer than 50 bytes");
        assertThatThrownBy(() -> TextCorpus.read(List.of(dir.resolve("missing.jsonl"))))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("missing.jsonl does not exist");
    }

    @Test
    void stopsAfterTheByteLimit() throws Exception {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            s.append("{\"text\":\"document number ").append(i).append("\"}\n");
        }
        Path f = write("many.jsonl", s.toString());
        TextCorpus c = TextCorpus.read(List.of(f), TextCorpus.Options.defaults().withMaxBytes(100));
        assertThat(c.bytes()).isBetween(100L, 120L);
        assertThat(c.documents()).hasSizeLessThan(10);
    }

    @Test
    void readsAFewHundredKilobytesOfTheDebianDescriptions() throws Exception {
        Path train = DebianCorpus.trainFile();
        assumeTrue(Files.isRegularFile(train), "no Debian descriptions at " + train);
        TextCorpus c =
                TextCorpus.read(List.of(train), TextCorpus.Options.defaults().withMaxBytes(300_000));
        assertThat(c.bytes()).isBetween(300_000L, 310_000L);
        assertThat(c.documents().size()).isGreaterThan(200);
        assertThat(c.documents().get(0).text()).startsWith("Real-time strategy game");
    }

    private Path write(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }
}
