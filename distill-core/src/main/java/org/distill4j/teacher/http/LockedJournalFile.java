package org.distill4j.teacher.http;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A collection journal's file, opened for reading and appending and locked for this process, so
 * that two collections (in two processes, or twice in one) never append to the same journal. The
 * caller owns both: it releases the lock and closes the channel when the journal closes.
 *
 * @param channel the file, readable and writable, created when absent
 * @param lock the exclusive lock on the whole file
 */
public record LockedJournalFile(FileChannel channel, FileLock lock) {

    /**
     * Opens and locks {@code file}.
     *
     * @throws JournalException if another collection holds the lock (the channel is closed again)
     * @throws IOException if the file cannot be opened
     */
    public static LockedJournalFile open(Path file) throws IOException {
        FileChannel ch =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            // The JVM reports a lock held in this very process this way rather than as null.
            lock = null;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            ch.close();
            throw new JournalException(file, "is in use by another collection; wait for it to finish or stop it");
        }
        return new LockedJournalFile(ch, lock);
    }
}
