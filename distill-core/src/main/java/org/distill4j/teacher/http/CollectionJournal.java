package org.distill4j.teacher.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The append-only record of a collection, {@value #FILE} in the journal directory, from which an
 * interrupted run resumes without repeating a completed request.
 *
 * <p>Format: UTF-8 JSON Lines, one record per line, each line written with a single {@code
 * write} call and never rewritten. The first line is the header {@code {"type":"header",
 * "format":"distill4j-collection-journal","version":1,"fingerprint":{...},"created":"..."}}
 * holding the job fingerprint ({@link HttpTeacherConfig#fingerprint}: protocol, endpoint, model,
 * template hash, labels, batch and top-k settings; never the key). Then:
 * <ul>
 *   <li>{@code {"type":"ok","key":...,"valueKind":"logprobs"|"logits","values":[C floats in class
 *       order],"outsideMass":...,"completion":...,"teacher":...,"endpoint":...,"model":...,
 *       "modelVersion":...,"attempts":...,"promptTokens":...,"completionTokens":...,"time":...}}:
 *       an item completed; written at most once per key.
 *   <li>{@code {"type":"failed","key":...,"kind":...,"message":...,"attempts":...,"time":...}}: an
 *       item failed for good in one run; a later run retries it, and a later {@code ok} supersedes
 *       it.
 * </ul>
 *
 * <p>Opening an existing journal checks that its fingerprint equals the job's (a different one is
 * a {@link JournalException} that says how to start fresh) and truncates a torn last line (a line
 * without its newline, or an unparseable last line: what a {@code kill -9} during a write leaves;
 * that item is simply not done). A damaged line before the last is an error, never skipped. The
 * file is locked while open, so two processes cannot append to one journal. Lines reach the
 * operating system at once (a killed process loses nothing written) but are not forced to the
 * device; after a power loss the torn-line rule applies. Thread-safe.
 */
public final class CollectionJournal implements Closeable {

    /** The journal's file name inside the journal directory. */
    public static final String FILE = "journal.jsonl";

    /**
     * The largest journal read, in bytes: 1 GiB by default (about a million items), the system
     * property {@code distill4j.maxJournalBytes} raises it (up to 2 GiB, one array).
     */
    public static final long MAX_BYTES =
            Math.min(Long.getLong("distill4j.maxJournalBytes", 1L << 30), Integer.MAX_VALUE - 8L);

    /** Reads the whole journal, refusing one over {@link #MAX_BYTES} by name. */
    private static byte[] readBounded(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new JournalException(
                    file,
                    "has " + size + " bytes, expected at most " + MAX_BYTES + " (the limit "
                            + "is the system property distill4j.maxJournalBytes); split the collection or raise it");
        }
        return Files.readAllBytes(file);
    }
    /** The header's {@code format} value. */
    public static final String FORMAT = "distill4j-collection-journal";
    /** The format version this class writes and reads. */
    public static final int VERSION = 1;

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final Map<String, CollectedItem> completed;
    private final Map<String, FailedItem> failed;
    private final boolean truncated;
    // Set by the first failed append (guarded by this); later appends are refused.
    private IOException broken;

    /**
     * A {@code failed} record.
     *
     * @param key the item's key
     * @param kind the {@link ErrorKind#wireName()} of the last failure
     * @param message what went wrong (scrubbed of the key)
     * @param attempts requests made for the item in that run
     */
    public record FailedItem(String key, String kind, String message, int attempts) {}

    private CollectionJournal(
            Path file,
            FileChannel channel,
            FileLock lock,
            Map<String, CollectedItem> completed,
            Map<String, FailedItem> failed,
            boolean truncated) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.completed = completed;
        this.failed = failed;
        this.truncated = truncated;
    }

    /**
     * Opens the journal in {@code dir} for appending, creating it (and the directory) with a header
     * for {@code fingerprint}, or resuming an existing one written for the same fingerprint.
     *
     * @throws JournalException if the journal belongs to another job, is damaged before its last
     *     line, or is open in another process
     * @throws IOException if it cannot be read or written
     */
    public static CollectionJournal open(Path dir, Map<String, Object> fingerprint) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        LockedJournalFile locked = LockedJournalFile.open(file);
        FileChannel ch = locked.channel();
        FileLock lock = locked.lock();
        try {
            byte[] bytes = readBounded(file);
            Parsed p = parse(file, bytes);
            JsonNode expected = JournalJson.MAPPER.valueToTree(fingerprint);
            if (p.header == null) {
                ch.truncate(0);
                ch.position(0);
                ObjectNode h = JournalJson.MAPPER.createObjectNode();
                h.put("type", "header").put("format", FORMAT).put("version", VERSION);
                h.set("fingerprint", expected);
                h.put("created", Instant.now().toString());
                write(ch, h);
            } else {
                checkHeader(file, p.header, expected);
                if (p.validLength < bytes.length) {
                    ch.truncate(p.validLength);
                }
                ch.position(p.validLength);
            }
            return new CollectionJournal(
                    file, ch, lock, p.completed, p.failed, p.header != null && p.validLength < bytes.length);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    /**
     * Reads a journal without opening it for writing: its completed and failed items.
     *
     * @throws JournalException if it is damaged before its last line or has no valid header
     */
    public static CollectionJournal.Contents read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        Parsed p = parse(file, readBounded(file));
        if (p.header == null) {
            throw new JournalException(file, "has no header line");
        }
        return new Contents(
                p.header.get("fingerprint"),
                Collections.unmodifiableMap(p.completed),
                Collections.unmodifiableMap(p.failed));
    }

    /**
     * What a journal holds.
     *
     * @param fingerprint the header's job fingerprint
     * @param completed the {@code ok} items by key, in journal order
     * @param failed the items whose last record is {@code failed}, by key
     */
    public record Contents(
            JsonNode fingerprint, Map<String, CollectedItem> completed, Map<String, FailedItem> failed) {}

    /** Returns the journal file. */
    public Path file() {
        return file;
    }

    /** Returns true if opening it cut off a torn last line. */
    public boolean truncatedTornLine() {
        return truncated;
    }

    /** Returns a snapshot of the completed items by key. */
    public synchronized Map<String, CollectedItem> completed() {
        return Map.copyOf(completed);
    }

    /** Returns the item completed under {@code key}, or null. */
    public synchronized CollectedItem completed(String key) {
        return completed.get(key);
    }

    /** Returns a snapshot of the items whose last record is a failure, by key. */
    public synchronized Map<String, FailedItem> failed() {
        return Map.copyOf(failed);
    }

    /**
     * Appends an {@code ok} record.
     *
     * @throws IllegalStateException if the key is already completed (a completed item is never
     *     written twice)
     */
    public synchronized void appendOk(CollectedItem item) throws IOException {
        if (completed.containsKey(item.key())) {
            throw new IllegalStateException("item " + item.key() + " is already completed in " + file);
        }
        ObjectNode o = JournalJson.MAPPER.createObjectNode();
        o.put("type", "ok")
                .put("key", item.key())
                .put("valueKind", item.valueKind().wireName());
        ArrayNode values = o.putArray("values");
        for (float v : item.values()) {
            values.add(v);
        }
        o.put("outsideMass", item.outsideMass())
                .put("completion", item.completion())
                .put("teacher", item.teacher())
                .put("endpoint", item.endpoint())
                .put("model", item.model())
                .put("modelVersion", item.modelVersion())
                .put("attempts", item.attempts())
                .put("promptTokens", item.promptTokens())
                .put("completionTokens", item.completionTokens())
                .put("time", item.time());
        if (!item.labelSource().isEmpty()) {
            o.put("labelSource", item.labelSource());
        }
        append(o);
        completed.put(item.key(), item);
        failed.remove(item.key());
    }

    /** Appends a {@code failed} record. */
    public synchronized void appendFailed(FailedItem item) throws IOException {
        ObjectNode o = JournalJson.MAPPER.createObjectNode();
        o.put("type", "failed")
                .put("key", item.key())
                .put("kind", item.kind())
                .put("message", item.message())
                .put("attempts", item.attempts())
                .put("time", Instant.now().toString());
        append(o);
        failed.put(item.key(), item);
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

    /**
     * Appends one record; a write that fails part-way is cut back off the file and the journal
     * refuses further appends, so a damaged line can never end up followed by good ones (which
     * would make the journal unreadable on resume, not merely torn at its end).
     */
    private void append(JsonNode record) throws IOException {
        if (broken != null) {
            throw new IOException(
                    "journal " + file + " refused a record after an earlier write failed: " + broken.getMessage(),
                    broken);
        }
        long start = channel.position();
        try {
            write(channel, record);
        } catch (IOException e) {
            broken = e;
            try {
                channel.truncate(start);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed); // the torn line is then cut on resume, as after a kill
            }
            throw e;
        }
    }

    private static void write(FileChannel ch, JsonNode record) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap((JournalJson.canonical(record) + "\n").getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void checkHeader(Path file, JsonNode header, JsonNode expected) throws JournalException {
        String how = "; to start fresh use a new journal directory or delete " + file
                + " (completed items in it would be requested again)";
        if (!FORMAT.equals(header.path("format").asText())
                || header.path("version").asInt() != VERSION) {
            throw new JournalException(
                    file,
                    "is not a " + FORMAT + " version " + VERSION + " (format "
                            + header.path("format").asText() + ", version "
                            + header.path("version").asText() + ")" + how);
        }
        JsonNode actual = header.get("fingerprint");
        if (!expected.equals(actual)) {
            StringBuilder diff = new StringBuilder();
            for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
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
                    "was written for a different job ("
                            + (diff.length() == 0 ? "journal " + actual + " vs job " + expected : diff) + ")" + how);
        }
    }

    private static final class Parsed {
        JsonNode header;
        long validLength;
        final Map<String, CollectedItem> completed = new LinkedHashMap<>();
        final Map<String, FailedItem> failed = new LinkedHashMap<>();
    }

    private static Parsed parse(Path file, byte[] bytes) throws JournalException {
        Parsed p = new Parsed();
        int start = 0;
        int lineNo = 0;
        while (start < bytes.length) {
            int nl = start;
            while (nl < bytes.length && bytes[nl] != '\n') {
                nl++;
            }
            lineNo++;
            if (nl == bytes.length) {
                break; // no newline: a torn last line
            }
            boolean last = nl == bytes.length - 1;
            JsonNode rec;
            try {
                rec = JournalJson.MAPPER.readTree(new String(bytes, start, nl - start, StandardCharsets.UTF_8));
            } catch (IOException e) {
                rec = null;
            }
            String type = rec == null ? null : rec.path("type").asText(null);
            boolean valid = type != null && (lineNo == 1 ? "header".equals(type) : valid(rec, type));
            if (!valid) {
                if (last) {
                    break; // an unparseable last line is torn too
                }
                throw new JournalException(
                        file,
                        "line " + lineNo + " is damaged (it is not the last line, so it"
                                + " was not cut by a crash); inspect it, or move the file away to start fresh");
            }
            if (lineNo == 1) {
                p.header = rec;
            } else if (type.equals("ok")) {
                CollectedItem item = item(rec);
                // First ok wins: the writer never writes two, so a second one is ignored rather than trusted.
                p.completed.putIfAbsent(item.key(), item);
                p.failed.remove(item.key());
            } else if (type.equals("failed")
                    && !p.completed.containsKey(rec.get("key").asText())) {
                p.failed.put(
                        rec.get("key").asText(),
                        new FailedItem(
                                rec.get("key").asText(),
                                rec.path("kind").asText(),
                                rec.path("message").asText(),
                                rec.path("attempts").asInt()));
            }
            start = nl + 1;
            p.validLength = start;
        }
        return p;
    }

    private static boolean valid(JsonNode rec, String type) {
        if (!rec.path("key").isTextual()) {
            return false;
        }
        if (type.equals("ok")) {
            JsonNode v = rec.get("values");
            if (v == null || !v.isArray() || v.isEmpty()) {
                return false;
            }
            for (JsonNode x : v) {
                if (!x.isNumber() || !Double.isFinite(x.asDouble())) {
                    return false;
                }
            }
            return rec.path("valueKind").isTextual();
        }
        return type.equals("failed");
    }

    private static CollectedItem item(JsonNode rec) {
        JsonNode v = rec.get("values");
        float[] values = new float[v.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) v.get(i).asDouble();
        }
        String kind = rec.get("valueKind").asText();
        ValueKind vk = ValueKind.LOGITS.wireName().equals(kind) ? ValueKind.LOGITS : ValueKind.LOG_PROBABILITIES;
        return new CollectedItem(
                rec.get("key").asText(),
                values,
                vk,
                rec.path("outsideMass").asDouble(),
                rec.path("completion").asText(""),
                rec.path("teacher").asText(""),
                rec.path("endpoint").asText(""),
                rec.path("model").asText(""),
                rec.path("modelVersion").asText(""),
                rec.path("attempts").asInt(),
                rec.path("promptTokens").asLong(),
                rec.path("completionTokens").asLong(),
                rec.path("time").asText(""),
                rec.path("labelSource").asText(""));
    }

    @Override
    public String toString() {
        return "CollectionJournal(" + file + ")";
    }
}
