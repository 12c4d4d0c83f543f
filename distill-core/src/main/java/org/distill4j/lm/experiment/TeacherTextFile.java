package org.distill4j.lm.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.distill4j.data.CorruptDataException;
import org.distill4j.io.AtomicFiles;
import org.distill4j.lm.corpus.Document;

/**
 * Text an in-process teacher generated, kept in the cache directory so that a rerun (another
 * seed's student, a resumed run) reads it instead of generating it again, as the HTTP teacher's
 * text is journaled. Gzipped JSON Lines: a header {@code {"key": ..., "documents": n}}, then one
 * {@code {"source", "text"}} object a document; written atomically once the text is complete, so a
 * file that exists is whole. The key names everything the text depends on (teacher, prompt
 * documents, tokenizer, prompt bytes, new tokens, seed, tokens asked for).
 */
final class TeacherTextFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TeacherTextFile() {}

    /** Writes {@code documents} under {@code key}, atomically. */
    static void write(Path file, String key, List<Document> documents) throws IOException {
        AtomicFiles.write(file, out -> {
            GZIPOutputStream gz = new GZIPOutputStream(out);
            Writer w = new OutputStreamWriter(gz, StandardCharsets.UTF_8);
            w.write(JSON.writeValueAsString(Map.of("key", key, "documents", documents.size())));
            w.write('\n');
            for (Document d : documents) {
                w.write(JSON.writeValueAsString(Map.of("source", d.source(), "text", d.text())));
                w.write('\n');
            }
            w.flush();
            gz.finish(); // the trailer, without closing the stream AtomicFiles still forces to disk
        });
    }

    /**
     * Reads the documents written under {@code key}.
     *
     * @throws CorruptDataException if the file holds another key, fewer or more documents than its
     *     header says, or is not gzipped JSON Lines; the message names the file
     */
    static List<Document> read(Path file, String key) throws IOException {
        List<Document> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
            JsonNode header = JSON.readTree(r.readLine());
            if (header == null || !key.equals(header.path("key").asText(null))) {
                throw new CorruptDataException(
                        file,
                        file + " holds teacher text of another key ("
                                + (header == null ? "none" : header.path("key").asText())
                                + "); delete it to generate again");
            }
            for (String line; (line = r.readLine()) != null; ) {
                JsonNode d = JSON.readTree(line);
                out.add(new Document(d.get("source").asText(), d.get("text").asText()));
            }
            if (out.size() != header.path("documents").asInt(-1)) {
                throw new CorruptDataException(
                        file,
                        file + " holds " + out.size() + " documents, its header says " + header.path("documents")
                                + "; delete it to generate again");
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof CorruptDataException c) {
                throw c;
            }
            throw new CorruptDataException(
                    file,
                    "unreadable teacher text " + file + " (" + e.getMessage() + "); delete it to generate again",
                    e);
        }
        return out;
    }
}
