package org.distill4j.lm.token;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the pieces that BPE merges never cross, with a regular expression in the manner
 * of Hugging Face's {@code Split(behavior: Isolated)}: every match is a piece and so is every gap
 * between matches, so the pieces concatenate to the text. Unicode classes are Unicode-aware
 * ({@code \s} is White_Space, {@code \p{L}} any letter), as in the Rust library. Immutable.
 */
final class PreTokenizer {

    /** GPT-2's pattern, which Hugging Face's {@code ByteLevel(use_regex: true)} applies. */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private final String pattern;
    private final Pattern compiled;

    /**
     * Compiles {@code pattern}.
     *
     * @throws java.util.regex.PatternSyntaxException if it is not a valid Java regular expression
     */
    PreTokenizer(String pattern) {
        this.pattern = pattern;
        this.compiled = Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** Returns the expression. */
    String pattern() {
        return pattern;
    }

    /** Returns the pieces of {@code text}, none empty, in order. */
    List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = compiled.matcher(text);
        int end = 0;
        while (m.find()) {
            if (m.start() > end) {
                pieces.add(text.substring(end, m.start()));
            }
            if (m.end() > m.start()) {
                pieces.add(m.group());
            }
            end = m.end();
        }
        if (end < text.length()) {
            pieces.add(text.substring(end));
        }
        return pieces;
    }
}
