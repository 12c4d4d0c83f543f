package org.distill4j.data;

import java.io.IOException;

/**
 * A teacher's logits looked up by row key, one key range at a time, so that a {@link ShardStream}
 * can join them to a shard's rows while holding only that shard's share in memory. Implemented
 * over the teacher-output cache file, memory-mapped ({@code
 * org.distill4j.teacher.MappedTeacherOutputs}).
 */
public interface KeyedLogits extends AutoCloseable {

    /** Returns the teacher's cache key. */
    String teacherKey();

    /** Returns the content hash of the data set the logits were computed on. */
    String dataHash();

    /** Returns the logits per row. */
    int classes();

    /**
     * Opens the logits of keys {@code [firstKey, lastKey]}.
     *
     * @throws IOException if some key in the range has no logits (naming the file)
     */
    Window window(long firstKey, long lastKey) throws IOException;

    /** The logits of one key range; close it to release them. */
    interface Window extends AutoCloseable {
        /** Copies the logits of {@code key} (inside the range) into {@code dst} from {@code offset}. */
        void copy(long key, float[] dst, int offset);

        @Override
        void close();
    }

    @Override
    void close();
}
