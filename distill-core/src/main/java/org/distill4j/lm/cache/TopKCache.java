package org.distill4j.lm.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;
import java.util.stream.IntStream;
import org.distill4j.data.CorruptDataException;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.FileRanges;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.teacher.LmTeacher;

/**
 * A language-model teacher's top-k next-token log-probabilities for every position of a packed
 * corpus, on disk, read a window at a time.
 *
 * <p>Position p is the prediction of stream token p + 1 (window i, offset t is position i*T + t).
 * File layout, little-endian: magic {@code D4JTOPK1} (8 bytes), int version (1), int k, long
 * positions, int key length and the key's UTF-8 bytes, then positions x k int32 ids, then positions
 * x k float16 log-probabilities (descending per position). The key names what the outputs depend on
 * (teacher hash, corpus hash, tokenizer, k, window length); opening with another key is refused, as
 * is a file whose header or length is inconsistent ({@link CorruptDataException} naming the file).
 * Files are written atomically. A cache must be closed.
 *
 * <p>Reads ({@link #targets}) and writes ({@link #build}, and {@link #write} for HTTP and Spark
 * collection, whose rows arrive in any order) are positional ({@link FileChannel} reads and writes
 * of one window's or batch's rows, {@link Rows}), as for the corpus's token files ({@link
 * org.distill4j.lm.corpus.TokenFile}): the file may be larger than memory and than one mapped
 * region (2 GiB), and the process holds no page of it beyond the rows it asked for.
 */
public final class TopKCache implements AutoCloseable {

    private static final byte[] MAGIC = "D4JTOPK1".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    private final Path file;
    private final FileChannel channel;
    private final int k;
    private final long positions;
    private final String key;
    private final long idStart;
    private final long logProbStart;

    private TopKCache(Path file, FileChannel channel, int k, long positions, String key, long dataStart) {
        this.file = file;
        this.channel = channel;
        this.k = k;
        this.positions = positions;
        this.key = key;
        this.idStart = dataStart;
        this.logProbStart = dataStart + positions * k * 4;
    }

    /**
     * Runs {@code teacher} over every window and writes its top-k to {@code file} atomically.
     *
     * @param k log-probabilities per position, in [1, 20]
     * @param batchSize windows per teacher forward pass
     * @param key what the outputs depend on (see class doc)
     */
    public static void build(Path file, LmTeacher teacher, TokenWindows windows, int k, int batchSize, String key)
            throws IOException {
        build(file, teacher, windows, null, k, batchSize, key);
    }

