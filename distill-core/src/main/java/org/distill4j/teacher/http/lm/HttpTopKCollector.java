package org.distill4j.teacher.http.lm;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.TokenWindows;

/**
 * Fills a {@link TopKCache} from a served teacher over HTTP: for every window of a packed corpus,
 * one {@link CompletionsTopKClient} request whose prompt is the window's tokens plus the next one
 * (so every position, the last included, is predicted; the teacher's context must hold T + 1
 * tokens), {@code concurrency} requests in flight, each window's rows written into the cache file
 * with positional writes ({@link TopKCache.Rows}; resident memory does not grow with the corpus,
 * and no mapped region limits the file). The cache is the same file an
 * in-process teacher gives ({@link TopKCache#build}), so training reads either alike. Positions the
 * API answered with fewer than k alternatives hold absent entries ({@link PromptTopK}) and are
 * counted, never filled in.
 *
 * <p><b>Resume.</b> The cache is written through {@code <file>.partial}, and every window whose rows
 * are in it is recorded in the journal {@code <file>.journal.jsonl} ({@link LmJournal}: fingerprint =
 * key, k, positions, windows, window length). A collection that fails or is killed leaves both; the
 * next one with the same key asks only the windows the journal lacks. Resuming reads the journal a
 * buffer at a time and keeps one bit per window (plus two sums), not its records. Rows are written
 * to the file before their journal line, so a kill never leaves a journaled window unwritten (the
 * page cache holds them; only a power loss could). When every window is in, the partial file
 * becomes the cache atomically and the journal is deleted.
 */
public final class HttpTopKCollector {

    /** Scores {@code prompt} on {@code pool}; a failure completes the future with its cause. */
    static CompletableFuture<PromptTopK> ask(CompletionsTopKClient client, int[] prompt, ExecutorService pool) {
        return CompletableFuture.supplyAsync(
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
                pool);
    }

    /**
     * What to do about a request the server refused, for the error message: a 400 names either a
     * token outside the server's vocabulary or a window longer than its context.
     *
     * @param t the window length (a request holds t + 1 tokens)
     */
    static String hint(IOException io, int t) {
        return !(io instanceof RefusedRequestException refused && refused.status() == 400)
                ? ""
                : refused.body().contains("is not a token id")
                        ? "; the server's vocabulary is not the student's (data.tokenizer): token-level KD needs one "
                                + "tokenizer, text-only KD (variant sequence) does not"
                        : "; a teacher whose context is shorter than the window plus one (" + (t + 1)
                                + " tokens per request here) refuses it: use a data.context below the teacher's context";
    }

    /**
     * What a collection did.
     *
     * @param windows windows asked for (one request each, by this run or an interrupted one)
     * @param positions the positions those windows hold
     * @param shortPositions positions with fewer than k alternatives
     * @param unmappedTokens alternatives whose token string named no token
     * @param windowsFromJournal windows an interrupted run had already collected (not asked again)
     * @param requests HTTP requests this run sent, retries included
     */
    public record Result(
            int windows,
            long positions,
            long shortPositions,
            long unmappedTokens,
            int windowsFromJournal,
            long requests) {}

