package org.distill4j.lm.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.CorruptDataException;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;
import org.distill4j.lm.corpus.CorpusSplit.Part;
import org.distill4j.lm.token.Tokenizer;

/**
 * A corpus read, split and packed in one streaming pass into three {@link TokenFile}s (train,
 * validation, test) in a directory, for a corpus larger than memory: the resident memory of {@link
 * #build} and of training from the result does not grow with the corpus.
 *
 * <p>The pass reads documents with {@link TextCorpus#scan} (same formats, limits, UTF-8 policy and
 * errors as {@link TextCorpus#read}), assigns each to a part with {@link CorpusSplit#part} (the
 * split {@link CorpusSplit#bySeed} makes, decided from the document's text alone) and appends it to
 * its part's file through a {@link TokenPacker}. Windows of any length are then read from the files
 * ({@link #windows}); they equal {@link TokenWindows#pack} over {@link CorpusSplit#bySeed}'s lists,
 * token for token, and the hashes equal those of the in-memory documents.
 *
 * <p>Directory layout: {@code train.tokens}, {@code validation.tokens}, {@code test.tokens} and
 * {@code corpus.json} (counts, hashes, the caller's key), written last: a directory without it, or
 * whose key differs, is not reused. Close the instance to close its files.
 */
public final class PackedCorpus implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String MANIFEST = "corpus.json";
    private static final String FORMAT = "distill4j-packed-corpus";
    private static final int VERSION = 1;

    /**
     * What to pack: the corpus files and how to read, split and tokenize them.
     *
     * @param files corpus files, read in order ({@link TextCorpus#scan})
     * @param options how to read them
     * @param splitSeed the split's seed ({@link CorpusSplit#part})
     * @param validation share of documents for validation, in [0, 1)
     * @param test share for test, in [0, 1), with {@code validation + test < 1}
     * @param tokenizer the tokenizer
     */
    public record Source(
            List<Path> files,
            TextCorpus.Options options,
            long splitSeed,
            double validation,
            double test,
            Tokenizer tokenizer) {

        /** Copies the files and checks the fractions. */
        public Source {
            files = List.copyOf(files);
            CorpusSplit.checkFractions(validation, test);
        }
    }

    /**
     * One part of the split.
     *
     * @param documents documents in it
     * @param sha256 hex SHA-256 of their texts in order, each followed by a 0 byte
     * @param tokens packed tokens
     * @param targetBytes UTF-8 bytes of the targets
     */
    public record PartInfo(long documents, String sha256, long tokens, long targetBytes) {}

    private final Path dir;
    private final TextCorpus.Summary summary;
    private final Map<Part, PartInfo> parts;
    private final Map<Part, TokenFile> files;
    private final Tokenizer tokenizer;
    private final boolean reused;

    private PackedCorpus(
            Path dir,
            TextCorpus.Summary summary,
            Map<Part, PartInfo> parts,
            Map<Part, TokenFile> files,
            Tokenizer tokenizer,
            boolean reused) {
        this.dir = dir;
        this.summary = summary;
        this.parts = parts;
        this.files = files;
        this.tokenizer = tokenizer;
        this.reused = reused;
    }

    /**
     * Opens the packed corpus in {@code dir} if its {@code corpus.json} records {@code key}, else
     * reads, splits and packs {@code files} into it.
     *
     * @param key what the packing depends on (the files' identity, options, split, tokenizer): a
     *     directory packed under another key is packed again
     * @throws org.distill4j.data.DataException if the corpus cannot be read (named by file and line)
     * @throws IllegalArgumentException if the corpus is too small for the fractions
     */
    public static PackedCorpus openOrBuild(Path dir, String key, Source source) throws IOException {
        JsonNode m = manifest(dir, key, source.tokenizer());
        return m != null ? open(dir, m, source.tokenizer()) : build(dir, key, source);
    }

    /**
     * Opens the packed corpus in {@code dir}, which must have been packed under {@code key} (by
     * {@link #openOrBuild} or {@link #build}, e.g. on another machine of a shared filesystem): what
     * a reader that must not pack the corpus itself (a Spark executor) opens.
     *
     * @throws IOException if {@code dir} holds no complete packed corpus of that key and tokenizer
     *     (the message names the directory)
     */
    public static PackedCorpus open(Path dir, String key, Tokenizer tokenizer) throws IOException {
        JsonNode m = manifest(dir, key, tokenizer);
        if (m == null) {
            throw new IOException(dir + " holds no corpus packed under key '" + key + "' with tokenizer "
                    + tokenizer.identity() + " (no " + MANIFEST + ", or another key); pack it first "
                    + "(PackedCorpus.openOrBuild)");
        }
        return open(dir, m, tokenizer);
    }

    /** Returns the manifest of {@code dir} if it records {@code key}, this version and the tokenizer, else null. */
    private static JsonNode manifest(Path dir, String key, Tokenizer tokenizer) throws IOException {
        Path manifest = dir.resolve(MANIFEST);
        if (Files.isRegularFile(manifest)) {
            JsonNode m = JSON.readTree(manifest.toFile());
            if (key.equals(m.path("key").asText(null))
                    && VERSION == m.path("version").asInt()
                    && tokenizer
                            .identity()
                            .toString()
                            .equals(m.path("tokenizer").asText(null))) {
                return m;
            }
        }
        return null;
    }

    /**
     * Reads, splits and packs {@code files} into {@code dir} (replacing what is there).
     *
     * @see #openOrBuild
     */
    public static PackedCorpus build(Path dir, String key, Source source) throws IOException {
        Tokenizer tokenizer = source.tokenizer();
        double validationFraction = source.validation();
        double testFraction = source.test();
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(MANIFEST)); // nothing half-rebuilt looks complete
        Map<Part, TokenFile.Writer> writers = new EnumMap<>(Part.class);
        Map<Part, TokenPacker> packers = new EnumMap<>(Part.class);
        Map<Part, MessageDigest> digests = new EnumMap<>(Part.class);
        try {
            for (Part p : Part.values()) {
                TokenFile.Writer w = new TokenFile.Writer(file(dir, p), tokenizer);
                writers.put(p, w);
                packers.put(p, new TokenPacker(tokenizer, w));
                digests.put(p, Hashing.sha256());
            }
            TextCorpus.Summary summary = TextCorpus.scan(source.files(), source.options(), d -> {
                Part p = CorpusSplit.part(d.text(), source.splitSeed(), validationFraction, testFraction);
                MessageDigest md = digests.get(p);
                md.update(d.text().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                packers.get(p).add(d.text());
            });
            CorpusSplit.checkSizes(
                    packers.get(Part.TRAIN).documents(),
                    packers.get(Part.VALIDATION).documents(),
                    packers.get(Part.TEST).documents(),
                    validationFraction,
                    testFraction);
            Map<Part, PartInfo> parts = new EnumMap<>(Part.class);
            for (Part p : Part.values()) {
                TokenPacker packer = packers.get(p);
                writers.get(p).commit(packer.targetBytes());
                parts.put(
                        p,
                        new PartInfo(
                                packer.documents(),
                                HexFormat.of().formatHex(digests.get(p).digest()),
                                packer.tokens(),
                                packer.targetBytes()));
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("format", FORMAT);
            m.put("version", VERSION);
            m.put("key", key);
            m.put("tokenizer", tokenizer.identity().toString());
            m.put("documents", summary.documents());
            m.put("bytes", summary.bytes());
            m.put("skipped_empty", summary.skippedEmpty());
            m.put("replaced_lines", summary.replacedLines());
            m.put("sha256", summary.contentHash());
            for (Part p : Part.values()) {
                PartInfo i = parts.get(p);
                Map<String, Object> pm = new LinkedHashMap<>();
                pm.put("file", file(dir, p).getFileName().toString());
                pm.put("documents", i.documents());
                pm.put("sha256", i.sha256());
                pm.put("tokens", i.tokens());
                pm.put("target_bytes", i.targetBytes());
                m.put(name(p), pm);
            }
            AtomicFiles.write(dir.resolve(MANIFEST), JSON.writeValueAsBytes(m));
            return new PackedCorpus(dir, summary, parts, openFiles(dir, parts, tokenizer), tokenizer, false);
        } finally {
            for (TokenFile.Writer w : writers.values()) {
                w.close();
            }
        }
    }

    private static PackedCorpus open(Path dir, JsonNode m, Tokenizer tokenizer) throws IOException {
        TextCorpus.Summary summary = new TextCorpus.Summary(
                m.path("documents").asLong(),
                m.path("bytes").asLong(),
                m.path("skipped_empty").asInt(),
                m.path("replaced_lines").asInt(),
                m.path("sha256").asText());
        Map<Part, PartInfo> parts = new EnumMap<>(Part.class);
        for (Part p : Part.values()) {
            JsonNode pm = m.path(name(p));
            parts.put(
                    p,
                    new PartInfo(
                            pm.path("documents").asLong(),
                            pm.path("sha256").asText(),
                            pm.path("tokens").asLong(),
                            pm.path("target_bytes").asLong()));
        }
        return new PackedCorpus(dir, summary, parts, openFiles(dir, parts, tokenizer), tokenizer, true);
    }

    private static Map<Part, TokenFile> openFiles(Path dir, Map<Part, PartInfo> parts, Tokenizer tokenizer)
            throws IOException {
        Map<Part, TokenFile> files = new EnumMap<>(Part.class);
        try {
            for (Part p : Part.values()) {
                TokenFile f = TokenFile.open(file(dir, p), tokenizer);
                files.put(p, f);
                PartInfo i = parts.get(p);
                if (f.length() != i.tokens() || f.targetBytes() != i.targetBytes()) {
                    throw new CorruptDataException(
                            f.file(),
                            "token file " + f.file() + " holds " + f.length() + " tokens (" + f.targetBytes()
                                    + " target bytes), " + dir.resolve(MANIFEST) + " says " + i.tokens() + " ("
                                    + i.targetBytes() + "); delete " + dir + " to pack the corpus again");
                }
            }
        } catch (IOException | RuntimeException e) {
            for (TokenFile f : files.values()) {
                f.close();
            }
            throw e;
        }
        return files;
    }

    private static Path file(Path dir, Part p) {
        return dir.resolve(name(p) + ".tokens");
    }

    private static String name(Part p) {
        return p.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Returns the directory. */
    public Path dir() {
        return dir;
    }

    /** Returns the tokenizer the corpus was packed with. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Returns what the read saw: documents, bytes and the corpus hash. */
    public TextCorpus.Summary summary() {
        return summary;
    }

    /** Returns the counts and hash of one part. */
    public PartInfo part(Part part) {
        return parts.get(part);
    }

    /** Whether {@link #openOrBuild} found the directory packed under the same key. */
    public boolean reused() {
        return reused;
    }

    /**
     * Returns windows of {@code contextLength} over one part's file (valid until this is closed).
     *
     * @throws IllegalArgumentException if the part has no document
     */
    public TokenWindows windows(Part part, int contextLength) {
        if (parts.get(part).documents() == 0) {
            throw new IllegalArgumentException("the " + name(part) + " part of " + dir + " has no document");
        }
        return TokenWindows.of(files.get(part), tokenizer, contextLength);
    }

    @Override
    public void close() throws IOException {
        for (TokenFile f : files.values()) {
            f.close();
        }
    }
}
