/**
 * A decoder-only transformer language model built from DJL blocks: the {@link
 * org.distill4j.lm.model.DecoderConfig} record, pre-norm {@link org.distill4j.lm.model.DecoderBlock}s
 * of {@link org.distill4j.lm.model.CausalSelfAttention} and a GELU MLP, the whole network {@link
 * org.distill4j.lm.model.Decoder}, a {@link org.distill4j.lm.model.KvCache} for generation, the saved
 * model {@link org.distill4j.lm.model.LanguageModel} ({@code model.json} + parameters) and {@link
 * org.distill4j.lm.model.Generator} (greedy, temperature, top-k, top-p, seeded).
 *
 * <p>Shapes use B = batch, T = positions in this call, S = positions attended to (cached + new),
 * C = width, H = heads, D = C / H, V = vocabulary.
 */
package org.distill4j.lm.model;
