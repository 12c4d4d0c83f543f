package org.distill4j.teacher.http.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.teacher.http.JournalException;

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

    private LmJournal(Path file, FileChannel channel, FileLock lock, Map<String, JsonNode> records) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.records = records;
    }

    /**
     * Opens (or creates) the journal {@code file} for a job.
     *
     * @param fingerprint what the answers depend on; an existing journal must hold the same
     * @throws JournalException if the journal belongs to another job, is damaged before its last
     *     line, or is in use
     */
    public static LmJournal open(Path file, Map<String, Object> fingerprint) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        FileChannel ch =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new JournalException(file, "is in use by another collection; wait for it to finish or stop it");
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            // Through text, so numbers compare as they read back (a long written is an int read).
            JsonNode expected = JSON.readTree(JSON.writeValueAsString(fingerprint));
            Map<String, JsonNode> records = new LinkedHashMap<>();
            JsonNode header = null;
            int start = 0;
            long valid = 0;
            int lineNo = 0;
            while (start < bytes.length) {
                int nl = start;
                while (nl < bytes.length && bytes[nl] != '\n') {
                    nl++;
                }
                lineNo++;
                if (nl == bytes.length) {
                    break; // torn last line
                }
                JsonNode rec;
                try {
                    rec = JSON.readTree(new String(bytes, start, nl - start, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    rec = null;
                }
                String type = rec == null ? null : rec.path("type").asText(null);
                boolean ok = lineNo == 1
                        ? "header".equals(type)
                        : "ok".equals(type) && rec.path("key").isTextual();
                if (!ok) {
                    if (nl == bytes.length - 1) {
                        break; // an unparseable last line is torn too
                    }
                    throw new JournalException(
                            file,
                            "line " + lineNo + " is damaged (it is not the last line, so it was not cut by a "
                                    + "crash); inspect it, or delete the file to start fresh");
                }
                if (lineNo == 1) {
                    header = rec;
                } else {
                    records.putIfAbsent(rec.get("key").asText(), rec);
                }
                start = nl + 1;
                valid = start;
            }
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
                if (valid < bytes.length) {
                    ch.truncate(valid);
                }
                ch.position(valid);
            }
            return new LmJournal(file, ch, lock, records);
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

    /** Returns the record of a completed key, or null. */
    public synchronized JsonNode get(String key) {
        return records.get(key);
    }

    /** Returns the number of completed keys. */
    public synchronized int size() {
        return records.size();
    }

    /**
     * Appends a completed key's record (its {@code type} and {@code key} fields are set here).
     *
     * @throws IllegalStateException if the key is already completed
     */
    public synchronized void append(String key, ObjectNode record) throws IOException {
        if (records.containsKey(key)) {
            throw new IllegalStateException("key " + key + " is already completed in " + file);
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "ok").put("key", key);
        o.setAll(record);
        write(channel, o);
        records.put(key, o);
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
