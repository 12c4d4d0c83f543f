package org.distill4j.lm.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The architecture of a decoder-only transformer: {@code layers} pre-norm blocks of causal
 * self-attention and a GELU MLP (hidden width 4C) over token embeddings of width C, a final
 * LayerNorm and a linear head to the vocabulary (tied to the token embeddings if asked).
 *
 * @param vocabSize V, number of token ids, &gt;= 2
 * @param layers number of blocks, in [1, 64]
 * @param width C, model width, &gt;= 1 and divisible by {@code heads}
 * @param heads H, attention heads; with rotary positions C / H must be even
 * @param contextLength the longest sequence the model attends over, in [1, 65536]
 * @param dropout dropout after attention, attention weights and MLP, in [0, 1); 0 for determinism
 * @param positions learned or rotary positions
 * @param tiedEmbeddings whether the head reuses the token-embedding matrix
 */
public record DecoderConfig(
        @JsonProperty("vocab_size") int vocabSize,
        int layers,
        int width,
        int heads,
        @JsonProperty("context_length") int contextLength,
        double dropout,
        Positions positions,
        @JsonProperty("tied_embeddings") boolean tiedEmbeddings) {

    /** Validates every field; the message names the field and the allowed range. */
    public DecoderConfig {
        check(vocabSize >= 2, "vocab_size", vocabSize, ">= 2");
        check(layers >= 1 && layers <= 64, "layers", layers, "in [1, 64]");
        check(heads >= 1, "heads", heads, ">= 1");
        check(width >= 1 && width % heads == 0, "width", width, ">= 1 and divisible by heads=" + heads);
        check(contextLength >= 1 && contextLength <= 65536, "context_length", contextLength, "in [1, 65536]");
        check(dropout >= 0 && dropout < 1, "dropout", dropout, "in [0, 1)");
        positions = positions == null ? Positions.LEARNED : positions;
        if (positions == Positions.ROTARY) {
            check((width / heads) % 2 == 0, "width", width, "such that width/heads is even for rotary positions");
        }
    }

    private static void check(boolean ok, String field, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("illegal " + field + " value: " + value + ", must be " + expected);
        }
    }

    /** Returns D = C / H, the width of one head. */
    public int headWidth() {
        return width / heads;
    }

    /** Returns a copy with another vocabulary size. */
    public DecoderConfig withVocabSize(int v) {
        return new DecoderConfig(v, layers, width, heads, contextLength, dropout, positions, tiedEmbeddings);
    }

    /**
     * Returns the number of trainable parameters this architecture has: embeddings, per block
     * 2 LayerNorms (2C each), attention (C x 3C + 3C, C x C + C) and MLP (C x 4C + 4C, 4C x C + C),
     * the final LayerNorm and the head (V x C, none when tied).
     */
    public long parameterCount() {
        long c = width;
        long perBlock = 4 * c + (3 * c * c + 3 * c) + (c * c + c) + (4 * c * c + 4 * c) + (4 * c * c + c);
        long pos = positions == Positions.LEARNED ? (long) contextLength * c : 0;
        long head = tiedEmbeddings ? 0 : (long) vocabSize * c;
        return (long) vocabSize * c + pos + layers * perBlock + 2 * c + head;
    }

    @Override
    public String toString() {
        return "Decoder(layers=" + layers + ", width=" + width + ", heads=" + heads + ", context=" + contextLength
                + ", vocab=" + vocabSize + ", " + positions.id() + (tiedEmbeddings ? ", tied" : "")
                + (dropout > 0 ? ", dropout=" + dropout : "") + ")";
    }
}