    /** Returns the partial file a collection into {@code file} writes through. */
    public static Path partialFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".partial");
    }

    /** Returns the journal of a collection into {@code file}. */
    public static Path journalFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".journal.jsonl");
    }

    private HttpTopKCollector() {}

    /**
     * Collects the top-k of every position of {@code windows} into {@code file}.
     *
     * @param client the teacher's client (its k is the cache's)
     * @param k the client's k
     * @param concurrency requests in flight, at least 1
     * @param key what the outputs depend on (teacher, corpus, tokenizer, k, window length)
     * @throws IOException if a request fails for good (the cache is then not written; the windows
     *     collected so far stay in the partial file and the journal, for the next run)
     */
    public static Result collect(
            Path file, CompletionsTopKClient client, int k, TokenWindows windows, int concurrency, String key)
            throws IOException {
        return collect(file, client, k, windows, 0, windows.size(), null, concurrency, key);
    }

    /**
     * Collects the top-k of the {@code selected} windows of {@code windows} only (one request each);
     * every other window's positions are written absent, so a student trains on them with
     * cross-entropy alone (the teacher's outputs on a share of the transfer set: an API budget, or a
     * transfer set mixed from several sources).
     *
     * @param selected the windows to ask for (e.g. {@link org.distill4j.lm.corpus.WindowShare#select})
     * @param key what the outputs depend on, the selection included
     */
    public static Result collect(
            Path file,
            CompletionsTopKClient client,
            int k,
            TokenWindows windows,
            BitSet selected,
            int concurrency,
            String key)
            throws IOException {
        return collect(file, client, k, windows, 0, windows.size(), selected, concurrency, key);
    }

    /**
     * Collects the top-k of the windows {@code [fromWindow, toWindow)} of {@code windows} into {@code
     * file}, a cache of the positions those windows cover (its position 0 is window {@code
     * fromWindow}'s first), with its own partial file and journal: what one worker of a distributed
     * collection (a Spark task) owns. The whole range is {@link #collect(Path, CompletionsTopKClient,
     * int, TokenWindows, int, String)}.
     *
     * @param fromWindow first window, in [0, toWindow)
     * @param toWindow one past the last window, at most {@code windows.size()}
     * @param key what the outputs depend on; give each range its own (the journal's fingerprint and
     *     the file's header hold it)
     * @throws IOException if a request fails for good (the windows collected so far stay in the
     *     partial file and the journal, for the next run)
     */
    public static Result collect(
            Path file,
            CompletionsTopKClient client,
            int k,
            TokenWindows windows,
            int fromWindow,
            int toWindow,
            int concurrency,
            String key)
            throws IOException {
        return collect(file, client, k, windows, fromWindow, toWindow, null, concurrency, key);
    }

    private static Result collect(
            Path file,
            CompletionsTopKClient client,
            int k,
            TokenWindows windows,
            int fromWindow,
            int toWindow,
            BitSet selected,
            int concurrency,
            String key)
            throws IOException {
        if (concurrency < 1) {
            throw new IllegalArgumentException("illegal concurrency: " + concurrency + ", must be at least 1");
        }
        if (fromWindow < 0 || fromWindow >= toWindow || toWindow > windows.size()) {
            throw new IllegalArgumentException("illegal window range [" + fromWindow + ", " + toWindow
                    + "): must be non-empty within [0, " + windows.size() + ")");
        }
        int t = windows.contextLength();
        long total = windows.targetTokens();
        long base = (long) fromWindow * t;
        long positions = Math.min(total, (long) toWindow * t) - base;
        int count = toWindow - fromWindow;
        boolean whole = fromWindow == 0 && toWindow == windows.size();
        Path partial = partialFile(file);
        Path journalPath = journalFile(file);
        if (Files.exists(journalPath)
                && (!Files.exists(partial) || Files.size(partial) != TopKCache.fileLength(k, positions, key))) {
            // The journal vouches for rows of a file that is gone or damaged: start afresh.
            Files.delete(journalPath);
        }
        Map<String, Object> fingerprint = new LinkedHashMap<>();
        fingerprint.put("cache_key", key);
        fingerprint.put("k", k);
        fingerprint.put("positions", positions);
        fingerprint.put("windows", count);
        fingerprint.put("window", t);
        if (!whole) {
            fingerprint.put("first_window", fromWindow);
        }
        AtomicLong shortRows = new AtomicLong();
        AtomicLong unmapped = new AtomicLong();
        long requestsBefore = client.requests();
        int fromJournal;
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
            Thread th = new Thread(r, "distill-topk-http");
            th.setDaemon(true);
            return th;
        });
        // Resume state: one bit per window of the range (not one object per window), and the sums.
        BitSet done = new BitSet(count);
        LmJournal.Visitor resume = rec -> {
            String name = rec.path("key").asText();
            int w;
            try {
                w = name.startsWith("w") ? Integer.parseInt(name.substring(1)) : -1;
            } catch (NumberFormatException e) {
                w = -1;
            }
            // A record of no window of this range is ignored, as before (another job's journal is then
            // refused by its fingerprint, checked once the file is read).
            if (w >= fromWindow && w < toWindow && !done.get(w - fromWindow)) { // the first record wins
                done.set(w - fromWindow);
                shortRows.addAndGet(rec.path("short").asLong());
                unmapped.addAndGet(rec.path("unmapped").asLong());
            }
        };
        // Windows outside the selection are never asked: they count as done, and their rows are
        // written absent (again on a resumed run: idempotent, and cheaper than journaling them).
        BitSet skipped = new BitSet(count);
        if (selected != null) {
            skipped.set(0, count);
            for (int w = selected.nextSetBit(fromWindow); w >= 0 && w < toWindow; w = selected.nextSetBit(w + 1)) {
                skipped.clear(w - fromWindow);
            }
        }
        try (LmJournal journal = LmJournal.open(journalPath, fingerprint, resume)) {
            fromJournal = done.cardinality();
            done.or(skipped);
            int pending = count - done.cardinality();
            TopKCache.write(file, k, positions, key, partial, rows -> {
                for (int s = skipped.nextSetBit(0); s >= 0; s = skipped.nextSetBit(s + 1)) {
                    long first = (long) (fromWindow + s) * t;
                    rows.putAbsent(first - base, (int) Math.min(t, total - first));
                }
                Deque<CompletableFuture<PromptTopK>> ahead = new ArrayDeque<>();
                // Windows are taken in order from the clear bits: `asked` is the next one to send, `w`
                // the next one to write.
                int asked = done.nextClearBit(0);
                int sent = 0;
                int w = fromWindow + done.nextClearBit(0);
                for (int i = 0; i < pending; i++) {
                    while (sent < pending && sent < i + 2 * concurrency) {
                        long from = (long) (fromWindow + asked) * t;
                        int valid = (int) Math.min(t, total - from);
                        int[] prompt = windows.slice(from, valid + 1);
                        ahead.add(ask(client, prompt, pool));
                        sent++;
                        asked = done.nextClearBit(asked + 1);
                    }
                    PromptTopK top;
                    try {
                        // get(), not join(): an interrupt (a killed Spark task) stops the collection at once.
                        top = ahead.poll().get();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while waiting for window " + w);
                    } catch (ExecutionException e) {
                        Throwable c = e.getCause();
                        if (c instanceof IOException io) {
                            throw new IOException("window " + w + ": " + io.getMessage() + hint(io, t), io);
                        }
                        throw new IOException("window " + w + ": " + c, c);
                    }
                    shortRows.addAndGet(top.shortRows());
                    unmapped.addAndGet(top.unmappedTokens());
                    rows.put((long) w * t - base, top.rows(), top.ids(), top.logProbs());
                    // Journaled after its rows are written: a kill cannot leave it unwritten.
                    journal.append(
                            "w" + w,
                            CompletionsPost.JSON
                                    .createObjectNode()
                                    .put("short", top.shortRows())
                                    .put("unmapped", top.unmappedTokens()));
                    w = fromWindow + done.nextClearBit(w - fromWindow + 1);
                }
            });
        } finally {
            pool.shutdownNow();
        }
        Files.deleteIfExists(journalPath);
        long asked = positions;
        for (int s = skipped.nextSetBit(0); s >= 0; s = skipped.nextSetBit(s + 1)) {
            long first = (long) (fromWindow + s) * t;
            asked -= Math.min(t, total - first);
        }
        return new Result(
                count - skipped.cardinality(),
                asked,
                shortRows.get(),
                unmapped.get(),
                fromJournal,
                client.requests() - requestsBefore);
    }
}
