package org.distill4j.teacher;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;
import java.util.zip.CRC32;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.FeatureShard;
import org.distill4j.data.FeatureShards;
import org.distill4j.data.InputBuffer;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Computes a teacher's logits over a data set once and keeps them on disk, keyed by the teacher's
 * content hash and the data set's content hash: a later run with the same teacher and data reads
 * them back without calling the teacher; a changed teacher or data set gets a new key.
 *
 * <p>File format ({@code <key>.logits}): magic {@code D4JLOGIT}, int version 1, int rows, int
 * classes, UTF teacher key, UTF data hash, {@code rows * classes} little-endian float32, then the
 * CRC-32 of those floats. Files are written atomically; a file that fails any check is reported
 * and recomputed, never used. An instance is meant for one thread.
 */
public final class TeacherOutputCache {

    private static final Logger LOG = LoggerFactory.getLogger(TeacherOutputCache.class);
    static final byte[] MAGIC = {'D', '4', 'J', 'L', 'O', 'G', 'I', 'T'};
    static final int VERSION = 1;

    private final Path dir;
    // Per-instance record of the last lookup, for reporting; instances are not thread-safe.
    private boolean lastWasHit;

    /**
     * Creates a cache in a directory (created when first written).
     *
     * @param dir the cache directory
     */
    public TeacherOutputCache(Path dir) {
        this.dir = dir;
    }

    /** Returns the cache directory. */
    public Path dir() {
        return dir;
    }

    /** Returns the file that holds (or would hold) the outputs of {@code teacher} on {@code data}. */
    public Path fileFor(TeacherIdentity teacher, ExampleSet data) {
        return dir.resolve(Hashing.sha256(teacher.cacheKey() + "\n" + data.contentHash()) + ".logits");
    }

    /**
     * Returns the teacher's logits on every row of {@code data}, from the cache when present and
     * valid, otherwise computed in batches and stored.
     *
     * @param teacher the teacher
     * @param data the data set
     * @param manager manager for temporary arrays (a sub-manager is opened per batch)
     * @param batchSize rows per teacher call
     * @param progress told the number of rows done after each batch (may be a no-op)
     * @return the outputs; {@link #lastWasHit()} says whether they came from disk
     */
    public TeacherOutputs getOrCompute(
            Teacher teacher, ExampleSet data, NDManager manager, int batchSize, IntConsumer progress)
            throws IOException {
        String key = teacher.identity().cacheKey();
        Path file = fileFor(teacher.identity(), data);
        if (Files.isRegularFile(file)) {
            try {
                TeacherOutputs cached = read(file);
                if (cached.teacherKey().equals(key)
                        && cached.dataHash().equals(data.contentHash())
                        && cached.rows() == data.size()) {
                    lastWasHit = true;
                    progress.accept(data.size());
                    return cached;
                }
                LOG.warn("teacher-output cache {} belongs to another teacher or data set; recomputing", file);
            } catch (IOException e) {
                LOG.warn("teacher-output cache {} is unusable ({}); recomputing", file, e.getMessage());
            }
        }
        lastWasHit = false;
        TeacherOutputs computed = compute(teacher, data, manager, batchSize, progress);
        write(file, computed);
        return computed;
    }

    /** Returns whether the last {@link #getOrCompute} call was served from disk. */
    public boolean lastWasHit() {
        return lastWasHit;
    }

    /** Runs the teacher over all rows of {@code data}, in order, without touching the cache. */
    public static TeacherOutputs compute(
            Teacher teacher, ExampleSet data, NDManager manager, int batchSize, IntConsumer progress) {
        float[] logits = ExampleSets.forward(data, manager, batchSize, teacher::logits, data.numClasses(), progress);
        return new TeacherOutputs(
                teacher.identity().cacheKey(), data.contentHash(), data.size(), data.numClasses(), logits);
    }

