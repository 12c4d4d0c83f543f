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
 * @param eos id of the end-of-document token
 */
public record TokenizerIdentity(String kind, int version, int vocabSize, int bos, int eos) {

    /** Validates the fields. */
    public TokenizerIdentity {
        Objects.requireNonNull(kind, "kind");
        if (kind.isBlank() || version < 1 || vocabSize < 2) {
            throw new IllegalArgumentException("illegal tokenizer identity: kind=" + kind + ", version=" + version
                    + ", vocabSize=" + vocabSize + " (need a kind, version >= 1, vocabSize >= 2)");
        }
        if (bos < 0 || bos >= vocabSize || eos < 0 || eos >= vocabSize || bos == eos) {
            throw new IllegalArgumentException("illegal special ids bos=" + bos + ", eos=" + eos + " for vocabSize "
                    + vocabSize + " (distinct ids in [0, vocabSize))");
        }
    }

    /** Returns a short text such as {@code byte/v1(vocab=258,bos=256,eos=257)}. */
    @Override
    public String toString() {
        return kind + "/v" + version + "(vocab=" + vocabSize + ",bos=" + bos + ",eos=" + eos + ")";
    }
}
