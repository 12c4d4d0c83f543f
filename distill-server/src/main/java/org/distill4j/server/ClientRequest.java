package org.distill4j.server;

/**
 * One request that reaches a model, as the serving hooks see it.
 *
 * @param client who asked: {@code key:<first 16 hex of SHA-256 of the API key>} when the server
 *     has an API key, else {@code addr:<remote address>}; never the key itself
 * @param model the served model's name
 * @param endpoint {@code v2.infer} or {@code openai.chat}
 * @param rows rows (texts or feature rows) in the request, at least 1
 */
public record ClientRequest(String client, String model, String endpoint, int rows) {}
