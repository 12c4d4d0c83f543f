package org.distill4j.teacher.http.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.teacher.http.JournalException;
import org.distill4j.teacher.http.LockedJournalFile;

/**
 * The append-only record of a language-model collection over HTTP (the windows of a top-k cache
 * already written, or the continuations a teacher generated), from which an interrupted collection
 * resumes without asking the server anything twice.
 *
 * <p>UTF-8 JSON Lines. The first line is {@code {"type":"header","format":"distill4j-lm-journal",
 * "version":1,"fingerprint":{...}}}: what the answers depend on (never an API key). Every other line
 * is {@code {"type":"ok","key":...,...}}, one per completed request, written with one {@code write}
 * call and never rewritten; the first record of a key wins. Opening an existing journal checks the
 * fingerprint (another one is a {@link JournalException} naming the differing fields and how to
 * start fresh) and cuts a torn last line (what a {@code kill -9} during a write leaves); a damaged
 * line before the last is an error. The file is locked while open. Lines reach the operating system
 * at once but are not forced to the device. Thread-safe.
 */
public final class LmJournal implements Closeable {

    /** The header's {@code format}. */
    public static final String FORMAT = "distill4j-lm-journal";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final Map<String, JsonNode> records;
    private int size;

    private LmJournal(Path file, FileChannel channel, FileLock lock, Map<String, JsonNode> records, int size) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.records = records;
        this.size = size;
    }

    /** Receives the completed records of a journal opened without keeping them. */
    @FunctionalInterface
    public interface Visitor {
        /** Called once per record line, in file order (a key recorded twice is visited twice). */
        void visit(JsonNode record) throws IOException;
    }

    /**
     * Opens (or creates) the journal {@code file} for a job.
     *
     * @param fingerprint what the answers depend on; an existing journal must hold the same
     * @throws JournalException if the journal belongs to another job, is damaged before its last
     *     line, or is in use
     */
    public static LmJournal open(Path file, Map<String, Object> fingerprint) throws IOException {
        return open(file, fingerprint, null);
    }

    /**
     * Opens (or creates) the journal {@code file} like {@link #open(Path, Map)}, but hands each
     * record to {@code visitor} instead of keeping it: resident memory does not grow with the
     * journal (the caller keeps what it needs, e.g. a bit per window). The file is read a buffer at
     * a time. Such a journal has no {@link #get}, and {@link #append} does not check for a key
     * already completed (the caller knows; the first record of a key still wins on reading).
     *
     * @param visitor receives every record, or null to keep them (as {@link #open(Path, Map)}); it
     *     sees them before the fingerprint is checked, so on a {@link JournalException} discard what it
     *     gathered
     * @throws JournalException as {@link #open(Path, Map)}
     */
    public static LmJournal open(Path file, Map<String, Object> fingerprint, Visitor visitor) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        LockedJournalFile locked = LockedJournalFile.open(file);
        FileChannel ch = locked.channel();
        FileLock lock = locked.lock();
        try {
            long length = ch.size();
            // Through text, so numbers compare as they read back (a long written is an int read).
            JsonNode expected = JSON.readTree(JSON.writeValueAsString(fingerprint));
            Map<String, JsonNode> records = visitor == null ? new LinkedHashMap<>() : null;
            int count = 0;
            JsonNode header = null;
            long read = 0;
            long valid = 0;
            int lineNo = 0;
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                for (int b; read < length && (b = in.read()) != -1; ) {
                    read++;
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    lineNo++;
                    JsonNode rec;
                    try {
                        rec = JSON.readTree(line.toString(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        rec = null;
                    }
                    line.reset();
                    String type = rec == null ? null : rec.path("type").asText(null);
                    boolean ok = lineNo == 1
                            ? "header".equals(type)
                            : "ok".equals(type) && rec.path("key").isTextual();
                    if (!ok) {
                        if (read == length) {
                            break; // an unparseable last line is torn too
                        }
                        throw new JournalException(
                                file,
                                "line " + lineNo + " is damaged (it is not the last line, so it was not cut by a "
                                        + "crash); inspect it, or delete the file to start fresh");
                    }
                    if (lineNo == 1) {
                        header = rec;
                    } else if (visitor != null) {
                        visitor.visit(rec);
                        count++;
                    } else {
                        records.putIfAbsent(rec.get("key").asText(), rec);
                    }
                    valid = read;
                }
            }
            // Bytes after the last valid line (a torn or damaged last line) are cut below.
            if (header == null) {
                ch.truncate(0);
                ch.position(0);
                ObjectNode h = JSON.createObjectNode();
                h.put("type", "header").put("format", FORMAT).put("version", 1);
                h.set("fingerprint", expected);
                h.put("created", Instant.now().toString());
                write(ch, h);
            } else {
                JsonNode actual = header.get("fingerprint");
                if (!FORMAT.equals(header.path("format").asText()) || !expected.equals(actual)) {
                    StringBuilder diff = new StringBuilder();
                    for (var it = expected.fieldNames(); it.hasNext(); ) {
                        String f = it.next();
                        JsonNode a = actual == null ? null : actual.get(f);
                        if (!expected.get(f).equals(a)) {
                            diff.append(diff.length() == 0 ? "" : ", ")
                                    .append(f)
                                    .append(": journal ")
                                    .append(a)
                                    .append(" vs job ")
                                    .append(expected.get(f));
                        }
                    }
                    throw new JournalException(
                            file,
                            "was written for a different job (" + (diff.length() == 0 ? "format" : diff)
                                    + "); delete it to start fresh (what it holds would be asked again)");
                }
                if (valid < length) {
                    ch.truncate(valid);
                }
                ch.position(valid);
            }
            return new LmJournal(file, ch, lock, records, records == null ? count : records.size());
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    /** Returns the journal file. */
    public Path file() {
        return file;
    }

    /**
     * Returns the record of a completed key, or null.
     *
     * @throws IllegalStateException if the journal was opened with a {@link Visitor} (it keeps none)
     */
    public synchronized JsonNode get(String key) {
        if (records == null) {
            throw new IllegalStateException(file + " was opened without keeping its records");
        }
        return records.get(key);
    }

    /** Returns the number of completed keys (of record lines, for a journal opened with a {@link Visitor}). */
    public synchronized int size() {
        return size;
    }

    /**
     * Appends a completed key's record (its {@code type} and {@code key} fields are set here).
     *
     * @throws IllegalStateException if the key is already completed
     */
    public synchronized void append(String key, ObjectNode record) throws IOException {
        if (records != null && records.containsKey(key)) {
            throw new IllegalStateException("key " + key + " is already completed in " + file);
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "ok").put("key", key);
        o.setAll(record);
        write(channel, o);
        if (records != null) {
            records.put(key, o);
        }
        size++;
    }

    private static void write(FileChannel ch, JsonNode record) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap((JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }
}
