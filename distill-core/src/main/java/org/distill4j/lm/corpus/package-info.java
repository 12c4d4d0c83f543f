/**
 * Text corpora for language models: reading JSON Lines ({@code text} field) and plain UTF-8 files
 * into {@link org.distill4j.lm.corpus.Document}s ({@link org.distill4j.lm.corpus.TextCorpus}),
 * a seeded, stable split by document ({@link org.distill4j.lm.corpus.CorpusSplit}), and packing of
 * tokenized documents into fixed-length training windows with BOS/EOS boundaries ({@link
 * org.distill4j.lm.corpus.TokenPacker}, {@link org.distill4j.lm.corpus.TokenWindows}), in memory
 * or, for a corpus larger than memory, in one streaming pass into token files read by position
 * ({@link org.distill4j.lm.corpus.PackedCorpus}, {@link org.distill4j.lm.corpus.TokenFile}).
 */
package org.distill4j.lm.corpus;