    /** Returns the file that holds (or would hold) the outputs of {@code teacher} on {@code shards}. */
    public Path fileFor(TeacherIdentity teacher, FeatureShards shards) {
        return dir.resolve(Hashing.sha256(teacher.cacheKey() + "\n" + shards.contentHash()) + ".logits");
    }

    /**
     * Returns the teacher's logits on every row of {@code shards}, memory-mapped from the cache
     * when present and valid, otherwise computed with {@link #computeToFile} and stored.
     */
    public MappedTeacherOutputs getOrComputeMapped(
            Teacher teacher, FeatureShards shards, NDManager manager, int batchSize, LongConsumer progress)
            throws IOException {
        Path file = fileFor(teacher.identity(), shards);
        if (Files.isRegularFile(file)) {
            try {
                MappedTeacherOutputs cached = MappedTeacherOutputs.open(file);
                if (cached.teacherKey().equals(teacher.identity().cacheKey())
                        && cached.dataHash().equals(shards.contentHash())
                        && cached.rows() == shards.rows()) {
                    lastWasHit = true;
                    progress.accept(shards.rows());
                    return cached;
                }
                LOG.warn("teacher-output cache {} belongs to another teacher or data set; recomputing", file);
            } catch (IOException e) {
                LOG.warn("teacher-output cache {} is unusable ({}); recomputing", file, e.getMessage());
            }
        }
        lastWasHit = false;
        return computeToFile(teacher, shards, file, manager, batchSize, progress);
    }

    /**
     * Runs the teacher over every row of {@code shards} in key order and writes its logits to
     * {@code file} (this class's format, atomically) as it goes: one shard mapped and one batch of
     * logits in memory at a time, whatever the data's size. Batches are cut as {@link #compute}
     * cuts them, so the logits equal {@code compute}'s on the same rows in memory bit for bit.
     *
     * @param teacher the teacher
     * @param shards the rows; their keys must be 0, 1, 2, ... (the writer's default), since the
     *     file is indexed by key
     * @param file where to write
     * @param manager manager for temporary arrays (a sub-manager per batch)
     * @param batchSize rows per teacher call
     * @param progress told the rows done after each batch
     * @return the written file, opened mapped
     */
    public static MappedTeacherOutputs computeToFile(
            Teacher teacher, FeatureShards shards, Path file, NDManager manager, int batchSize, LongConsumer progress)
            throws IOException {
        long total = shards.rows();
        int classes = shards.classNames().size();
        if (total * classes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(shards.dir() + ": " + total + " rows x " + classes + " classes is more "
                    + "logits than the cache format's int counts hold");
        }
        int fs = shards.featureSize();
        long[] shape = shards.featureShape();
        long[] dims = new long[shape.length + 1];
        System.arraycopy(shape, 0, dims, 1, shape.length);
        float[] buf = new float[Math.toIntExact(Math.min(batchSize, Math.max(total, 1)) * fs)];
        InputBuffer pinned = new InputBuffer(Math.max(1, buf.length * Float.BYTES));
        AtomicFiles.write(file, stream -> {
            DataOutputStream out = new DataOutputStream(stream);
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt((int) total);
            out.writeInt(classes);
            out.writeUTF(teacher.identity().cacheKey());
            out.writeUTF(shards.contentHash());
            CRC32 crc = new CRC32();
            ByteBuffer bytes = ByteBuffer.allocate(batchSize * classes * 4).order(ByteOrder.LITTLE_ENDIAN);
            long done = 0;
            int count = 0;
            for (int s = 0; s < shards.shards().size(); s++) {
                try (FeatureShard shard = shards.shard(s)) {
                    for (int r = 0; r < shard.rows(); r++) {
                        long key = shard.key(r);
                        if (key != done + count) {
                            throw new IOException(shard.entry().file() + ": row " + r + " has key " + key
                                    + ", expected "
                                    + (done + count) + ": a .logits file is indexed by key, so the keys must be 0, 1, "
                                    + "2, ... (write the shards without explicit keys)");
                        }
                        shard.copyFeatures(r, buf, count * fs);
                        if (++count == batchSize) {
                            writeBatch(teacher, manager, pinned, buf, count, dims, classes, bytes, crc, out);
                            done += count;
                            count = 0;
                            progress.accept(done);
                        }
                    }
                }
            }
            if (count > 0) {
                writeBatch(teacher, manager, pinned, buf, count, dims, classes, bytes, crc, out);
                done += count;
                progress.accept(done);
            }
            out.writeLong(crc.getValue());
            out.flush();
        });
        return MappedTeacherOutputs.open(file);
    }

