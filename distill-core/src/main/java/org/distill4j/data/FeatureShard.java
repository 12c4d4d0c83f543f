package org.distill4j.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
import org.distill4j.io.MappedRegion;

/**
 * One shard of a {@link FeatureShards} set, memory-mapped for reading: rows are read in place
 * (any order), and closing the shard unmaps it, so its pages leave the resident set.
 *
 * <p>File format ({@code part-NNNNN.shard}, little-endian): magic {@code D4JSHARD}, int version
 * 1, int rows, int featureSize, int 0; then {@code rows} records of (long key, int label,
 * {@code featureSize} float32 features); then the long CRC-32 of the records. Checked on open:
 * magic, version, the counts against the manifest, the size and the CRC (one sequential pass over
 * the mapped file). Not thread-safe.
 */
public final class FeatureShard implements AutoCloseable {

    static final byte[] MAGIC = {'D', '4', 'J', 'S', 'H', 'A', 'R', 'D'};
    static final int HEADER = 24;

    private final FeatureShards.Shard entry;
    private final int featureSize;
    private final int classes;
    private final int recordBytes;
    private final MappedRegion region;
    private final ByteBuffer buffer;

    private FeatureShard(FeatureShards.Shard entry, int featureSize, int classes, MappedRegion region) {
        this.entry = entry;
        this.featureSize = featureSize;
        this.classes = classes;
        this.recordBytes = recordBytes(featureSize);
        this.region = region;
        this.buffer = region.buffer();
    }

    /** Returns the bytes of one record: key, label and features. */
    static int recordBytes(int featureSize) {
        return Math.addExact(12, Math.multiplyExact(4, featureSize));
    }

    static FeatureShard open(FeatureShards.Shard entry, int featureSize, int classes) throws IOException {
        MappedRegion region = MappedRegion.map(entry.file(), 0, entry.bytes());
        try {
            ByteBuffer b = region.buffer();
            long expected = HEADER + (long) entry.rows() * recordBytes(featureSize) + 8;
            if (entry.bytes() != expected || b.capacity() < HEADER) {
                throw new CorruptDataException(
                        entry.file(),
                        entry.file() + ": " + entry.bytes() + " bytes, expected " + expected + " for " + entry.rows()
                                + " rows of " + featureSize + " features");
            }
            byte[] magic = new byte[MAGIC.length];
            b.get(0, magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new CorruptDataException(entry.file(), entry.file() + ": not a feature shard (bad magic)");
            }
            int version = b.getInt(8);
            int rows = b.getInt(12);
            int fs = b.getInt(16);
            if (version != 1 || rows != entry.rows() || fs != featureSize) {
                throw new CorruptDataException(
                        entry.file(),
                        entry.file() + ": header says version " + version + ", " + rows
                                + " rows of " + fs + " features; expected version 1, " + entry.rows() + " rows of "
                                + featureSize + " (from the manifest)");
            }
            CRC32 crc = new CRC32();
            crc.update(b.slice(HEADER, (int) (expected - HEADER - 8)));
            long stored = b.getLong((int) expected - 8);
            if (crc.getValue() != stored || stored != entry.crc32()) {
                throw new CorruptDataException(
                        entry.file(),
                        entry.file() + ": checksum mismatch (corrupt): records " + crc.getValue() + ", footer " + stored
                                + ", manifest " + entry.crc32());
            }
            return new FeatureShard(entry, featureSize, classes, region);
        } catch (IOException | RuntimeException e) {
            region.close();
            throw e;
        }
    }

    /** Returns the manifest's entry for this shard. */
    public FeatureShards.Shard entry() {
        return entry;
    }

    /** Returns the number of rows. */
    public int rows() {
        return entry.rows();
    }

    /** Returns the key of row {@code r}. */
    public long key(int r) {
        return buffer.getLong(offset(r));
    }

    /**
     * Returns the label of row {@code r}, in [0, classes) or {@link ExampleSet#UNLABELED}.
     *
     * @throws CorruptDataException naming the shard if the stored label is out of range
     */
    public int label(int r) throws CorruptDataException {
        int label = buffer.getInt(offset(r) + 8);
        if (label < ExampleSet.UNLABELED || label >= classes) {
            throw new CorruptDataException(
                    entry.file(),
                    entry.file() + ": row " + r + " has label " + label + ", expected -1 or [0, " + classes + ")");
        }
        return label;
    }

    /** Copies row {@code r}'s features into {@code dst} from {@code dstOffset}. */
    public void copyFeatures(int r, float[] dst, int dstOffset) {
        buffer.slice(offset(r) + 12, 4 * featureSize)
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer()
                .get(dst, dstOffset, featureSize);
    }

    private int offset(int r) {
        java.util.Objects.checkIndex(r, entry.rows());
        return HEADER + r * recordBytes;
    }

    /** Unmaps the shard. */
    @Override
    public void close() {
        region.close();
    }
}
