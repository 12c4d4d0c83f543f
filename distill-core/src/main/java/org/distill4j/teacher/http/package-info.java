/**
 * HTTP teachers: collect a teacher's outputs from an HTTP API at scale, losing nothing.
 *
 * <p>Two protocols ({@link org.distill4j.teacher.http.Protocol}): Open Inference Protocol v2
 * (KServe, Triton, Seldon, DJL Serving) returning logits or probabilities, and OpenAI-compatible
 * chat completions (OpenAI, vLLM, llama.cpp, Ollama) turned into soft labels by {@link
 * org.distill4j.teacher.http.LabelLogprobs}. {@link org.distill4j.teacher.http.LabelCollector}
 * runs a collection from an {@link org.distill4j.teacher.http.HttpTeacherConfig}: deduplication,
 * bounded concurrency, rate limits ({@link org.distill4j.teacher.http.RateLimiter}), retries
 * ({@link org.distill4j.teacher.http.RetryPolicy}), an append-only {@link
 * org.distill4j.teacher.http.CollectionJournal} to resume from, a {@link
 * org.distill4j.teacher.http.UsageReport}, and a {@link
 * org.distill4j.teacher.http.CollectionResult} holding {@code TeacherOutputs} for the rows that
 * succeeded. Keys ({@link org.distill4j.teacher.http.ApiKey}) never reach any output. See
 * {@code docs/http-teachers.md}.
 */
package org.distill4j.teacher.http;
