package org.distill4j.io;

/**
 * Shortens untrusted values before they go into an error message: a message names the value at
 * fault, but a 1 MB name or a whole JSON line must not be echoed whole into a terminal or a log.
 */
public final class Snippets {

    /** The default number of characters kept. */
    public static final int DEFAULT_MAX = 80;

    private Snippets() {}

    /**
     * Returns {@code value} unchanged when it has at most {@code max} chars, else its first {@code
     * max} chars followed by {@code "... (N chars)"}; control characters become {@code ?} so a
     * value cannot rewrite the terminal. Null stays {@code "null"}.
     */
    public static String clip(String value, int max) {
        if (value == null) {
            return "null";
        }
        String kept = value.length() <= max ? value : value.substring(0, max);
        StringBuilder sb = new StringBuilder(kept.length() + 24);
        for (int i = 0; i < kept.length(); i++) {
            char c = kept.charAt(i);
            sb.append(Character.isISOControl(c) && c != '\t' ? '?' : c);
        }
        if (value.length() > max) {
            sb.append("... (").append(value.length()).append(" chars)");
        }
        return sb.toString();
    }

    /** {@link #clip(String, int)} with {@link #DEFAULT_MAX}. */
    public static String clip(String value) {
        return clip(value, DEFAULT_MAX);
    }
}
