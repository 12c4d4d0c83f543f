package org.distill4j.data;

import java.io.IOException;
import java.util.List;
import java.util.Random;

/**
 * Trains from {@link FeatureShards} on disk, optionally joined by row key with a teacher's logits
 * ({@link KeyedLogits}), with memory bounded independently of the data's size.
 *
 * <p>An epoch with seed {@code s} visits the shards in an order drawn from {@code s}; the shard
 * visited k-th is mapped alone (the previous one is unmapped first) together with the logits of
 * its key range, and its rows are read in a permutation drawn from {@code new Random(s)} for k = 0
 * (and a seed mixed from s and k after), into a shuffle buffer of {@code bufferRows} rows: once
 * the buffer is full, each row coming in sends out a row picked at random from the buffer. So at
 * any time the epoch holds one mapped shard (and its logits) plus at most {@code bufferRows}
 * copied rows; {@link #lastEpoch()} records the high-water marks. Every row comes out exactly once
 * per epoch; the same shards, seed and buffer give the same order.
 *
 * <p>With one shard and {@code bufferRows = 1} the order is exactly {@link
 * ExampleStream#of(ExampleSet)}'s for the same seed, so training from the shards then equals
 * training from the same rows in memory bit for bit (tested).
 */
public final class ShardStream implements ExampleStream {

    private final FeatureShards shards;
    private final KeyedLogits logits;
    private final int bufferRows;
    private volatile EpochStats lastEpoch;

    /**
     * What an epoch held at most, and what it emitted.
     *
     * @param rows rows emitted
     * @param maxBufferedRows the most rows the shuffle buffer held at once (at most {@code bufferRows})
     * @param maxMappedShards the most shards mapped at once (1 by design)
     * @param shardsVisited the shards in the order visited (indices into the manifest)
     */
    public record EpochStats(long rows, int maxBufferedRows, int maxMappedShards, List<Integer> shardsVisited) {}

    private ShardStream(FeatureShards shards, KeyedLogits logits, int bufferRows) {
        this.shards = shards;
        this.logits = logits;
        this.bufferRows = bufferRows;
    }

    /**
     * Creates a stream.
     *
     * @param shards the rows
     * @param logits the teacher's logits for them, by key, or null (batches then carry none)
     * @param bufferRows the shuffle buffer's rows, &ge; 1 (memory: {@code bufferRows * (featureSize
     *     + classes) * 4} bytes)
     * @throws IllegalArgumentException if the logits were computed on another data set or have
     *     another number of classes
     */
    public static ShardStream of(FeatureShards shards, KeyedLogits logits, int bufferRows) {
        if (bufferRows < 1) {
            throw new IllegalArgumentException("illegal bufferRows value: " + bufferRows + ", must be >= 1");
        }
        if (logits != null) {
            if (!logits.dataHash().equals(shards.contentHash())) {
                throw new IllegalArgumentException("the teacher outputs were computed on data set " + logits.dataHash()
                        + ", not on the shards " + shards.dir() + " (content hash " + shards.contentHash()
                        + "); label these shards with the teacher first");
            }
            if (logits.classes() != shards.classNames().size()) {
                throw new IllegalArgumentException("the teacher outputs hold " + logits.classes() + " logits a row but "
                        + shards.dir() + " has " + shards.classNames().size() + " classes");
            }
        }
        return new ShardStream(shards, logits, bufferRows);
    }

    /** Returns the shards. */
    public FeatureShards shards() {
        return shards;
    }

    /** Returns the shuffle buffer's rows. */
    public int bufferRows() {
        return bufferRows;
    }

    /** Returns the statistics of the last epoch that was closed, or null. */
    public EpochStats lastEpoch() {
        return lastEpoch;
    }

    @Override
    public String name() {
        return shards.name();
    }

    @Override
    public long size() {
        return shards.rows();
    }

    @Override
    public long[] featureShape() {
        return shards.featureShape();
    }

    @Override
    public int featureSize() {
        return shards.featureSize();
    }

    @Override
    public int numClasses() {
        return shards.classNames().size();
    }

    @Override
    public List<String> classNames() {
        return shards.classNames();
    }

    @Override
    public boolean hasLabels() {
        return shards.labelledRows() > 0;
    }

    @Override
    public String contentHash() {
        return shards.contentHash();
    }

    @Override
    public String teacherKey() {
        return logits == null ? null : logits.teacherKey();
    }

    @Override
    public Epoch open(long seed, int batchSize) {
        return new ShardEpoch(seed, batchSize);
    }

