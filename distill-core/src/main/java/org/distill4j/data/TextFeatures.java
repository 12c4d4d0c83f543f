package org.distill4j.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a text into a fixed-length row of hashed n-gram ids, the input of fastText-style
 * bag-of-n-grams models: word n-grams of orders 1..{@code wordNgrams} and, optionally, character
 * n-grams of each word (lengths {@code charNgramMin..charNgramMax}, on the word padded as
 * {@code <word>}).
 *
 * <p>Contract: {@link #featurize} fills exactly {@link #maxFeatures()} floats. Each is an id in
 * [1, {@value #ID_SPACE}) or 0 for padding; ids are exact in float32 (below 2^24), so the row fits
 * the dense-float {@link ExampleSet} contract. The ids are emitted position by position (a word,
 * the n-grams that end at it, its character n-grams) and cut at {@code maxFeatures}, so a long
 * text loses its tail, not a kind of feature. The id of an n-gram depends only on its text and
 * kind (a 64-bit FNV-1a hash, finalised, reduced modulo the id space): models re-hash ids into
 * their own number of buckets, so teacher and student can share one featurisation. Immutable and
 * thread-safe.
 *
 * <p>Tokenisation: lower-cased (when {@code lowercase}, in the root locale), split on every
 * character that is not a letter, a digit, or one of {@code + _ .} inside a word (so {@code
 * python3}, {@code c++}, {@code gtk+} and {@code 2.0} stay words); trailing dots are dropped.
 *
 * @param maxFeatures ids per row, in [1, 65536]
 * @param wordNgrams highest word n-gram order, in [1, 5] (2 = words and word pairs)
 * @param charNgramMin shortest character n-gram, 0 for none, else in [1, charNgramMax]
 * @param charNgramMax longest character n-gram, 0 for none, else in [charNgramMin, 8]
 * @param lowercase whether the text is lower-cased first
 */
public record TextFeatures(
        @JsonProperty("max_features") int maxFeatures,
        @JsonProperty("word_ngrams") int wordNgrams,
        @JsonProperty("char_ngram_min") int charNgramMin,
        @JsonProperty("char_ngram_max") int charNgramMax,
        @JsonProperty("lowercase") boolean lowercase) {

    /** Ids are in [1, ID_SPACE): 2^24, the largest range exact in float32. */
    public static final int ID_SPACE = 1 << 24;

    /** Validates every field; the message names the field, its value and what is allowed. */
    public TextFeatures {
        if (maxFeatures < 1 || maxFeatures > 65_536) {
            throw new IllegalArgumentException(
                    "illegal max_features value: " + maxFeatures + ", must be in [1, 65536]");
        }
        if (wordNgrams < 1 || wordNgrams > 5) {
            throw new IllegalArgumentException("illegal word_ngrams value: " + wordNgrams + ", must be in [1, 5]");
        }
        boolean noChars = charNgramMin == 0 && charNgramMax == 0;
        if (!noChars && (charNgramMin < 1 || charNgramMax < charNgramMin || charNgramMax > 8)) {
            throw new IllegalArgumentException("illegal char n-gram range: [" + charNgramMin + ", " + charNgramMax
                    + "], must be 0 and 0 (none) or 1 <= char_ngram_min <= char_ngram_max <= 8");
        }
    }

    /**
     * Reads the recipe / descriptor form, with defaults: 256 features, word n-grams up to 2, no
     * character n-grams, lower-cased.
     */
    @JsonCreator
    public static TextFeatures of(
            @JsonProperty("max_features") Integer maxFeatures,
            @JsonProperty("word_ngrams") Integer wordNgrams,
            @JsonProperty("char_ngram_min") Integer charNgramMin,
            @JsonProperty("char_ngram_max") Integer charNgramMax,
            @JsonProperty("lowercase") Boolean lowercase) {
        return new TextFeatures(
                maxFeatures == null ? 256 : maxFeatures,
                wordNgrams == null ? 2 : wordNgrams,
                charNgramMin == null ? 0 : charNgramMin,
                charNgramMax == null ? 0 : charNgramMax,
                lowercase == null || lowercase);
    }

    /** The defaults of {@link #of}: 256 features, words and word pairs, lower-cased. */
    public static TextFeatures defaults() {
        return of(null, null, null, null, null);
    }

    /** Returns the features of {@code text} as a new row of {@link #maxFeatures()} floats. */
    public float[] featurize(String text) {
        float[] row = new float[maxFeatures];
        featurize(text, row, 0);
        return row;
    }

    /**
     * Writes the features of {@code text} into {@code dst[offset, offset + maxFeatures)}, padding
     * with 0.
     *
     * @return how many ids were written before padding (at most {@code maxFeatures})
     */
    public int featurize(String text, float[] dst, int offset) {
        List<String> words = words(text);
        int n = 0;
        for (int i = 0; i < words.size() && n < maxFeatures; i++) {
            dst[offset + n++] = id('w', words.get(i));
            StringBuilder gram = new StringBuilder(words.get(i));
            for (int order = 2; order <= wordNgrams && i - order + 1 >= 0 && n < maxFeatures; order++) {
                gram.insert(0, ' ').insert(0, words.get(i - order + 1));
                dst[offset + n++] = id((char) ('0' + order), gram);
            }
            if (charNgramMax > 0) {
                String padded = "<" + words.get(i) + ">";
                for (int len = charNgramMin; len <= charNgramMax; len++) {
                    for (int s = 0; s + len <= padded.length() && n < maxFeatures; s++) {
                        // The whole padded word is already the word feature.
                        if (len < padded.length()) {
                            dst[offset + n++] = id('c', padded.substring(s, s + len));
                        }
                    }
                }
            }
        }
        java.util.Arrays.fill(dst, offset + n, offset + maxFeatures, 0f);
        return n;
    }

    /** Returns the settings with their recipe key names, e.g. {@code TextFeatures(max_features=256, ...)}. */
    @Override
    public String toString() {
        return "TextFeatures(max_features=" + maxFeatures + ", word_ngrams=" + wordNgrams + ", char_ngram_min="
                + charNgramMin + ", char_ngram_max=" + charNgramMax + ", lowercase=" + lowercase + ")";
    }

    /** Splits {@code text} into words as described in the class comment. */
    public List<String> words(String text) {
        String s = lowercase ? text.toLowerCase(Locale.ROOT) : text;
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : ' ';
            boolean inWord = Character.isLetterOrDigit(c) || (start >= 0 && (c == '+' || c == '_' || c == '.'));
            if (inWord && start < 0) {
                start = i;
            } else if (!inWord && start >= 0) {
                int end = i;
                while (end > start && s.charAt(end - 1) == '.') {
                    end--;
                }
                out.add(s.substring(start, end));
                start = -1;
            }
        }
        return out;
    }

    /** Returns the id in [1, ID_SPACE) of an n-gram of the given kind. */
    static int id(char kind, CharSequence gram) {
        long h = 0xcbf29ce484222325L;
        h = (h ^ kind) * 0x100000001b3L;
        byte[] bytes = gram.toString().getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        }
        // Finalise (MurmurHash3 fmix64) so the low bits kept by the modulus depend on every byte.
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return 1 + (int) Long.remainderUnsigned(h, ID_SPACE - 1);
    }
}
