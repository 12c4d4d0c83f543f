package org.distill4j.lm.corpus;

/**
 * A packed token stream ({@link TokenPacker}'s output), addressed by position: held in an array or
 * read from a {@link TokenFile}. Reads are safe from several threads.
 */
public interface TokenStream {

    /** Returns the number of tokens. */
    long length();

    /**
     * Copies {@code n} tokens starting at stream position {@code from} into {@code out[offset..]}.
     *
     * @throws IndexOutOfBoundsException if the range leaves the stream or {@code out}
     * @throws java.io.UncheckedIOException if a file-backed stream cannot be read
     */
    void copy(long from, int[] out, int offset, int n);

    /** A stream held in an int array. */
    static TokenStream of(int[] tokens) {
        return new TokenStream() {
            @Override
            public long length() {
                return tokens.length;
            }

            @Override
            public void copy(long from, int[] out, int offset, int n) {
                if (from < 0 || from + n > tokens.length) {
                    throw new IndexOutOfBoundsException(
                            "tokens [" + from + ", " + (from + n) + ") of a stream of " + tokens.length);
                }
                System.arraycopy(tokens, (int) from, out, offset, n);
            }
        };
    }
}
