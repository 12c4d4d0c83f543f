package org.distill4j.lm.corpus;

/** What {@link TextCorpus} does with bytes that are not valid UTF-8. */
public enum Utf8Policy {
    /** Refuse the corpus with an error naming the file and line (the default). */
    REFUSE,
    /** Replace each malformed sequence by U+FFFD and count the lines where that happened. */
    REPLACE
}
