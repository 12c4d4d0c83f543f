package org.distill4j.lm.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.distill4j.data.CorruptDataException;
import org.distill4j.data.DataException;
import org.distill4j.data.MissingDataException;
import org.distill4j.io.Hashing;

/**
 * A corpus of documents read from JSON Lines or plain UTF-8 files, in file order.
 *
 * <p>Formats, chosen by file name ({@code .gz} is gunzipped first): {@code .jsonl} has one JSON
 * object per line whose {@code text} field (configurable) is a document; blank lines are skipped.
 * Any other file is plain text in which documents are separated by one or more blank lines; the
 * lines of a document are joined with {@code \n}. Documents whose text is empty or only whitespace
 * are skipped and counted.
 *
 * <p>Bad input: bytes that are not valid UTF-8 are refused with an error naming file and line
 * ({@link Utf8Policy#REFUSE}, the default: a replaced byte would silently change what bits per
 * byte measures), or replaced by U+FFFD and counted ({@link Utf8Policy#REPLACE}). A line longer
 * than {@link Options#maxLineBytes()}, a JSONL line that is not an object with a string {@code
 * text} field, and a broken gzip stream are {@link CorruptDataException}s naming file and line. A
 * corpus with no document at all is a {@link DataException} naming the files.
 *
 * <p>The {@link #contentHash()} is a SHA-256 over the documents' texts in order, for provenance.
 *
 * <p>{@link #read} holds the documents in memory; {@link #scan} hands them one at a time to a
 * {@link DocumentSink} and holds none (a corpus larger than memory, {@link PackedCorpus}), with
 * the same documents, checks, errors and hash.
 */
public final class TextCorpus {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Document> documents;
    private final long bytes;
    private final int skippedEmpty;
    private final int replacedLines;
    private final String contentHash;

    private TextCorpus(List<Document> documents, long bytes, int skippedEmpty, int replacedLines, String hash) {
        this.documents = List.copyOf(documents);
        this.bytes = bytes;
        this.skippedEmpty = skippedEmpty;
        this.replacedLines = replacedLines;
        this.contentHash = hash;
    }

    /**
     * How to read a corpus.
     *
     * @param textField the JSONL field holding a document's text
     * @param utf8 what to do with invalid UTF-8
     * @param maxLineBytes the longest line accepted, &gt;= 1
     * @param maxBytes stop after this many UTF-8 bytes of documents (the document that crosses the
     *     limit is kept), &gt;= 1; {@link Long#MAX_VALUE} for all
     * @param maxDocuments stop after this many documents, &gt;= 1
     */
    public record Options(String textField, Utf8Policy utf8, int maxLineBytes, long maxBytes, int maxDocuments) {

        /** Validates the fields. */
        public Options {
            if (textField == null || textField.isBlank()) {
                throw new IllegalArgumentException("textField must name a JSON field, got " + textField);
            }
            if (utf8 == null) {
                throw new IllegalArgumentException("utf8 policy must be given");
            }
            if (maxLineBytes < 1 || maxBytes < 1 || maxDocuments < 1) {
                throw new IllegalArgumentException("illegal limits maxLineBytes=" + maxLineBytes + ", maxBytes="
                        + maxBytes + ", maxDocuments=" + maxDocuments + ", each must be >= 1");
            }
        }

        /** Field {@code text}, refuse invalid UTF-8, lines up to 16 MiB, no size limit. */
        public static Options defaults() {
            return new Options("text", Utf8Policy.REFUSE, 16 << 20, Long.MAX_VALUE, Integer.MAX_VALUE);
        }

        /** Returns a copy that stops after about {@code maxBytes} bytes of documents. */
        public Options withMaxBytes(long maxBytes) {
            return new Options(textField, utf8, maxLineBytes, maxBytes, maxDocuments);
        }

        /** Returns a copy with another UTF-8 policy. */
        public Options withUtf8(Utf8Policy policy) {
            return new Options(textField, policy, maxLineBytes, maxBytes, maxDocuments);
        }

        /** Returns a copy with another line cap. */
        public Options withMaxLineBytes(int cap) {
            return new Options(textField, utf8, cap, maxBytes, maxDocuments);
        }
    }

    /** Receives documents as {@link #scan} reads them. */
    public interface DocumentSink {
        /** Takes the next document. */
        void accept(Document document) throws IOException;
    }

    /**
     * What a read saw.
     *
     * @param documents documents read
     * @param bytes total UTF-8 bytes of their texts
     * @param skippedEmpty blank documents skipped
     * @param replacedLines lines whose invalid UTF-8 was replaced
     * @param contentHash hex SHA-256 over the texts, each followed by a 0 byte
     */
    public record Summary(long documents, long bytes, int skippedEmpty, int replacedLines, String contentHash) {}

    /** Reads {@code files} with {@link Options#defaults()}. */
    public static TextCorpus read(List<Path> files) throws IOException {
        return read(files, Options.defaults());
    }

    /**
     * Reads the documents of {@code files}, in order.
     *
     * @throws DataException if a file is missing, malformed or no document is found (see class doc)
     */
    public static TextCorpus read(List<Path> files, Options options) throws IOException {
        List<Document> documents = new ArrayList<>();
        Summary s = scan(files, options, documents::add);
        return new TextCorpus(documents, s.bytes(), s.skippedEmpty(), s.replacedLines(), s.contentHash());
    }

