/**
 * Client side of a served language-model teacher over OpenAI's legacy {@code /v1/completions}: the
 * top-k next-token log-probabilities of every position of a token sequence, requested with {@code
 * echo: true, max_tokens: 0, logprobs: k} (as vLLM and {@code distill serve LM_DIR} answer it) and
 * mapped back to byte-level token ids.
 */
package org.distill4j.teacher.http.lm;