    private static long mix(long seed, long k) {
        long z = seed * 0x9E3779B97F4A7C15L + k * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private final class ShardEpoch implements Epoch {
        private final long seed;
        private final int batchSize;
        private final int featureSize = shards.featureSize();
        private final int classes = shards.classNames().size();
        private final int[] shardOrder;
        private final Random pick;
        private final float[] bufFeatures;
        private final float[] bufLogits;
        private final long[] bufKeys;
        private final int[] bufLabels;
        private final List<Integer> visited = new java.util.ArrayList<>();
        private int buffered;
        private int maxBuffered;
        private int mappedShards;
        private int maxMappedShards;
        private int nextShard;
        private FeatureShard shard;
        private KeyedLogits.Window window;
        private int[] rowOrder;
        private int rowPos;
        private long emitted;
        private boolean closed;

        ShardEpoch(long seed, int batchSize) {
            this.seed = seed;
            this.batchSize = batchSize;
            this.shardOrder = ExampleSetStream.permutation(shards.shards().size(), new Random(mix(seed, -1)));
            this.pick = new Random(mix(seed, -2));
            this.bufFeatures = new float[Math.multiplyExact(bufferRows, featureSize)];
            this.bufLogits = new float[logits == null ? 0 : Math.multiplyExact(bufferRows, classes)];
            this.bufKeys = new long[bufferRows];
            this.bufLabels = new int[bufferRows];
        }

        @Override
        public int next(Batch batch) throws IOException {
            if (closed) {
                throw new IllegalStateException("epoch closed");
            }
            int capacity = Math.min(batchSize, batch.capacity());
            int n = 0;
            float[] features = batch.features();
            float[] teacher = batch.teacherLogits();
            long[] labels = batch.labels();
            long[] keys = batch.keys();
            while (n < capacity) {
                fill();
                if (buffered == 0) {
                    break;
                }
                int j = pick.nextInt(buffered);
                System.arraycopy(bufFeatures, j * featureSize, features, n * featureSize, featureSize);
                if (logits != null) {
                    System.arraycopy(bufLogits, j * classes, teacher, n * classes, classes);
                }
                labels[n] = bufLabels[j];
                keys[n] = bufKeys[j];
                n++;
                // The last buffered row takes the emitted one's slot.
                int last = --buffered;
                if (j != last) {
                    System.arraycopy(bufFeatures, last * featureSize, bufFeatures, j * featureSize, featureSize);
                    if (logits != null) {
                        System.arraycopy(bufLogits, last * classes, bufLogits, j * classes, classes);
                    }
                    bufLabels[j] = bufLabels[last];
                    bufKeys[j] = bufKeys[last];
                }
            }
            emitted += n;
            batch.set(n, null);
            return n;
        }

        /** Tops the buffer up from the shards (to full, or to what is left). */
        private void fill() throws IOException {
            while (buffered < bufferRows) {
                if (shard == null || rowPos == rowOrder.length) {
                    if (!nextShard()) {
                        return;
                    }
                }
                int r = rowOrder[rowPos++];
                int slot = buffered;
                long key = shard.key(r);
                FeatureShards.Shard entry = shard.entry();
                if (key < entry.firstKey() || key > entry.lastKey()) {
                    throw new CorruptDataException(
                            entry.file(),
                            entry.file() + ": row " + r + " has key " + key + ", outside the [" + entry.firstKey()
                                    + ", " + entry.lastKey() + "] the manifest lists");
                }
                bufKeys[slot] = key;
                bufLabels[slot] = shard.label(r);
                shard.copyFeatures(r, bufFeatures, slot * featureSize);
                if (window != null) {
                    window.copy(key, bufLogits, slot * classes);
                }
                buffered++;
                maxBuffered = Math.max(maxBuffered, buffered);
            }
        }

        /** Unmaps the current shard and maps the next one; false at the end of the epoch. */
        private boolean nextShard() throws IOException {
            releaseShard();
            if (nextShard == shardOrder.length) {
                return false;
            }
            int k = nextShard++;
            int index = shardOrder[k];
            visited.add(index);
            shard = shards.shard(index);
            mappedShards++;
            maxMappedShards = Math.max(maxMappedShards, mappedShards);
            if (logits != null) {
                window = logits.window(shard.entry().firstKey(), shard.entry().lastKey());
            }
            rowOrder = ExampleSetStream.permutation(shard.rows(), new Random(k == 0 ? seed : mix(seed, k)));
            rowPos = 0;
            return true;
        }

        private void releaseShard() {
            if (window != null) {
                window.close();
                window = null;
            }
            if (shard != null) {
                shard.close();
                shard = null;
                mappedShards--;
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                releaseShard();
                lastEpoch = new EpochStats(emitted, maxBuffered, maxMappedShards, List.copyOf(visited));
            }
        }
    }
}