    /**
     * Reads the documents of {@code files} in order, handing each to {@code sink} and keeping none.
     *
     * @throws DataException if a file is missing, malformed or no document is found (see class doc)
     * @throws IOException whatever the sink throws
     */
    public static Summary scan(List<Path> files, Options options, DocumentSink sink) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no corpus files given");
        }
        Reader reader = new Reader(options, sink);
        for (Path file : files) {
            if (reader.full()) {
                break;
            }
            if (!Files.isRegularFile(file)) {
                throw new MissingDataException(
                        file,
                        "corpus file " + file + " does not exist or is not a "
                                + "regular file; expected a .jsonl[.gz] file or a UTF-8 text file");
            }
            reader.readFile(file);
        }
        if (reader.documents == 0) {
            throw new DataException(
                    files.get(0),
                    "empty corpus: no non-blank document in " + files
                            + (reader.skippedEmpty > 0 ? " (" + reader.skippedEmpty + " blank documents skipped)" : "")
                            + "; expected JSONL lines with a non-empty \"" + options.textField()
                            + "\" field or text paragraphs separated by blank lines");
        }
        return new Summary(
                reader.documents,
                reader.bytes,
                reader.skippedEmpty,
                reader.replacedLines,
                HexFormat.of().formatHex(reader.digest.digest()));
    }

    /** Returns the documents in file order. */
    public List<Document> documents() {
        return documents;
    }

    /** Returns the total UTF-8 bytes of the documents' texts. */
    public long bytes() {
        return bytes;
    }

    /** Returns how many blank documents were skipped. */
    public int skippedEmpty() {
        return skippedEmpty;
    }

    /** Returns how many lines had invalid UTF-8 replaced (always 0 under {@link Utf8Policy#REFUSE}). */
    public int replacedLines() {
        return replacedLines;
    }

    /** Returns the hex SHA-256 over the documents' texts, each followed by a 0 byte. */
    public String contentHash() {
        return contentHash;
    }

    /** The state of one read. */
    private static final class Reader {
        private final Options options;
        private final DocumentSink sink;
        private final MessageDigest digest = Hashing.sha256();
        private long documents;
        private long bytes;
        private int skippedEmpty;
        private int replacedLines;

        Reader(Options options, DocumentSink sink) {
            this.options = options;
            this.sink = sink;
        }

        boolean full() {
            return bytes >= options.maxBytes() || documents >= options.maxDocuments();
        }

        void readFile(Path file) throws IOException {
            String name = file.getFileName().toString();
            boolean gz = name.endsWith(".gz");
            boolean jsonl = name.replaceFirst("\\.gz$", "").endsWith(".jsonl");
            CharsetDecoder decoder = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            long line = 0;
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
                    InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw) {
                BoundedLineReader lines = new BoundedLineReader(in, file, options.maxLineBytes());
                StringBuilder paragraph = new StringBuilder();
                long paragraphStart = 0;
                for (byte[] b; !full() && (b = lines.next()) != null; ) {
                    line = lines.lineNumber();
                    String text = decode(decoder, b, file, line);
                    if (jsonl) {
                        if (!text.isBlank()) {
                            add(file + ":" + line, field(text, file, line));
                        }
                    } else if (text.isBlank()) {
                        flush(paragraph, file, paragraphStart);
                    } else {
                        if (paragraph.length() == 0) {
                            paragraphStart = line;
                        } else {
                            paragraph.append('\n');
                        }
                        paragraph.append(text);
                    }
                }
                if (!full()) {
                    flush(paragraph, file, paragraphStart);
                }
            } catch (ZipException | java.io.EOFException e) {
                throw new CorruptDataException(
                        file,
                        file + ": broken gzip stream after line " + line + " (" + e.getMessage()
                                + "), expected a complete gzip file",
                        e);
            }
        }

        private void flush(StringBuilder paragraph, Path file, long start) throws IOException {
            if (paragraph.length() > 0) {
                add(file + ":" + start, paragraph.toString());
                paragraph.setLength(0);
            }
        }

        private String decode(CharsetDecoder strict, byte[] b, Path file, long line) throws CorruptDataException {
            try {
                strict.reset();
                return strict.decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                if (options.utf8() == Utf8Policy.REPLACE) {
                    replacedLines++;
                    return new String(b, StandardCharsets.UTF_8);
                }
                throw new CorruptDataException(
                        file,
                        file + ":" + line + ": invalid UTF-8 (" + e
                                + "); expected UTF-8 text (or read with Utf8Policy.REPLACE to replace and count "
                                + "malformed bytes)",
                        e);
            }
        }

        private String field(String line, Path file, long lineNo) throws CorruptDataException {
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CorruptDataException(
                        file,
                        file + ":" + lineNo + ": not valid JSON (" + e.getOriginalMessage()
                                + "); expected one JSON object per line",
                        e);
            }
            JsonNode text = node == null || !node.isObject() ? null : node.get(options.textField());
            if (text == null || !text.isTextual()) {
                throw new CorruptDataException(
                        file,
                        file + ":" + lineNo + ": expected a JSON object with a string \""
                                + options.textField() + "\" field, got "
                                + (node == null || !node.isObject()
                                        ? "a " + (node == null ? "nothing" : node.getNodeType())
                                        : text == null ? "no such field" : "a " + text.getNodeType() + " value"));
            }
            return text.asText();
        }

        private void add(String source, String text) throws IOException {
            if (text.isBlank()) {
                skippedEmpty++;
                return;
            }
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            digest.update(utf8);
            digest.update((byte) 0);
            bytes += utf8.length;
            documents++;
            sink.accept(new Document(source, text));
        }
    }
}
