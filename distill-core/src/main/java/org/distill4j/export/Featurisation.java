package org.distill4j.export;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.TextFeatures;

/**
 * The exact, language-neutral statement of how {@link TextFeatures} turns a text into a model's
 * input row, written into an export's sidecar so that a consumer in another language can
 * reproduce the ids (docs/export.md has a worked example and a Python version). Version 1
 * describes TextFeatures as of distill4j 0.1; a change to the hashing or tokenisation must bump it.
 */
public final class Featurisation {

    /** Version of the description (and of the algorithm it describes). */
    public static final int VERSION = 1;

    private Featurisation() {}

    private static Map<String, Object> ordered(String... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /** Returns the description of {@code features} as JSON-ready maps and lists. */
    public static Map<String, Object> describe(TextFeatures features) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("kind", "hashed-ngrams");
        d.put("version", VERSION);
        d.put("max_features", features.maxFeatures());
        d.put("word_ngrams", features.wordNgrams());
        d.put("char_ngram_min", features.charNgramMin());
        d.put("char_ngram_max", features.charNgramMax());
        d.put("lowercase", features.lowercase());
        d.put("characters", "a text is a sequence of UTF-16 code units; 'character' below means one code unit");
        d.put(
                "lowercasing",
                "when lowercase is true: Unicode default full lower-case mapping of the whole "
                        + "text, locale-independent (Java String.toLowerCase(Locale.ROOT))");
        d.put(
                "tokens",
                "a word starts at a letter or digit (Java Character.isLetterOrDigit of the code unit: "
                        + "Unicode categories Lu Ll Lt Lm Lo Nd; surrogates are not) and continues over letters, digits and "
                        + "'+', '_', '.'; any other code unit ends it; trailing '.' are removed from each word");
        d.put(
                "features",
                List.of(
                        "for each word i in order: the word (kind 'w')",
                        "then for n = 2..word_ngrams while i-n+1 >= 0: words i-n+1..i joined by one space (kind the digit n)",
                        "then, if char_ngram_max > 0, for len = char_ngram_min..char_ngram_max, for start = 0..: the "
                                + "substring [start, start+len) of '<' + word + '>' (kind 'c'), skipped when len equals "
                                + "the padded word's length"));
        d.put(
                "hash",
                ordered(
                        "name",
                                "FNV-1a 64 over the kind character then the UTF-8 bytes, finalised by MurmurHash3 fmix64",
                        "fnv_offset_basis", "0xcbf29ce484222325",
                        "fnv_prime", "0x100000001b3",
                        "fmix64",
                                "h ^= h >> 33; h *= 0xff51afd7ed558ccd; h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53; h ^= h >> 33"
                                        + " (unsigned 64-bit arithmetic, products modulo 2^64)",
                        "utf8", "a lone surrogate code unit encodes as '?' (0x3f)",
                        "id", "1 + (h mod (2^24 - 1)), h unsigned"));
        d.put(
                "row",
                "the ids in order, cut after max_features, then 0 (padding) up to max_features; fed as float32 "
                        + "(exact: ids < 2^24); the model itself maps id k >= 1 to embedding row (k - 1) mod buckets");
        return d;
    }
}
