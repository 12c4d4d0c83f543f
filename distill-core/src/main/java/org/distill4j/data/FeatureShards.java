package org.distill4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.distill4j.io.Hashing;

/**
 * A transfer set stored as feature shards on disk, for data larger than memory: a directory of
 * shard files ({@link FeatureShard}) and a manifest, {@code shards.json}, written last (a directory
 * without it is incomplete and refused). Written by {@link FeatureShardWriter}; read one mapped
 * shard at a time, in order ({@link #shard(int)}) or shuffled ({@link ShardStream}).
 *
 * <p>Every row has a key (a long, strictly increasing over the whole set; the writer's default is
 * the row's index), a label in [0, classes) or {@link ExampleSet#UNLABELED}, and {@code
 * featureSize} float32 features in the shape {@link #featureShape()}. Teacher outputs are joined
 * to the rows by key. The {@link #contentHash()} is the SHA-256 of the manifest, which records
 * every shard's size and CRC-32 (checked when the shard is read): it changes with any feature,
 * label, key or the order.
 *
 * <p>Manifest fields: {@code format} ({@value #FORMAT}), {@code version} (1), {@code name}, {@code
 * feature_shape}, {@code class_names}, {@code rows}, {@code labelled_rows}, {@code shards} (each
 * {@code path}, {@code rows}, {@code bytes}, {@code first_key}, {@code last_key}, {@code crc32}).
 * Immutable once opened.
 */
public final class FeatureShards {

    /** The manifest's file name. */
    public static final String MANIFEST = "shards.json";
    /** The manifest's {@code format} value. */
    public static final String FORMAT = "distill4j-feature-shards";

    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One shard as the manifest lists it.
     *
     * @param file the shard file
     * @param rows rows in it
     * @param bytes its size in bytes
     * @param firstKey the key of its first row
     * @param lastKey the key of its last row
     * @param crc32 the CRC-32 of its records
     */
    public record Shard(Path file, int rows, long bytes, long firstKey, long lastKey, long crc32) {}

    private final Path dir;
    private final String name;
    private final long[] featureShape;
    private final int featureSize;
    private final List<String> classNames;
    private final long rows;
    private final long labelledRows;
    private final List<Shard> shards;
    private final String contentHash;

    private FeatureShards(
            Path dir,
            String name,
            long[] featureShape,
            List<String> classNames,
            long rows,
            long labelledRows,
            List<Shard> shards,
            String contentHash) {
        this.dir = dir;
        this.name = name;
        this.featureShape = featureShape;
        long size = 1;
        for (long d : featureShape) {
            size *= d;
        }
        this.featureSize = Math.toIntExact(size);
        this.classNames = List.copyOf(classNames);
        this.rows = rows;
        this.labelledRows = labelledRows;
        this.shards = List.copyOf(shards);
        this.contentHash = contentHash;
    }