    /**
     * Runs {@code teacher} over the {@code selected} windows only and writes their top-k to {@code
     * file} atomically; every other window's positions are absent (no distillation term there, see
     * {@link org.distill4j.lm.loss.TopKKl}), so a student trains on them with cross-entropy alone.
     *
     * @param selected the windows to score (e.g. {@link org.distill4j.lm.corpus.WindowShare#select}),
     *     or null for all
     * @param k log-probabilities per position, in [1, 20]
     * @param batchSize windows per teacher forward pass
     * @param key what the outputs depend on (see class doc), the selection included
     */
    public static void build(
            Path file, LmTeacher teacher, TokenWindows windows, BitSet selected, int k, int batchSize, String key)
            throws IOException {
        checkK(k);
        int t = windows.contextLength();
        long positions = windows.targetTokens();
        ByteBuffer header = header(k, positions, key);
        long dataStart = header.remaining();
        long lpStart = dataStart + positions * k * 4;
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".topk-", ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                NDManager root = NDManager.newBaseManager("PyTorch")) {
            FileRanges.write(ch, header, 0);
            Rows out = new Rows(ch, k, positions, dataStart);
            int[] chosen = selected == null
                    ? IntStream.range(0, windows.size()).toArray()
                    : selected.stream().filter(w -> w < windows.size()).toArray();
            for (int w = selected == null ? -1 : selected.nextClearBit(0);
                    w >= 0 && w < windows.size();
                    w = selected.nextClearBit(w + 1)) {
                long first = (long) w * t;
                out.putAbsent(first, (int) Math.min(t, positions - first));
            }
            for (int from = 0; from < chosen.length; from += batchSize) {
                int n = Math.min(batchSize, chosen.length - from);
                int[] idx = Arrays.copyOfRange(chosen, from, from + n);
                try (NDManager m = root.newSubManager()) {
                    NDList b = windows.batch(m, idx);
                    NDList top = teacher.logits(b.get(0)).logSoftmax(2).topK(k, 2, true, true);
                    float[] lp = top.get(0).toFloatArray();
                    long[] id = top.get(1).toType(DataType.INT64, false).toLongArray();
                    int[] id32 = new int[id.length];
                    for (int r = 0; r < id32.length; r++) {
                        id32[r] = (int) id[r];
                    }
                    // One window at a time: a selection's windows need not be contiguous. The last
                    // window may end before T positions (the corpus's end).
                    for (int i = 0; i < n; i++) {
                        long first = (long) idx[i] * t;
                        int rows = (int) Math.min(t, positions - first);
                        int at = i * t * k;
                        out.put(
                                first,
                                rows,
                                Arrays.copyOfRange(id32, at, at + rows * k),
                                Arrays.copyOfRange(lp, at, at + rows * k));
                    }
                }
            }
            ch.force(true);
            AtomicFiles.moveAtomically(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void checkK(int k) {
        if (k < 1 || k > 20) {
            throw new IllegalArgumentException("illegal k value: " + k + ", must be in [1, 20]");
        }
    }

    private static ByteBuffer header(int k, long positions, String key) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 4 + 4 + 8 + 4 + keyBytes.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC)
                .putInt(VERSION)
                .putInt(k)
                .putLong(positions)
                .putInt(keyBytes.length)
                .put(keyBytes);
        return header.flip();
    }

    /**
     * The rows of a cache file being written: each {@link #put} writes positions' ids and
     * log-probabilities at their offsets with positional writes (no mapped region, no heap beyond
     * the caller's arrays), so a file of any size can be filled in any order. Thread-safe. A position
     * never put reads back as id 0 with log-probability 0 (the sparse file's zeros), which is not absent:
     * fill every position, with {@link #putAbsent} where there is nothing to store.
     */
    public static final class Rows {
        private final FileChannel channel;
        private final int k;
        private final long positions;
        private final long idStart;
        private final long logProbStart;

        private Rows(FileChannel channel, int k, long positions, long dataStart) {
            this.channel = channel;
            this.k = k;
            this.positions = positions;
            this.idStart = dataStart;
            this.logProbStart = dataStart + positions * k * 4;
        }

        /** Returns k, the entries per position. */
        public int k() {
            return k;
        }

        /** Returns the number of positions of the file. */
        public long positions() {
            return positions;
        }

        /**
         * Writes the positions {@code [first, first + rows)}: their {@code rows x k} ids and natural-log
         * log-probabilities (stored as float16, {@link Half}), position-major, most likely first.
         *
         * @param ids at least {@code rows x k} token ids
         * @param logProbs at least {@code rows x k} log-probabilities
         * @throws IllegalArgumentException if the rows fall outside [0, positions) or the arrays are short
         */
        public void put(long first, int rows, int[] ids, float[] logProbs) throws IOException {
            int n = rows * k;
            if (first < 0 || rows < 0 || first + rows > positions || ids.length < n || logProbs.length < n) {
                throw new IllegalArgumentException("rows [" + first + ", " + (first + rows) + ") with " + ids.length
                        + " ids and " + logProbs.length + " log-probabilities do not fit " + positions
                        + " positions x k=" + k);
            }
            ByteBuffer idBuf = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer lpBuf = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < n; r++) {
                idBuf.putInt(ids[r]);
                lpBuf.putShort(Half.fromFloat(logProbs[r]));
            }
            FileRanges.write(channel, idBuf.flip(), idStart + first * k * 4);
            FileRanges.write(channel, lpBuf.flip(), logProbStart + first * k * 2);
        }

