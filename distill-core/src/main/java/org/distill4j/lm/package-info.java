/**
 * Language models and their distillation (issue 11): {@code token} (the {@link
 * org.distill4j.lm.token.Tokenizer} interface, the default byte-level tokenizer and a byte-level
 * BPE), {@code corpus} (reading, splitting and packing text into windows), {@code model} (a
 * decoder-only transformer with a key/value cache and generation), {@code loss} (token-level, top-k
 * and sampled sequence KD behind one interface) and {@code train} (a small training loop and
 * bits-per-byte evaluation).
 */
package org.distill4j.lm;
