/**
 * Tokenizers: the {@link org.distill4j.lm.token.Tokenizer} contract, the default {@link
 * org.distill4j.lm.token.ByteTokenizer} (256 byte values plus BOS and EOS), the byte-level BPE
 * {@link org.distill4j.lm.token.BpeTokenizer} (read from or written as a Hugging Face {@code
 * tokenizer.json}) with its {@link org.distill4j.lm.token.BpeTrainer}, and the {@link
 * org.distill4j.lm.token.TokenizerIdentity} recorded in a model's {@code model.json} and provenance.
 */
package org.distill4j.lm.token;