    /**
     * Opens a shard directory: reads and checks the manifest and that every shard file exists with
     * the size it lists (the records' CRC is checked when a shard is read).
     *
     * @throws DataException naming the file and what is wrong, or that the directory is incomplete
     */
    public static FeatureShards open(Path dir) throws IOException {
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new MissingDataException(
                    manifest,
                    "no " + MANIFEST + " in " + dir
                            + ": not a complete feature-shard directory (FeatureShardWriter writes it last)");
        }
        byte[] bytes = Files.readAllBytes(manifest);
        JsonNode m;
        try {
            m = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new CorruptDataException(manifest, manifest + ": not valid JSON: " + e.getMessage());
        }
        if (m == null
                || !FORMAT.equals(m.path("format").asText())
                || m.path("version").asInt() != 1) {
            throw new CorruptDataException(
                    manifest, manifest + ": format is not " + FORMAT + " version 1 (fields 'format', 'version')");
        }
        long[] shape = new long[m.path("feature_shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = m.path("feature_shape").get(i).asLong();
            if (shape[i] < 1) {
                throw new CorruptDataException(
                        manifest, manifest + ": feature_shape " + m.path("feature_shape") + " has a dimension < 1");
            }
        }
        if (shape.length == 0) {
            throw new CorruptDataException(manifest, manifest + ": feature_shape is missing or empty");
        }
        List<String> classes = new ArrayList<>();
        m.path("class_names").forEach(n -> classes.add(n.asText()));
        if (classes.size() < 2) {
            throw new CorruptDataException(
                    manifest, manifest + ": class_names holds " + classes.size() + " names, need at least 2");
        }
        List<Shard> shards = new ArrayList<>();
        long total = 0;
        long previousLast = Long.MIN_VALUE;
        for (JsonNode s : m.path("shards")) {
            String path = s.path("path").asText();
            Path file = dir.resolve(path).normalize();
            if (path.isEmpty() || !file.startsWith(dir.normalize())) {
                throw new CorruptDataException(manifest, manifest + ": shard path '" + path + "' is not inside " + dir);
            }
            Shard shard = new Shard(
                    file,
                    s.path("rows").asInt(-1),
                    s.path("bytes").asLong(-1),
                    s.path("first_key").asLong(),
                    s.path("last_key").asLong(),
                    s.path("crc32").asLong());
            if (shard.rows() < 1 || shard.lastKey() < shard.firstKey() || shard.firstKey() <= previousLast) {
                throw new CorruptDataException(
                        manifest,
                        manifest + ": shard " + path + " lists " + shard.rows() + " rows with keys ["
                                + shard.firstKey() + ", " + shard.lastKey()
                                + "]: rows must be >= 1 and keys increasing "
                                + "across shards");
            }
            if (!Files.isRegularFile(file) || Files.size(file) != shard.bytes()) {
                throw new MissingDataException(
                        file, "shard is missing or not the " + shard.bytes() + " bytes " + manifest + " says");
            }
            previousLast = shard.lastKey();
            total += shard.rows();
            shards.add(shard);
        }
        if (total != m.path("rows").asLong(-1)) {
            throw new CorruptDataException(
                    manifest, manifest + ": rows is " + m.path("rows") + " but its shards hold " + total + " rows");
        }
        return new FeatureShards(
                dir,
                m.path("name").asText(dir.getFileName().toString()),
                shape,
                classes,
                total,
                m.path("labelled_rows").asLong(),
                shards,
                hex(bytes));
    }

    private static String hex(byte[] manifest) {
        return java.util.HexFormat.of().formatHex(Hashing.sha256().digest(manifest));
    }

    /** Writes the manifest (atomically, last). */
    static void writeManifest(
            Path dir,
            String name,
            long[] featureShape,
            List<String> classNames,
            long rows,
            long labelledRows,
            List<Shard> shards)
            throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("format", FORMAT);
        m.put("version", 1);
        m.put("name", name);
        ArrayNode shape = m.putArray("feature_shape");
        Arrays.stream(featureShape).forEach(shape::add);
        ArrayNode classes = m.putArray("class_names");
        classNames.forEach(classes::add);
        m.put("rows", rows);
        m.put("labelled_rows", labelledRows);
        ArrayNode list = m.putArray("shards");
        for (Shard s : shards) {
            ObjectNode o = list.addObject();
            o.put("path", dir.relativize(s.file()).toString());
            o.put("rows", s.rows());
            o.put("bytes", s.bytes());
            o.put("first_key", s.firstKey());
            o.put("last_key", s.lastKey());
            o.put("crc32", s.crc32());
        }
        org.distill4j.io.AtomicFiles.write(
                dir.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
    }

    /** Maps shard {@code i} (in manifest order) and checks it; close it when done. */
    public FeatureShard shard(int i) throws IOException {
        return FeatureShard.open(shards.get(i), featureSize, classNames.size());
    }

    /** Returns the directory. */
    public Path dir() {
        return dir;
    }

    /** Returns the set's name. */
    public String name() {
        return name;
    }

    /** Returns the shape of one row's features. */
    public long[] featureShape() {
        return featureShape.clone();
    }

    /** Returns the floats in one row. */
    public int featureSize() {
        return featureSize;
    }

    /** Returns the class names, in id order. */
    public List<String> classNames() {
        return classNames;
    }

    /** Returns the number of rows. */
    public long rows() {
        return rows;
    }

    /** Returns the number of rows with a label. */
    public long labelledRows() {
        return labelledRows;
    }

    /** Returns the shards, in manifest (key) order. */
    public List<Shard> shards() {
        return shards;
    }

    /** Returns the largest shard's size in bytes. */
    public long largestShardBytes() {
        return shards.stream().mapToLong(Shard::bytes).max().orElse(0);
    }

    /** Returns the hex SHA-256 of the manifest (see the class comment). */
    public String contentHash() {
        return contentHash;
    }

    @Override
    public String toString() {
        return name + " (" + rows + " rows in " + shards.size() + " shards at " + dir + ", shape "
                + Arrays.toString(featureShape) + ")";
    }
}
