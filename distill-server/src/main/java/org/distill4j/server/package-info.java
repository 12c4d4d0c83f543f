/**
 * Serving distill4j models over HTTP: {@link org.distill4j.server.ModelServer} (Jetty 12 core
 * handlers) speaks the Open Inference Protocol v2 for every model and an OpenAI-compatible
 * chat-completions facade for text classifiers, and serves language models ({@link
 * org.distill4j.server.ServedLanguageModel}) on OpenAI's completions and chat completions.
 *
 * <p>What lives here: the served-model abstraction {@link org.distill4j.server.ServedModel} with
 * its implementations for a distill4j model directory ({@link
 * org.distill4j.server.ServedSavedModel}) and a TorchScript file ({@link
 * org.distill4j.server.ServedTorchScript}); the per-model {@link
 * org.distill4j.server.DynamicBatcher} that merges concurrent requests into one forward pass; the
 * serving seams {@link org.distill4j.server.RequestObserver} (requests per client, before the
 * model) and {@link org.distill4j.server.OutputFilter} (logits as they leave it). Package-private,
 * one job each: the routing table ({@code Router}), the v2 and OpenAI handlers ({@code
 * InferenceV2}, {@code ChatCompletions} with {@code ChatRequest}), error bodies ({@code
 * ErrorBodies}, {@code JsonErrorHandler} for Jetty's own errors), body reading within size, rate
 * and time limits ({@code BodyReader}), the header deadline ({@code HeaderDeadline}), the API key
 * ({@code ApiKey}) and writing JSON and event streams ({@code ReplyWriter}); for language models,
 * the handlers ({@code LmCompletions} with {@code LmRequest}), batched prompt scoring ({@code
 * LmScorer}), one choice's generation ({@code LmGeneration}) and the continuous batching of all
 * generations in progress ({@code GenerationBatcher}), the hosted
 * model with its hooks and bounds ({@code LmHost}) and the byte-token text conventions ({@code
 * TokenText}). Endpoints, examples
 * and limits: {@code docs/serving.md}; security: {@code docs/security-server.md}.
 */
package org.distill4j.server;
