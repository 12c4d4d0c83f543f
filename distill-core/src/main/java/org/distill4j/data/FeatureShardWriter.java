package org.distill4j.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.distill4j.io.AtomicFiles;

/**
 * Writes a {@link FeatureShards} directory row by row with bounded memory: one shard's records
 * are held at a time (at most {@code rowsPerShard} rows), each shard file is written atomically,
 * and the manifest is written last by {@link #finish()}, so a directory whose writer failed, was
 * closed without finishing or was killed has no manifest and is never read as complete. Keys must be strictly increasing; {@link
 * #add(int, float[], int)} numbers the rows 0, 1, 2, ... Not thread-safe.
 */
public final class FeatureShardWriter implements AutoCloseable {

    private final Path dir;
    private final String name;
    private final long[] featureShape;
    private final int featureSize;
    private final List<String> classNames;
    private final int rowsPerShard;
    private final ByteBuffer records;
    private final List<FeatureShards.Shard> shards = new ArrayList<>();
    private long rows;
    private long labelled;
    private long lastKey = Long.MIN_VALUE;
    private long shardFirstKey;
    private int shardRows;
    private boolean closed;

    private FeatureShardWriter(
            Path dir, String name, long[] featureShape, List<String> classNames, int rowsPerShard, int featureSize) {
        this.dir = dir;
        this.name = name;
        this.featureShape = featureShape.clone();
        this.featureSize = featureSize;
        this.classNames = List.copyOf(classNames);
        this.rowsPerShard = rowsPerShard;
        this.records = ByteBuffer.allocate(rowsPerShard * FeatureShard.recordBytes(featureSize))
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Starts writing a shard directory.
     *
     * @param dir the directory (created; must not hold a manifest already)
     * @param name a short name for the set
     * @param featureShape the shape of one row, every dimension &ge; 1
     * @param classNames the class names, at least 2
     * @param rowsPerShard rows a shard holds (the last may hold fewer); a shard must stay under 2 GiB
     * @throws IOException if {@code dir} already holds a complete shard set
     */
    public static FeatureShardWriter create(
            Path dir, String name, long[] featureShape, List<String> classNames, int rowsPerShard) throws IOException {
        long size = 1;
        for (long d : featureShape) {
            if (d < 1) {
                throw new IllegalArgumentException(
                        "feature shape " + Arrays.toString(featureShape) + " has a dimension < 1");
            }
            size *= d;
        }
        if (featureShape.length == 0 || size > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("illegal feature shape " + Arrays.toString(featureShape));
        }
        if (classNames.size() < 2) {
            throw new IllegalArgumentException("need at least 2 classes, got " + classNames);
        }
        long shardBytes = (long) rowsPerShard * FeatureShard.recordBytes((int) size) + FeatureShard.HEADER + 8;
        if (rowsPerShard < 1 || shardBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("illegal rowsPerShard value: " + rowsPerShard
                    + ", must be >= 1 and keep " + "a shard under 2 GiB (" + shardBytes + " bytes)");
        }
        if (Files.exists(dir.resolve(FeatureShards.MANIFEST))) {
            throw new IOException(dir + " already holds a feature-shard set (" + FeatureShards.MANIFEST
                    + "); remove it or choose another directory");
        }
        Files.createDirectories(dir);
        return new FeatureShardWriter(dir, name, featureShape, classNames, rowsPerShard, (int) size);
    }

    /** Writes every row of {@code set} (keys = row indices) into {@code dir} and returns the opened set. */
    public static FeatureShards write(ExampleSet set, Path dir, int rowsPerShard) throws IOException {
        try (FeatureShardWriter w = create(dir, set.name(), set.featureShape(), set.classNames(), rowsPerShard)) {
            float[] row = new float[set.featureSize()];
            int[] one = new int[1];
            for (int i = 0; i < set.size(); i++) {
                one[0] = i;
                set.copyFeatures(one, row);
                w.add(set.label(i), row, 0);
            }
            return w.finish();
        }
    }

    /** Adds a row keyed by its index (the number of rows added before it). */
    public void add(int label, float[] features, int offset) throws IOException {
        add(rows, label, features, offset);
    }

    /**
     * Adds a row.
     *
     * @param key the row's key, greater than every key added before
     * @param label the label, in [0, classes) or {@link ExampleSet#UNLABELED}
     * @param features the features, {@code featureSize} floats from {@code offset}
     * @param offset where the row starts in {@code features}
     */
    public void add(long key, int label, float[] features, int offset) throws IOException {
        if (closed) {
            throw new IllegalStateException("writer of " + dir + " is closed");
        }
        if (key <= lastKey) {
            throw new IllegalArgumentException("key " + key + " is not greater than the previous key " + lastKey);
        }
        if (label < ExampleSet.UNLABELED || label >= classNames.size()) {
            throw new IllegalArgumentException(
                    "label " + label + " of key " + key + " is not in [0, " + classNames.size() + ") or -1");
        }
        if (shardRows == 0) {
            shardFirstKey = key;
        }
        records.putLong(key).putInt(label);
        for (int i = 0; i < featureSize; i++) {
            records.putFloat(features[offset + i]);
        }
        lastKey = key;
        rows++;
        labelled += label >= 0 ? 1 : 0;
        if (++shardRows == rowsPerShard) {
            flushShard();
        }
    }

    private void flushShard() throws IOException {
        if (shardRows == 0) {
            return;
        }
        Path file = dir.resolve(String.format("part-%05d.shard", shards.size()));
        CRC32 crc = new CRC32();
        crc.update(records.array(), 0, records.position());
        int length = records.position();
        int count = shardRows;
        AtomicFiles.write(file, out -> {
            ByteBuffer header = ByteBuffer.allocate(FeatureShard.HEADER).order(ByteOrder.LITTLE_ENDIAN);
            header.put(FeatureShard.MAGIC)
                    .putInt(1)
                    .putInt(count)
                    .putInt(featureSize)
                    .putInt(0);
            out.write(header.array());
            out.write(records.array(), 0, length);
            ByteBuffer footer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            out.write(footer.putLong(crc.getValue()).array());
        });
        shards.add(new FeatureShards.Shard(
                file, count, FeatureShard.HEADER + (long) length + 8, shardFirstKey, lastKey, crc.getValue()));
        records.clear();
        shardRows = 0;
    }

    /** Returns the rows added so far. */
    public long rows() {
        return rows;
    }

    /**
     * Writes the last shard and the manifest; the set is complete from here on.
     *
     * @return the set, opened
     * @throws IOException if no row was added, or a file cannot be written
     */
    public FeatureShards finish() throws IOException {
        if (closed) {
            throw new IllegalStateException("writer of " + dir + " is closed");
        }
        if (rows == 0) {
            throw new IOException("no rows were added to " + dir + "; an empty shard set is not written");
        }
        flushShard();
        closed = true;
        FeatureShards.writeManifest(dir, name, featureShape, classNames, rows, labelled, shards);
        return FeatureShards.open(dir);
    }

    /** Stops writing; without {@link #finish()} first, the directory stays incomplete (no manifest). */
    @Override
    public void close() {
        closed = true;
    }
}
