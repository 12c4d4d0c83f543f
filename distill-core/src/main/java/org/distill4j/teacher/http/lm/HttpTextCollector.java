package org.distill4j.teacher.http.lm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.train.TeacherText;

/**
 * Collects the text for sequence-level KD from a teacher behind an API: for each training document
 * in order, the teacher continues its first {@code promptBytes} bytes ({@link
 * TeacherText#prefix}), {@code concurrency} requests in flight, until the prompts and continuations
 * hold {@code neededTokens} student tokens or each document has been continued {@code maxRounds}
 * times: when every document has been continued once, they are continued again in the same order
 * with new seeds (request i uses document {@code i mod n}), so a target is reached however few
 * documents there are. Every continuation is journaled
 * ({@link LmJournal}, key = SHA-256 of the request seed and prompt) as soon as it arrives, so a rerun
 * asks nothing twice and an interrupted one resumes; the result depends only on the journal's
 * contents, not on timing (documents are taken in blocks of {@code 2 x concurrency}, and the block
 * that reaches the target is the last). Request i's seed is {@code seed + i}.
 */
public final class HttpTextCollector {

    /**
     * What a collection gave and cost.
     *
     * @param documents prompt + continuation, one per request, in request order
     * @param tokens student tokens of {@code documents} (BOS and EOS included)
     * @param fromJournal continuations read from the journal (not asked again)
     * @param requests HTTP requests this run sent, retries included
     * @param promptTokens prompt tokens the server reported, over all documents
     * @param completionTokens completion tokens it reported, over all documents
     */
    public record Result(
            List<Document> documents,
            long tokens,
            int fromJournal,
            long requests,
            long promptTokens,
            long completionTokens) {}

    private HttpTextCollector() {}

    /**
     * Collects continuations.
     *
     * @param neededTokens stop once the documents hold this many student tokens
     * @param maxRounds the most continuations per prompt document, &gt;= 1
     * @param journal the journal file (created, or resumed if its fingerprint matches)
     * @param fingerprint what the continuations depend on (endpoint, model, route, prompt bytes,
     *     max tokens, temperature, seed); never a key
     * @throws IOException if a request fails for good (what was collected stays in the journal)
     */
    public static Result collect(
            CompletionsTextClient client,
            List<Document> prompts,
            int promptBytes,
            int maxTokens,
            double temperature,
            long seed,
            long neededTokens,
            int maxRounds,
            Tokenizer studentTokenizer,
            int concurrency,
            Path journal,
            Map<String, Object> fingerprint)
            throws IOException {
        if (concurrency < 1) {
            throw new IllegalArgumentException("illegal concurrency: " + concurrency + ", must be at least 1");
        }
        if (maxRounds < 1) {
            throw new IllegalArgumentException("illegal maxRounds: " + maxRounds + ", must be at least 1");
        }
        long requestsBefore = client.requests();
        List<Document> out = new ArrayList<>();
        long tokens = 0;
        long promptTokens = 0;
        long completionTokens = 0;
        int fromJournal = 0;
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
            Thread th = new Thread(r, "distill-text-http");
            th.setDaemon(true);
            return th;
        });
        try (LmJournal j = LmJournal.open(journal, new LinkedHashMap<>(fingerprint))) {
            int block = 2 * concurrency;
            int n = prompts.size();
            long requests = Math.min(Integer.MAX_VALUE, (long) n * maxRounds);
            for (int from = 0; from < requests && tokens < neededTokens; from += block) {
                int to = (int) Math.min(requests, from + block);
                List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
                List<String> keys = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    String prompt = TeacherText.prefix(prompts.get(i % n).text(), promptBytes);
                    long s = seed + i;
                    String key = sha256(s + "\0" + prompt);
                    keys.add(key);
                    JsonNode done = j.get(key);
                    if (done != null) {
                        fromJournal++;
                        futures.add(CompletableFuture.completedFuture(done));
                        continue;
                    }
                    futures.add(CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    CompletionsTextClient.Generation g =
                                            client.generate(prompt, maxTokens, temperature, s);
                                    j.append(
                                            key,
                                            CompletionsPost.JSON
                                                    .createObjectNode()
                                                    .put("prompt", prompt)
                                                    .put("text", g.text())
                                                    .put("seed", s)
                                                    .put("promptTokens", g.promptTokens())
                                                    .put("completionTokens", g.completionTokens())
                                                    .put("model", g.model()));
                                    return j.get(key);
                                } catch (IOException e) {
                                    throw new CompletionException(e);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                    throw new CompletionException(e);
                                }
                            },
                            pool));
                }
                for (int i = from; i < to; i++) {
                    JsonNode rec;
                    try {
                        rec = futures.get(i - from).join();
                    } catch (CompletionException e) {
                        Throwable c = e.getCause();
                        throw c instanceof IOException io
                                ? new IOException("request " + i + " (document " + i % n + "): " + io.getMessage(), io)
                                : new IOException("request " + i + " (document " + i % n + "): " + c, c);
                    }
                    String text = rec.get("prompt").asText() + rec.get("text").asText();
                    out.add(new Document("teacher:" + prompts.get(i % n).source(), text));
                    tokens += studentTokenizer.encode(text).length + 2L;
                    promptTokens += rec.path("promptTokens").asLong();
                    completionTokens += rec.path("completionTokens").asLong();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return new Result(out, tokens, fromJournal, client.requests() - requestsBefore, promptTokens, completionTokens);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
