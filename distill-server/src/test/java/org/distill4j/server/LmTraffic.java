package org.distill4j.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.distill4j.teacher.http.lm.CompletionsTopKClient;
import org.distill4j.teacher.http.lm.HttpTopKCollector;

/**
 * Language-model traffic for the extraction monitor's tests and evaluation: the project's top-k
 * collector (the attacker) and natural, chat-like use (the benign side), each over real HTTP with
 * its own API key.
 */
final class LmTraffic {

    /** Context of {@link #model}: room for a short multi-turn conversation. */
    static final int CONTEXT = 256;

    private static final String[] WORDS =
            ("the a of and to in is for with on that this from by as package it be are or files an at "
                            + "which can you library tool data server client support used provides written use "
                            + "program user system network file text image audio video game module python perl java "
                            + "development documentation plugin interface command line graphical desktop kernel driver "
                            + "font theme shared static version fast simple small secure free open source based "
                            + "allows manage create edit view convert read write display print search build test "
                            + "debug monitor backup archive compress encrypt sync share store send receive play "
                            + "record mail web browser editor terminal shell script language compiler runtime "
                            + "database query format protocol service daemon framework toolkit engine parser "
                            + "generator viewer player manager utility extension binding wrapper port clone")
                    .split(" ");

    private LmTraffic() {}

    /** An untrained byte-level decoder with a {@value #CONTEXT}-token context, saved to {@code dir}. */
    static Path model(Path dir) throws Exception {
        DecoderConfig c = new DecoderConfig(258, 1, 32, 2, CONTEXT, 0.0, Positions.LEARNED, false);
        try (LanguageModel lm = LanguageModel.create(c, ByteTokenizer.INSTANCE, 5)) {
            lm.save(dir);
        }
        return dir;
    }

    /** Prose-like text: {@code sentences} sentences of 6 to 14 words drawn with a Zipf-like skew. */
    static String prose(Random rng, int sentences) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < sentences; i++) {
            int n = 6 + rng.nextInt(9);
            for (int w = 0; w < n; w++) {
                int k = (int) Math.min(WORDS.length - 1, Math.floor(Math.pow(rng.nextDouble(), 2) * WORDS.length));
                String word = WORDS[k];
                s.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
                s.append(w == n - 1 ? ". " : " ");
            }
        }
        return s.toString();
    }

    /** The collector's client for {@code server} with the key in {@code keyFile}, k alternatives per position. */
    static CompletionsTopKClient collector(ModelServer server, String model, Path keyFile, int k) throws Exception {
        return new CompletionsTopKClient(
                server.baseUri().resolve("/v1"),
                model,
                ApiKey.fromFile(keyFile),
                k,
                new RateLimiter(0, 0),
                RetryPolicy.DEFAULT,
                Duration.ofSeconds(60));
    }

    /**
     * Runs the project's top-k collection ({@link HttpTopKCollector}, as {@code distill lm} uses
     * it) over {@code documents} in windows of {@code window} tokens.
     */
    static HttpTopKCollector.Result collect(
            CompletionsTopKClient client, List<Document> documents, int window, int k, Path file) throws Exception {
        TokenWindows windows = TokenWindows.pack(documents, ByteTokenizer.INSTANCE, window);
        return HttpTopKCollector.collect(file, client, k, windows, 2, "monitor-eval|k" + k + "|T" + window);
    }

    /**
     * One chat user: {@code conversations} conversations of up to 3 user turns on {@code topics}
     * (one topic per conversation, in order), each request resending the conversation so far with
     * the model's answers; every third request asks for 5 top log-probabilities. Returns the
     * request count.
     */
    static int chat(Http http, String model, String key, List<String> topics, int requests) throws Exception {
        int sent = 0;
        for (int c = 0; sent < requests; c++) {
            String topic = topics.get(c % topics.size());
            String[] turns = {"What is this? " + abbreviate(topic, 60), "Is it free software?", "How do I install it?"};
            ArrayNode messages = Http.JSON.createArrayNode();
            for (int t = 0; t < turns.length && sent < requests; t++) {
                messages.addObject().put("role", "user").put("content", turns[t]);
                ObjectNode body =
                        Http.JSON.createObjectNode().put("model", model).put("max_tokens", 12);
                body.set("messages", messages.deepCopy());
                if (sent % 3 == 2) {
                    body.put("logprobs", true).put("top_logprobs", 5);
                }
                Http.Reply r = http.post(
                        "/v1/chat/completions",
                        Http.JSON.writeValueAsString(body),
                        "Authorization",
                        "Bearer " + key,
                        "Content-Type",
                        "application/json");
                if (r.status() != 200) {
                    throw new IllegalStateException("chat request " + sent + ": HTTP " + r.status() + " " + r.error());
                }
                sent++;
                String answer = r.body().at("/choices/0/message/content").asText();
                // Kept short and ASCII (one token per character): the conversation must fit the context.
                messages.addObject().put("role", "assistant").put("content", abbreviate(ascii(answer), 16));
            }
        }
        return sent;
    }

    /**
     * One completions user: the {@code items} in order, each as a prompt continued by 16 tokens
     * with the 3 most likely alternatives per generated token (no echo).
     */
    static int complete(Http http, String model, String key, List<String> items, int requests) throws Exception {
        for (int i = 0; i < requests; i++) {
            ObjectNode body = Http.JSON
                    .createObjectNode()
                    .put("model", model)
                    .put("prompt", abbreviate(items.get(i % items.size()), 120))
                    .put("max_tokens", 16)
                    .put("logprobs", 3);
            Http.Reply r = http.post(
                    "/v1/completions",
                    Http.JSON.writeValueAsString(body),
                    "Authorization",
                    "Bearer " + key,
                    "Content-Type",
                    "application/json");
            if (r.status() != 200) {
                throw new IllegalStateException("completion " + i + ": HTTP " + r.status() + " " + r.error());
            }
        }
        return requests;
    }

    /** One scoring request ({@code echo} + {@code logprobs: k} + {@code max_tokens: 0}) of {@code text}. */
    static Http.Reply score(Http http, String model, String key, String text, int k) throws Exception {
        ObjectNode body = Http.JSON
                .createObjectNode()
                .put("model", model)
                .put("prompt", text)
                .put("max_tokens", 0)
                .put("echo", true)
                .put("logprobs", k);
        return http.post(
                "/v1/completions",
                Http.JSON.writeValueAsString(body),
                "Authorization",
                "Bearer " + key,
                "Content-Type",
                "application/json");
    }

    /** Documents of prose, one per seed offset. */
    static List<Document> documents(long seed, int count, int sentences) {
        Random rng = new Random(seed);
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            docs.add(new Document("doc" + i, prose(rng, sentences)));
        }
        return docs;
    }

    /** {@code s} without characters outside printable ASCII. */
    static String ascii(String s) {
        return s.replaceAll("[^\\x20-\\x7E]", "");
    }

    static String abbreviate(String s, int chars) {
        return s.length() <= chars ? s : s.substring(0, chars);
    }
}
