package org.distill4j.teacher.http;

/**
 * Hears how far a collection has come, e.g. to draw a progress bar with rate and ETA. Called once
 * at the start (with the items found done in the journal) and after every item that completes or
 * fails, from the worker threads: implementations must be thread-safe and quick.
 */
@FunctionalInterface
public interface CollectionListener {

    /**
     * Reports progress over unique items.
     *
     * @param total unique items of the data set
     * @param done items completed, including those read from the journal
     * @param failed items that failed for good in this run
     */
    void progress(long total, long done, long failed);

    /** Returns a listener that ignores everything. */
    static CollectionListener none() {
        return (total, done, failed) -> {};
    }
}
