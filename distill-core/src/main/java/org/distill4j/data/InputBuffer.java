package org.distill4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One pinned (direct, native-order) host buffer that a loop reuses to hand each batch to PyTorch,
 * instead of letting DJL allocate a fresh direct buffer per batch.
 *
 * <p>Why: DJL 0.36's PyTorch engine creates a CPU tensor from Java data with {@code
 * torch::from_blob} over a direct buffer, without a copy. For a heap array it allocates that buffer
 * itself, per call, and only a garbage collection returns the memory: with the JVM's default
 * limits a Fashion-MNIST epoch left about 180 MB of such buffers waiting. An upload through this
 * class copies the data into the one buffer the owner keeps for its whole life, so native memory
 * stays flat, and the tensor's memory can never be collected while the owner still runs.
 *
 * <p>Contract: the tensor returned by an upload reads this buffer directly, so it (and every view
 * of it) must be closed, or at least no longer read, before the next upload through the same
 * instance; a loop that closes each batch's sub-manager before filling the next batch does this.
 * Use one instance per concurrently live tensor (features, labels, ...) and per thread; instances
 * are not thread-safe. The buffer grows when an upload needs more room and never shrinks.
 */
public final class InputBuffer {

    private ByteBuffer buffer;
    /** Bytes the last {@link #fill} copied, -1 when none is waiting for {@link #tensor}. */
    private int filledBytes = -1;

    /**
     * Creates a buffer.
     *
     * @param initialBytes capacity to allocate now, at least 1; uploads grow it when needed
     */
    public InputBuffer(int initialBytes) {
        if (initialBytes < 1) {
            throw new IllegalArgumentException(
                    "illegal initial capacity: " + initialBytes + " bytes, must be at least 1");
        }
        buffer = ByteBuffer.allocateDirect(initialBytes).order(ByteOrder.nativeOrder());
    }

    /** Returns the current capacity in bytes. */
    public int capacityBytes() {
        return buffer.capacity();
    }

    /**
     * Copies {@code data[0, shape.size())} into the buffer and returns a float32 tensor over it.
     *
     * @param manager the manager the tensor is attached to (normally the batch's sub-manager)
     * @param data values, row-major, at least {@code shape.size()} of them
     * @param shape the tensor's shape
     * @return a float32 tensor reading this buffer (see the class contract)
     */
    public NDArray upload(NDManager manager, float[] data, Shape shape) {
        int n = count(shape, data.length);
        ByteBuffer view = room(n * Float.BYTES);
        view.asFloatBuffer().put(data, 0, n);
        filledBytes = -1;
        return manager.create(view, shape, DataType.FLOAT32);
    }

    /**
     * Copies {@code data[0, shape.size())} into the buffer and returns an int64 tensor over it.
     *
     * @param manager the manager the tensor is attached to
     * @param data values, at least {@code shape.size()} of them
     * @param shape the tensor's shape
     * @return an int64 tensor reading this buffer (see the class contract)
     */
    public NDArray upload(NDManager manager, long[] data, Shape shape) {
        int n = count(shape, data.length);
        ByteBuffer view = room(n * Long.BYTES);
        view.asLongBuffer().put(data, 0, n);
        filledBytes = -1;
        return manager.create(view, shape, DataType.INT64);
    }

    /**
     * Copies {@code data[0, n)} into the buffer for a later {@link #tensor}: the host half of an
     * upload, for a loop that prepares the next batch on another thread while the current one is
     * trained (the tensor over the previous fill must no longer be read). {@code fill} and {@code
     * tensor} may run on different threads when something orders them (e.g. {@code Future.get}).
     *
     * @param data values, row-major
     * @param n how many of them, in [0, data.length]
     */
    public void fill(float[] data, int n) {
        if (n < 0 || n > data.length) {
            throw new IllegalArgumentException("illegal n: " + n + ", must be in [0, " + data.length + "]");
        }
        room(n * Float.BYTES).asFloatBuffer().put(data, 0, n);
        filledBytes = n * Float.BYTES;
    }

    /**
     * Returns a float32 tensor over the values the last {@link #fill} copied (the device half of an
     * upload; see the class contract).
     *
     * @param manager the manager the tensor is attached to
     * @param shape the tensor's shape: as many values as the fill copied
     * @return a float32 tensor reading this buffer
     * @throws IllegalStateException if nothing was filled, or the shape needs another count
     */
    public NDArray tensor(NDManager manager, Shape shape) {
        if (filledBytes < 0 || shape.size() * Float.BYTES != filledBytes) {
            throw new IllegalStateException("shape " + shape + " needs " + shape.size() + " floats, the last fill "
                    + (filledBytes < 0 ? "copied none" : "copied " + filledBytes / Float.BYTES));
        }
        return manager.create(room(filledBytes), shape, DataType.FLOAT32);
    }

    private static int count(Shape shape, int available) {
        long n = shape.size();
        if (n > available) {
            throw new IllegalArgumentException("shape " + shape + " needs " + n + " values, got " + available);
        }
        return Math.toIntExact(n);
    }

    /** A native-order view of exactly {@code bytes} bytes at the buffer's start, growing it if needed. */
    private ByteBuffer room(int bytes) {
        if (bytes > buffer.capacity()) {
            buffer = ByteBuffer.allocateDirect(Math.max(bytes, buffer.capacity() * 2))
                    .order(ByteOrder.nativeOrder());
        }
        // The slice references the buffer, so a tensor's DJL array keeps it reachable too.
        return buffer.duplicate().clear().limit(bytes).slice().order(ByteOrder.nativeOrder());
    }
}
