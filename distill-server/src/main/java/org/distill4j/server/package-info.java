/**
 * Serving distill4j models over HTTP: {@link org.distill4j.server.ModelServer} (Jetty 12 core
 * handlers) speaks the Open Inference Protocol v2 for every model and an OpenAI-compatible
 * chat-completions facade for text classifiers.
 *
 * <p>What lives here: the served-model abstraction {@link org.distill4j.server.ServedModel} with
 * its implementations for a distill4j model directory ({@link
 * org.distill4j.server.ServedSavedModel}) and a TorchScript file ({@link
 * org.distill4j.server.ServedTorchScript}); the per-model {@link
 * org.distill4j.server.DynamicBatcher} that merges concurrent requests into one forward pass; and,
 * package-private, the protocol documents (v2 inference, chat completions) and request checks.
 * Endpoints, examples and limits: {@code docs/serving.md}.
 */
package org.distill4j.server;
