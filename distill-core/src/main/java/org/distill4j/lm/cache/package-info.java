/**
 * Teacher outputs for language models stored on disk: {@link org.distill4j.lm.cache.TopKCache}
 * holds the teacher's k most likely next tokens (int32 ids) and their log-probabilities (float16)
 * for every position of a packed corpus, read memory-mapped so resident memory does not grow with
 * the corpus. {@link org.distill4j.lm.cache.Half} converts float16.
 */
package org.distill4j.lm.cache;
