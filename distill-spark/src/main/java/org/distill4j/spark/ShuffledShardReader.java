package org.distill4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

/**
 * Streams the rows of a labelling job's output ({@link LabelJob}: {@code OUT/manifest.json} and its
 * Parquet files) in a seeded shuffled order with bounded memory, for training from outputs larger
 * than the heap: the shards are visited in a seeded random order, one open at a time (Parquet reads
 * one row group at a time), and rows pass through a shuffle buffer of {@code bufferRows} rows from
 * which a seeded random one is emitted as each new row comes in. Resident rows: at most {@code
 * bufferRows}, whatever the output's size. The same output, seed and buffer give the same order on
 * every JVM; every row is emitted exactly once. Each shard's size is checked against the manifest
 * before it is read. Needs Parquet and Hadoop's client on the classpath (Spark's, {@code provided}).
 * Not thread-safe.
 */
public final class ShuffledShardReader implements Iterator<ShuffledShardReader.LabelledRow>, AutoCloseable {

    /**
     * One row of teacher outputs.
     *
     * @param key the row key
     * @param logits the teacher's values for the row
     */
    public record LabelledRow(long key, float[] logits) {}

    private final List<Path> shards;
    private final List<Long> sizes;
    private final SplittableRandom random;
    private final LabelledRow[] buffer;
    private int buffered;
    private int nextShard;
    private ParquetReader<Group> reader;
    private int maxBuffered;

    private ShuffledShardReader(List<Path> shards, List<Long> sizes, long seed, int bufferRows) {
        this.random = new SplittableRandom(seed);
        List<Path> order = new ArrayList<>(shards);
        List<Long> orderSizes = new ArrayList<>(sizes);
        for (int i = order.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            java.util.Collections.swap(order, i, j);
            java.util.Collections.swap(orderSizes, i, j);
        }
        this.shards = order;
        this.sizes = orderSizes;
        this.buffer = new LabelledRow[bufferRows];
    }

    /**
     * Opens a job's output directory.
     *
     * @param out the directory {@link LabelJob} wrote
     * @param seed the shuffle's seed
     * @param bufferRows rows held at most, &ge; 1 (1 = shard order shuffled, rows in file order)
     * @throws IOException if the manifest is missing or names a file that is missing or of another size
     */
    public static ShuffledShardReader open(Path out, long seed, int bufferRows) throws IOException {
        if (bufferRows < 1) {
            throw new IllegalArgumentException("illegal bufferRows value: " + bufferRows + ", must be >= 1");
        }
        Path manifest = out.resolve(LabelJob.MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new IOException(out + " has no " + LabelJob.MANIFEST + "; not a complete labelling output");
        }
        JsonNode m = new ObjectMapper().readTree(manifest.toFile());
        List<Path> shards = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (JsonNode f : m.path("files")) {
            shards.add(out.resolve(f.get("path").asText()));
            sizes.add(f.get("bytes").asLong());
        }
        return new ShuffledShardReader(shards, sizes, seed, bufferRows);
    }

    /** Returns the most rows the buffer has held so far (never more than {@code bufferRows}). */
    public int maxBuffered() {
        return maxBuffered;
    }

    @Override
    public boolean hasNext() {
        fill();
        return buffered > 0;
    }

    @Override
    public LabelledRow next() {
        fill();
        if (buffered == 0) {
            throw new NoSuchElementException();
        }
        int pick = random.nextInt(buffered);
        LabelledRow row = buffer[pick];
        buffer[pick] = buffer[--buffered];
        buffer[buffered] = null;
        return row;
    }

    /** Tops the buffer up to full from the shards (or to what is left). */
    private void fill() {
        try {
            while (buffered < buffer.length) {
                LabelledRow row = read();
                if (row == null) {
                    return;
                }
                buffer[buffered++] = row;
                maxBuffered = Math.max(maxBuffered, buffered);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private LabelledRow read() throws IOException {
        while (true) {
            if (reader == null) {
                if (nextShard == shards.size()) {
                    return null;
                }
                Path shard = shards.get(nextShard);
                long expected = sizes.get(nextShard++);
                if (!Files.isRegularFile(shard) || Files.size(shard) != expected) {
                    throw new IOException(
                            "shard " + shard + " is missing or not the " + expected + " bytes its manifest says");
                }
                reader = ParquetReader.builder(new GroupReadSupport(), new org.apache.hadoop.fs.Path(shard.toUri()))
                        .build();
            }
            Group g = reader.read();
            if (g != null) {
                Group list = g.getGroup("logits", 0);
                int n = list.getFieldRepetitionCount(0);
                float[] logits = new float[n];
                for (int i = 0; i < n; i++) {
                    logits[i] = list.getGroup(0, i).getFloat(0, 0);
                }
                return new LabelledRow(g.getLong("key", 0), logits);
            }
            reader.close();
            reader = null;
        }
    }

    @Override
    public void close() throws IOException {
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }
}
