package org.distill4j.io;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read-only, little-endian memory-mapped region of a file, unmapped when closed: the pages it
 * touched leave the process's resident set then, not whenever the garbage collector gets to the
 * buffer. This is what keeps the resident memory of a pass over files larger than the heap bounded
 * by the regions open at once. Unmapping uses the JDK's buffer cleaner ({@code
 * sun.misc.Unsafe.invokeCleaner}, module {@code jdk.unsupported}); where it is not available the
 * region is left to the collector and {@link #promptUnmap()} says so.
 *
 * <p>A region is at most {@link Integer#MAX_VALUE} bytes (one {@link MappedByteBuffer}). Not
 * thread-safe; after {@link #close()} the buffer must not be used.
 */
public final class MappedRegion implements AutoCloseable {

    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;
    private static final AtomicLong MAPPED = new AtomicLong();
    private static final AtomicLong MAX_MAPPED = new AtomicLong();

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            cleaner = c.getMethod("invokeCleaner", java.nio.ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Left to the garbage collector (promptUnmap() false).
            unsafe = null;
            cleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private final Path file;
    private final long offset;
    private MappedByteBuffer buffer;

    private MappedRegion(Path file, long offset, MappedByteBuffer buffer) {
        this.file = file;
        this.offset = offset;
        this.buffer = buffer;
    }

    /**
     * Maps {@code length} bytes of {@code file} from {@code offset}, read-only.
     *
     * @throws IOException naming the file if it cannot be opened or the range is not inside it
     */
    public static MappedRegion map(Path file, long offset, long length) throws IOException {
        if (length < 0 || length > Integer.MAX_VALUE) {
            throw new IOException(file + ": cannot map " + length + " bytes at once (0 to " + Integer.MAX_VALUE + ")");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (offset < 0 || offset + length > ch.size()) {
                throw new IOException(file + ": bytes [" + offset + ", " + (offset + length) + ") are not inside its "
                        + ch.size() + " bytes (truncated?)");
            }
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, offset, length);
            b.order(ByteOrder.LITTLE_ENDIAN);
            long now = MAPPED.addAndGet(length);
            MAX_MAPPED.accumulateAndGet(now, Math::max);
            return new MappedRegion(file, offset, b);
        }
    }

    /** Returns the mapped bytes (little-endian, position 0 = {@link #offset()} in the file). */
    public MappedByteBuffer buffer() {
        if (buffer == null) {
            throw new IllegalStateException(file + ": region closed");
        }
        return buffer;
    }

    /** Returns the file. */
    public Path file() {
        return file;
    }

    /** Returns where in the file the region starts, in bytes. */
    public long offset() {
        return offset;
    }

    /** Returns whether closing a region unmaps it at once (else the collector does, later). */
    public static boolean promptUnmap() {
        return INVOKE_CLEANER != null;
    }

    /** Returns the bytes mapped by open regions of this JVM now. */
    public static long mappedBytes() {
        return MAPPED.get();
    }

    /** Returns the most bytes open regions of this JVM have held at once since the last reset. */
    public static long maxMappedBytes() {
        return MAX_MAPPED.get();
    }

    /** Starts a new high-water mark for {@link #maxMappedBytes()} at the bytes mapped now (for tests, tools). */
    public static void resetMaxMappedBytes() {
        MAX_MAPPED.set(MAPPED.get());
    }

    @Override
    public void close() {
        MappedByteBuffer b = buffer;
        if (b == null) {
            return;
        }
        buffer = null;
        MAPPED.addAndGet(-b.capacity());
        if (INVOKE_CLEANER != null) {
            try {
                INVOKE_CLEANER.invoke(UNSAFE, b);
            } catch (ReflectiveOperationException e) {
                // Left to the collector; the bytes are still released from the count above.
            }
        }
    }
}