        /**
         * Marks the positions {@code [first, first + rows)} absent: every entry id 0 with
         * log-probability -inf, which the top-k loss leaves out (no distillation term there).
         */
        public void putAbsent(long first, int rows) throws IOException {
            int[] ids = new int[rows * k];
            float[] logProbs = new float[rows * k];
            Arrays.fill(logProbs, Float.NEGATIVE_INFINITY);
            put(first, rows, ids, logProbs);
        }
    }

    /** Fills a cache file being written (e.g. with an HTTP teacher's or a Spark job's top-k). */
    @FunctionalInterface
    public interface Filler {
        /** Writes every position's k entries, in any order, through {@code rows}. */
        void fill(Rows rows) throws IOException;
    }

    /**
     * Writes a cache of {@code positions x k} entries that {@code filler} supplies (e.g. an HTTP
     * teacher's top-k), atomically, with positional writes so neither the heap nor a mapped region
     * limits the file's size.
     *
     * @param k log-probabilities per position, in [1, 20]
     * @param key what the outputs depend on (see class doc)
     */
    public static void write(Path file, int k, long positions, String key, Filler filler) throws IOException {
        write(file, k, positions, key, null, filler);
    }

    /**
     * Writes a cache like {@link #write(Path, int, long, String, Filler)}, but through the fixed
     * file {@code partial} that survives a failure or a kill: when it exists with the same header
     * (k, positions, key) and length, the filler finds in it whatever an interrupted run had written,
     * and fills only the rest (its caller knows which parts, e.g. from a journal). On success the
     * partial file becomes {@code file} atomically; on failure it is left for the next run. The
     * partial file has its full length before the filler runs.
     *
     * @param partial the partial file, or null for a temporary file deleted on failure
     */
    public static void write(Path file, int k, long positions, String key, Path partial, Filler filler)
            throws IOException {
        checkK(k);
        long length = fileLength(k, positions, key);
        ByteBuffer header = header(k, positions, key);
        long dataStart = header.remaining();
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp;
        if (partial == null) {
            tmp = Files.createTempFile(dir, ".topk-", ".tmp");
        } else {
            tmp = partial;
            if (Files.exists(partial) && !sameHeader(partial, header.duplicate(), length)) {
                // Another job's (or a damaged) partial file: its contents cannot be trusted.
                Files.delete(partial);
            }
        }
        try (FileChannel ch =
                FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileRanges.write(ch, header, 0);
            if (ch.size() < length) {
                // Full length at once (sparse): unwritten rows read as absent, and a resumed run's
                // length check sees a complete-sized file.
                FileRanges.write(ch, ByteBuffer.allocate(1), length - 1);
            }
            filler.fill(new Rows(ch, k, positions, dataStart));
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            if (partial == null) {
                Files.deleteIfExists(tmp);
            }
            throw e;
        }
        try {
            AtomicFiles.moveAtomically(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Returns the length in bytes of a cache file of {@code positions x k} entries under {@code key}. */
    public static long fileLength(int k, long positions, String key) {
        return MAGIC.length + 20L + key.getBytes(StandardCharsets.UTF_8).length + positions * k * 6;
    }

    private static boolean sameHeader(Path partial, ByteBuffer header, long length) throws IOException {
        try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.READ)) {
            if (ch.size() != length) {
                return false;
            }
            ByteBuffer got = ByteBuffer.allocate(header.remaining());
            ch.read(got, 0);
            got.flip();
            return got.equals(header);
        }
    }

    /**
     * Opens a cache written by {@link #build}.
     *
     * @param expectedKey the key the caller's teacher, corpus, tokenizer and k give
     * @throws CorruptDataException if the file is not a top-k cache, is truncated, or was built for another key
     */
    public static TopKCache open(Path file, String expectedKey) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, 1 << 16)).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(head, 0);
            head.flip();
            byte[] magic = new byte[MAGIC.length];
            if (head.remaining() < MAGIC.length + 20) {
                throw corrupt(file, "file of " + size + " bytes is shorter than a top-k cache header");
            }
            head.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw corrupt(
                        file,
                        "not a top-k cache: magic " + new String(magic, StandardCharsets.ISO_8859_1)
                                + " vs expected D4JTOPK1");
            }
            int version = head.getInt();
            int k = head.getInt();
            long positions = head.getLong();
            int keyLength = head.getInt();
            if (version != VERSION
                    || k < 1
                    || k > 20
                    || positions < 0
                    || keyLength < 0
                    || keyLength > head.remaining()) {
                throw corrupt(
                        file,
                        "bad header: version " + version + " (expected 1), k " + k + ", positions " + positions
                                + ", key length " + keyLength);
            }
            byte[] keyBytes = new byte[keyLength];
            head.get(keyBytes);
            String key = new String(keyBytes, StandardCharsets.UTF_8);
            long dataStart = MAGIC.length + 20L + keyLength;
            long expected = dataStart + positions * k * 6;
            if (size != expected) {
                throw corrupt(
                        file,
                        "length " + size + " bytes vs expected " + expected + " for " + positions + " positions x k="
                                + k + " (truncated or overwritten)");
            }
            if (!key.equals(expectedKey)) {
                throw corrupt(
                        file,
                        "built for key '" + key + "' vs expected '" + expectedKey
                                + "' (another teacher, corpus, tokenizer or k); rebuild it");
            }
            return new TopKCache(file, ch, k, positions, key, dataStart);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static CorruptDataException corrupt(Path file, String what) {
        return new CorruptDataException(file, file + ": " + what);
    }

    /** Returns k. */
    public int k() {
        return k;
    }

    /** Returns the number of positions (real targets of the corpus). */
    public long positions() {
        return positions;
    }

    /** Returns the key the cache was built for. */
    public String key() {
        return key;
    }

    /**
     * Returns the top-k targets of the given windows as (B, T, k) arrays; positions past the end of
     * the corpus (padding) get id 0 with log-probability 0, which the losses mask out.
     *
     * @param windowLength T, the window length the cache was built with
     */
    public TeacherTargets.TopK targets(NDManager manager, int[] windowIndices, int windowLength) {
        int t = windowLength;
        long[] id = new long[windowIndices.length * t * k];
        float[] lp = new float[id.length];
        for (int w = 0; w < windowIndices.length; w++) {
            long first = (long) windowIndices[w] * t;
            int rows = (int) Math.max(0, Math.min(t, positions - first));
            if (rows == 0) {
                continue;
            }
            ByteBuffer idBuf = read(idStart + first * k * 4, rows * k * 4);
            ByteBuffer lpBuf = read(logProbStart + first * k * 2, rows * k * 2);
            for (int r = 0; r < rows * k; r++) {
                id[w * t * k + r] = idBuf.getInt();
                lp[w * t * k + r] = Half.toFloat(lpBuf.getShort());
            }
        }
        Shape shape = new Shape(windowIndices.length, t, k);
        NDArray idArray = manager.create(id, shape);
        NDArray lpArray = manager.create(lp, shape);
        return new TeacherTargets.TopK(idArray, lpArray);
    }

    private ByteBuffer read(long position, int bytes) {
        ByteBuffer buf = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (!FileRanges.read(channel, buf, position)) {
                throw new CorruptDataException(
                        file, file + ": ended before byte " + (position + bytes) + " (truncated?)");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(file + ": cannot read " + bytes + " bytes at " + position, e);
        }
        return buf.flip();
    }

    @Override
    public String toString() {
        return "TopKCache(" + file + ", k=" + k + ", positions=" + positions + ")";
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