    private static void writeBatch(
            Teacher teacher,
            NDManager manager,
            InputBuffer pinned,
            float[] buf,
            int count,
            long[] dims,
            int classes,
            ByteBuffer bytes,
            CRC32 crc,
            DataOutputStream out)
            throws IOException {
        dims[0] = count;
        try (NDManager batch = manager.newSubManager()) {
            NDArray y = teacher.logits(pinned.upload(batch, buf, new Shape(dims)));
            if (y.getShape().dimension() != 2
                    || y.getShape().get(0) != count
                    || y.getShape().get(1) != classes) {
                throw new IllegalStateException("teacher returned shape " + y.getShape() + " for a batch of " + count
                        + " rows; expected (" + count + ", " + classes + ")");
            }
            float[] logits = y.toType(DataType.FLOAT32, false).toFloatArray();
            bytes.clear();
            bytes.asFloatBuffer().put(logits);
            crc.update(bytes.array(), 0, logits.length * 4);
            out.write(bytes.array(), 0, logits.length * 4);
        }
    }

    static void write(Path file, TeacherOutputs outputs) throws IOException {
        AtomicFiles.write(file, stream -> {
            DataOutputStream out = new DataOutputStream(stream);
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(outputs.rows());
            out.writeInt(outputs.classes());
            out.writeUTF(outputs.teacherKey());
            out.writeUTF(outputs.dataHash());
            ByteBuffer bb = ByteBuffer.allocate(outputs.logits().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(outputs.logits());
            CRC32 crc = new CRC32();
            crc.update(bb.array());
            out.write(bb.array());
            out.writeLong(crc.getValue());
            out.flush();
        });
    }

    /** Reads and checks a cache file; any inconsistency is an IOException naming the file. */
    static TeacherOutputs read(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new IOException(file + ": not a teacher-output cache file (bad magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException(file + ": version " + version + ", expected " + VERSION);
            }
            int rows = in.readInt();
            int classes = in.readInt();
            String teacherKey = in.readUTF();
            String dataHash = in.readUTF();
            long payload = (long) rows * classes * 4;
            if (payload > Math.min(Integer.MAX_VALUE - 8L, Runtime.getRuntime().maxMemory())) {
                throw new IOException(file + ": declares " + rows + " rows x " + classes + " classes = " + payload
                        + " bytes of logits, more than one array or this JVM's heap holds (corrupt, or raise -Xmx)");
            }
            long header = MAGIC.length
                    + 12L
                    + 2
                    + teacherKey.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    + 2
                    + dataHash.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (rows < 0 || classes < 0 || header + payload + 8 != size) {
                throw new IOException(file + ": " + size + " bytes, expected " + (header + payload + 8) + " for " + rows
                        + " rows x " + classes + " classes (truncated or corrupt)");
            }
            byte[] bytes = in.readNBytes((int) payload);
            CRC32 crc = new CRC32();
            crc.update(bytes);
            if (in.readLong() != crc.getValue()) {
                throw new IOException(file + ": checksum mismatch (corrupt)");
            }
            float[] logits = new float[rows * classes];
            ByteBuffer.wrap(bytes)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer()
                    .get(logits);
            return new TeacherOutputs(teacherKey, dataHash, rows, classes, logits);
        }
    }
}
