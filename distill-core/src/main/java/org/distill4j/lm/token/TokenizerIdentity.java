package org.distill4j.lm.token;

import java.util.Objects;

/**
 * What a tokenizer is, as recorded in a language model's {@code model.json} and in provenance: a
 * model can only be reloaded, evaluated or distilled against data tokenized the same way.
 *
 * @param kind the tokenizer family, e.g. {@code byte}
 * @param version the family's format version, &gt;= 1
 * @param vocabSize number of token ids, ids are in [0, vocabSize)
 * @param bos id of the beginning-of-document token
 * @param eos id of the end-of-document token; may equal {@code bos} (GPT-2's one
 *     {@code <|endoftext|>} marks both ends of a document)
 * @param digest SHA-256 (64 lower-case hex digits) of what a trained tokenizer learnt (vocabulary,
 *     merges, pre-tokenizer), so that two tokenizers of one kind and size are told apart; empty for
 *     a tokenizer that learns nothing ({@code byte}); a missing value reads as empty
 */
public record TokenizerIdentity(String kind, int version, int vocabSize, int bos, int eos, String digest)
        implements java.io.Serializable {

    /** Validates the fields. */
    public TokenizerIdentity {
        Objects.requireNonNull(kind, "kind");
        digest = digest == null ? "" : digest;
        if (!digest.isEmpty() && !digest.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException(
                    "illegal tokenizer digest '" + digest + "' (64 lower-case hex digits, or empty)");
        }
        if (kind.isBlank() || version < 1 || vocabSize < 2) {
            throw new IllegalArgumentException("illegal tokenizer identity: kind=" + kind + ", version=" + version
                    + ", vocabSize=" + vocabSize + " (need a kind, version >= 1, vocabSize >= 2)");
        }
        if (bos < 0 || bos >= vocabSize || eos < 0 || eos >= vocabSize) {
            throw new IllegalArgumentException("illegal special ids bos=" + bos + ", eos=" + eos + " for vocabSize "
                    + vocabSize + " (ids in [0, vocabSize))");
        }
    }

    /** An identity without a digest, for tokenizers that learn nothing. */
    public TokenizerIdentity(String kind, int version, int vocabSize, int bos, int eos) {
        this(kind, version, vocabSize, bos, eos, "");
    }

    /**
     * Returns a short text such as {@code byte/v1(vocab=258,bos=256,eos=257)}, with {@code
     * ,sha256=...} (the whole digest) before the parenthesis closes when there is a digest; caches
     * and token files key on this text.
     */
    @Override
    public String toString() {
        return kind + "/v" + version + "(vocab=" + vocabSize + ",bos=" + bos + ",eos=" + eos
                + (digest.isEmpty() ? "" : ",sha256=" + digest) + ")";
    }
}
