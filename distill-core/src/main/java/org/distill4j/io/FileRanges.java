package org.distill4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Positional reads and writes of a whole byte range of a file ({@link FileChannel#read(ByteBuffer,
 * long)} and {@code write} may move fewer bytes than asked). They leave the channel's own position
 * alone, so several threads may use one channel. Used instead of memory mappings where a file may
 * be larger than memory: the process holds only the range it moves.
 */
public final class FileRanges {

    private FileRanges() {}

    /**
     * Reads into {@code buf} from {@code position} until it is full or the file ends.
     *
     * @return whether {@code buf} was filled (false: the file ended first)
     */
    public static boolean read(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) {
                return false;
            }
            pos += n;
        }
        return true;
    }

    /** Writes all of {@code buf} at {@code position}. */
    public static void write(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += channel.write(buf, pos);
        }
    }
}
