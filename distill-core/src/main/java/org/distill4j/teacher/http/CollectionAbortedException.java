package org.distill4j.teacher.http;

import java.io.IOException;

/**
 * The whole collection stopped because continuing cannot succeed, e.g. the server rejected the
 * API key (HTTP 401/403). Everything completed before the abort is in the journal; a rerun with
 * the problem fixed resumes from there. The message names the key's source, never the key.
 */
public final class CollectionAbortedException extends IOException {

    /** Creates the exception with a message that says what to fix. */
    public CollectionAbortedException(String message) {
        super(message);
    }
}
