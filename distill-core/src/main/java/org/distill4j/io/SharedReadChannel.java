package org.distill4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only file channel that several threads share for positional reads, and that survives an
 * interrupt of one of them. A {@link FileChannel} is interruptible: when a thread is interrupted
 * while it reads (a Spark task cancelled by its driver, a training stopped by the user), the JDK
 * closes the channel for every thread. The interrupted thread gets its {@link
 * ClosedByInterruptException}; every other reader here reopens the file and reads again, instead
 * of failing on a channel it did not close. Only {@link #close} ends the reads.
 */
public final class SharedReadChannel implements AutoCloseable {

    private final Path file;
    private volatile FileChannel channel;
    private volatile boolean closed;

    /** Opens {@code file} for reading. */
    public SharedReadChannel(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
    }

    /** Returns the file's size in bytes. */
    public long size() throws IOException {
        return retrying(FileChannel::size);
    }

    /**
     * Reads into {@code buf} from {@code position} until it is full or the file ends ({@link
     * FileRanges#read}).
     *
     * @return whether {@code buf} was filled
     * @throws ClosedByInterruptException if this thread was interrupted (the channel is reopened by
     *     the next reader)
     */
    public boolean read(ByteBuffer buf, long position) throws IOException {
        int start = buf.position();
        return retrying(ch -> {
            buf.position(start);
            return FileRanges.read(ch, buf, position);
        });
    }

    private interface Op<T> {
        T apply(FileChannel ch) throws IOException;
    }

    private <T> T retrying(Op<T> op) throws IOException {
        while (true) {
            FileChannel ch = channel;
            try {
                return op.apply(ch);
            } catch (ClosedByInterruptException e) {
                throw e;
            } catch (ClosedChannelException e) {
                if (closed) {
                    throw e;
                }
                reopen(ch);
            }
        }
    }

    private synchronized void reopen(FileChannel old) throws IOException {
        if (channel == old && !closed) {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        channel.close();
    }
}
