package org.distill4j.lm.corpus;

import java.util.Objects;

/**
 * One document of a corpus.
 *
 * @param source where it came from, {@code file:line} (the first line for a plain-text document)
 * @param text its text, not empty
 */
public record Document(String source, String text) {

    /** Validates the fields. */
    public Document {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty document at " + source);
        }
    }
}
