package org.distill4j.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a classifier served, per client: the inputs the server answered, one JSON object per line in
 * {@code DIR/<model>/<client>.jsonl}, {@code {"text": "..."}} for a text model and {@code
 * {"features": [...]}} (the row as the model saw it, flattened; floats written so they read back
 * bit for bit) for a dense one. It exists for the watermark audit: a model distilled from served
 * outputs carries the watermark most strongly on the very inputs it learnt from, and {@code distill
 * audit --watermark-key-file F --data DIR/<model>/<client>.jsonl} probes with them
 * (docs/audit.md). Clients are named as {@link ClientRequest#client()} names them (a key's
 * fingerprint, never the key; or an address), with characters outside {@code [A-Za-z0-9._-]} as
 * {@code _}.
 *
 * <p>Each client's file keeps its first {@code maxRowsPerClient} rows (the audit needs at most
 * 10,000; later rows are counted, not written), so disk use is bounded by clients times that cap. A
 * request's rows are written and flushed together, after the answer was computed, so the file
 * holds whole lines of answered requests; a line torn by a crash is cut off when the file is next
 * opened. An existing file is appended to, its rows counted against the cap. Off unless the server
 * is given one ({@code distill serve --record-queries DIR}): it stores what clients sent.
 * Thread-safe.
 */
public final class ServedQueryLog implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(ServedQueryLog.class);
    // One generator per line over the file's writer: it must neither close nor flush the writer.
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_TARGET)
            .disable(com.fasterxml.jackson.core.StreamWriteFeature.FLUSH_PASSED_TO_STREAM)
            .build();

    private final Path dir;
    private final long maxRowsPerClient;
    private final Map<String, ClientFile> files = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private ServedQueryLog(Path dir, long maxRowsPerClient) {
        this.dir = dir;
        this.maxRowsPerClient = maxRowsPerClient;
    }

    /**
     * Opens a log under {@code dir} (created if missing).
     *
     * @param maxRowsPerClient rows kept per client and model, at least 1
     * @throws IOException naming {@code dir} when it cannot be created or is not a directory
     */
    public static ServedQueryLog open(Path dir, long maxRowsPerClient) throws IOException {
        if (maxRowsPerClient < 1) {
            throw new IllegalArgumentException("maxRowsPerClient must be at least 1, got " + maxRowsPerClient);
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException(dir + " exists and is not a directory (expected a directory for the query log)");
        }
        Files.createDirectories(dir);
        return new ServedQueryLog(dir, maxRowsPerClient);
    }

    /** The directory this log writes under. */
    public Path dir() {
        return dir;
    }

    /** The file that holds {@code client}'s queries of {@code model}. */
    public Path fileOf(String model, String client) {
        return dir.resolve(safe(model)).resolve(safe(client) + ".jsonl");
    }

    /** Records the texts of an answered request. */
    void recordTexts(ClientRequest request, List<String> texts) {
        write(request, texts.size(), (g, i) -> {
            g.writeStartObject();
            g.writeStringField("text", texts.get(i));
            g.writeEndObject();
        });
    }

    /** Records the feature rows of an answered request, {@code request.rows()} rows of equal size. */
    void recordRows(ClientRequest request, float[] rows) {
        int width = rows.length / request.rows();
        write(request, request.rows(), (g, i) -> {
            g.writeStartObject();
            g.writeArrayFieldStart("features");
            for (int j = 0; j < width; j++) {
                g.writeNumber(rows[i * width + j]);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    @FunctionalInterface
    private interface Line {
        void write(JsonGenerator g, int row) throws IOException;
    }

    private void write(ClientRequest request, int rows, Line line) {
        if (closed) {
            return;
        }
        // Keyed by model and client, so the file's path is worked out once per client, not per request.
        ClientFile f = files.computeIfAbsent(
                request.model() + '\0' + request.client(),
                k -> ClientFile.open(fileOf(request.model(), request.client())));
        Path file = f.path;
        synchronized (f) {
            if (f.writer == null) {
                return; // closed meanwhile
            }
            int keep = (int) Math.max(0, Math.min(rows, maxRowsPerClient - f.rows));
            try {
                for (int i = 0; i < keep; i++) {
                    try (JsonGenerator g = JSON.createGenerator(f.writer)) {
                        line.write(g, i);
                    }
                    f.writer.write('\n');
                }
                f.writer.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the query log " + file + ": " + e.getMessage(), e);
            }
            f.rows += keep;
            if (keep < rows && !f.full) {
                f.full = true;
                LOG.warn(
                        "query log {} holds its {} rows: later queries of this client are not recorded",
                        file,
                        maxRowsPerClient);
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        IOException first = null;
        for (ClientFile f : files.values()) {
            synchronized (f) {
                try {
                    if (f.writer != null) {
                        f.writer.close();
                    }
                } catch (IOException e) {
                    first = first == null ? e : first;
                } finally {
                    f.writer = null;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    static String safe(String name) {
        // Never "." or "..": a name must stay inside the log's directory.
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_").replace("..", "__");
        return s.isEmpty() || s.equals(".") ? "_" : s;
    }

    /** One open file: its writer and how many rows it holds. */
    private static final class ClientFile {
        final Path path;
        Writer writer;
        long rows;
        boolean full;

        ClientFile(Path path) {
            this.path = path;
        }

        static ClientFile open(Path file) {
            try {
                Files.createDirectories(file.getParent());
                ClientFile f = new ClientFile(file);
                if (Files.exists(file)) {
                    f.rows = cutTornLine(file);
                }
                f.writer = new BufferedWriter(new java.io.OutputStreamWriter(
                        Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                        StandardCharsets.UTF_8));
                return f;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the query log " + file + ": " + e.getMessage(), e);
            }
        }

        /** Cuts a last line without its newline (a write torn by a crash); returns the whole lines. */
        private static long cutTornLine(Path file) throws IOException {
            long lines = 0;
            long end = 0;
            long pos = 0;
            byte[] buf = new byte[1 << 16];
            try (java.io.InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buf)) > 0; pos += n) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            lines++;
                            end = pos + i + 1;
                        }
                    }
                }
            }
            if (end < pos) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(end);
                }
                LOG.warn("query log {}: cut a torn last line ({} bytes)", file, pos - end);
            }
            return lines;
        }
    }
}
