package org.distill4j.teacher.http.lm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.lm.cache.Half;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.TokenWindows;

/**
 * Fills a {@link TopKCache} from a served teacher over HTTP: for every window of a packed corpus,
 * one {@link CompletionsTopKClient} request whose prompt is the window's tokens plus the next one
 * (so every position, the last included, is predicted; the teacher's context must hold T + 1
 * tokens), {@code concurrency} requests in flight, written position by position into the cache's
 * mapped file (resident memory does not grow with the corpus). The cache is the same file an
 * in-process teacher gives ({@link TopKCache#build}), so training reads either alike. Positions the
 * API answered with fewer than k alternatives hold absent entries ({@link PromptTopK}) and are
 * counted, never filled in.
 */
public final class HttpTopKCollector {

    /**
     * What a collection did.
     *
     * @param windows requests made (one per window)
     * @param positions positions written
     * @param shortPositions positions with fewer than k alternatives
     * @param unmappedTokens alternatives whose token string named no token
     */
    public record Result(int windows, long positions, long shortPositions, long unmappedTokens) {}

    private HttpTopKCollector() {}

    /**
     * Collects the top-k of every position of {@code windows} into {@code file}.
     *
     * @param client the teacher's client (its k is the cache's)
     * @param k the client's k
     * @param concurrency requests in flight, at least 1
     * @param key what the outputs depend on (teacher, corpus, tokenizer, k, window length)
     * @throws IOException if a request fails for good (the cache is then not written)
     */
    public static Result collect(
            Path file, CompletionsTopKClient client, int k, TokenWindows windows, int concurrency, String key)
            throws IOException {
        if (concurrency < 1) {
            throw new IllegalArgumentException("illegal concurrency: " + concurrency + ", must be at least 1");
        }
        int t = windows.contextLength();
        int[] stream = windows.stream();
        long positions = windows.targetTokens();
        AtomicLong shortRows = new AtomicLong();
        AtomicLong unmapped = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
            Thread th = new Thread(r, "distill-topk-http");
            th.setDaemon(true);
            return th;
        });
        try {
            TopKCache.write(file, k, positions, key, (ids, logProbs, total) -> {
                Deque<CompletableFuture<PromptTopK>> ahead = new ArrayDeque<>();
                int next = 0;
                for (int w = 0; w < windows.size(); w++) {
                    while (next < windows.size() && next < w + 2 * concurrency) {
                        int from = next * t;
                        int valid = (int) Math.min(t, total - from);
                        int[] prompt = Arrays.copyOfRange(stream, from, from + valid + 1);
                        ahead.add(CompletableFuture.supplyAsync(
                                () -> {
                                    try {
                                        return client.score(prompt);
                                    } catch (IOException e) {
                                        throw new CompletionException(e);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                        throw new CompletionException(e);
                                    }
                                },
                                pool));
                        next++;
                    }
                    PromptTopK top;
                    try {
                        top = ahead.poll().join();
                    } catch (CompletionException e) {
                        Throwable c = e.getCause();
                        throw c instanceof IOException io
                                ? new IOException("window " + w + ": " + io.getMessage(), io)
                                : new IOException("window " + w + ": " + c, c);
                    }
                    shortRows.addAndGet(top.shortRows());
                    unmapped.addAndGet(top.unmappedTokens());
                    for (int p = 0; p < top.rows(); p++) {
                        long pos = (long) w * t + p;
                        for (int j = 0; j < k; j++) {
                            ids.putInt((int) ((pos * k + j) * 4), top.ids()[p * k + j]);
                            logProbs.putShort((int) ((pos * k + j) * 2), Half.fromFloat(top.logProbs()[p * k + j]));
                        }
                    }
                }
            });
        } finally {
            pool.shutdownNow();
        }
        return new Result(windows.size(), positions, shortRows.get(), unmapped.get());
    }
}
