package org.distill4j.teacher.http.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.distill4j.data.CorruptDataException;
import org.distill4j.io.AtomicFiles;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.train.Evaluation;
import org.distill4j.teacher.http.JournalException;

/**
 * Evaluates a served language model over its API as {@link Evaluation#of} evaluates one
 * in-process: one echo request per window (its tokens plus the next one, as {@link
 * HttpTopKCollector} asks, with {@code logprobs: 1}), the log-probability the server gives each real
 * target ({@code token_logprobs}) summed to nats over the same targets, and the server's most likely
 * next token at each position kept for top-1 agreement. For a served distill4j model the nats are the
 * in-process ones to float rounding (tested).
 *
 * <p>Nothing is invented: a position answered without the real token's log-probability makes the
 * evaluation fail, naming the window, rather than leave a target out of the sum (which would make
 * the model look better than it is). {@link #evaluate(CompletionsTopKClient, TokenWindows, int, Path,
 * String)} keeps a finished evaluation in a file and journals an unfinished one window by window, so
 * an interrupted evaluation resumes without asking any window twice.
 */
public final class HttpLmEvaluation {

    private HttpLmEvaluation() {}

    /**
     * What an evaluation found.
     *
     * @param evaluation nats over every real target, as {@link Evaluation#of} counts them
     * @param top1 the server's most likely next token at each stream position p (the prediction of
     *     token p + 1), for {@code windows.targetTokens()} positions: 4 bytes a position in memory
     * @param requests HTTP requests sent, retries included
     */
    public record Result(Evaluation evaluation, int[] top1, long requests) {}

    /**
     * Evaluates the server {@code client} talks to on every window.
     *
     * @param client a client with k = 1 (one alternative a position is all this needs)
     * @param windows the windows, in the server's vocabulary
     * @param concurrency requests in flight, &gt;= 1
     * @throws IOException if a request fails for good or an answer lacks a target's log-probability;
     *     the message names the window
     */
    public static Result evaluate(CompletionsTopKClient client, TokenWindows windows, int concurrency)
            throws IOException {
        return evaluate(
                client,
                windows,
                concurrency,
                new double[windows.size()],
                new BitSet(),
                new int[positions(windows)],
                (w, n, ids) -> {});
    }

    private static int positions(TokenWindows windows) {
        long total = windows.targetTokens();
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(total + " positions: too many to evaluate over HTTP in one array");
        }
        return (int) total;
    }

    /** Receives each window's answer as it is summed, in window order. */
    @FunctionalInterface
    private interface WindowSink {
        void accept(int window, double nats, int[] top1) throws IOException;
    }

    /**
     * The evaluation proper: asks every window not in {@code done} (whose nats are already in {@code
     * windowNats} and top-1 ids in {@code top1}), hands each answer to {@code sink}, and sums the
     * windows' nats in window order, so a resumed evaluation totals exactly what an uninterrupted one
     * does.
     */
    private static Result evaluate(
            CompletionsTopKClient client,
            TokenWindows windows,
            int concurrency,
            double[] windowNats,
            BitSet done,
            int[] top1,
            WindowSink sink)
            throws IOException {
        if (concurrency < 1) {
            throw new IllegalArgumentException("illegal concurrency: " + concurrency + ", must be at least 1");
        }
        long total = windows.targetTokens();
        int t = windows.contextLength();
        int count = windows.size();
        long requestsBefore = client.requests();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
            Thread th = new Thread(r, "distill-lm-http-eval");
            th.setDaemon(true);
            return th;
        });
        try {
            Deque<CompletableFuture<PromptTopK>> ahead = new ArrayDeque<>();
            // Windows are taken in order from the clear bits: `asked` is the next one to send.
            int asked = done.nextClearBit(0);
            for (int w = done.nextClearBit(0); w < count; w = done.nextClearBit(w + 1)) {
                while (asked < count && ahead.size() < 2 * concurrency) {
                    long from = (long) asked * t;
                    int[] prompt = windows.slice(from, (int) Math.min(t, total - from) + 1);
                    ahead.add(HttpTopKCollector.ask(client, prompt, pool));
                    asked = done.nextClearBit(asked + 1);
                }
                PromptTopK answer;
                try {
                    answer = ahead.poll().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while evaluating window " + w);
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) {
                        throw new IOException(
                                "window " + w + ": " + io.getMessage() + HttpTopKCollector.hint(io, t), io);
                    }
                    throw new IOException("window " + w + ": " + c, c);
                }
                long from = (long) w * t;
                double nats = 0;
                int[] ids = new int[answer.rows()];
                for (int p = 0; p < answer.rows(); p++) {
                    float lp = answer.actual()[p];
                    if (!Float.isFinite(lp)) {
                        throw new IOException("window " + w + ", position " + p + ": the server gave the real next "
                                + "token no log-probability (logprobs.token_logprobs is " + lp + "); an evaluation "
                                + "without it would leave the target out");
                    }
                    nats -= lp;
                    int first = p * answer.k();
                    ids[p] = answer.logProbs()[first] == Float.NEGATIVE_INFINITY ? -1 : answer.ids()[first];
                }
                System.arraycopy(ids, 0, top1, (int) from, ids.length);
                windowNats[w] = nats;
                sink.accept(w, nats, ids);
            }
        } finally {
            pool.shutdownNow();
        }
        // Summed in window order, so the total depends neither on which answer came first nor on
        // which windows an earlier, interrupted run answered.
        double nats = 0;
        for (double n : windowNats) {
            nats += n;
        }
        return new Result(new Evaluation(nats, total, windows.targetBytes()), top1, client.requests() - requestsBefore);
    }

    private static final long MAGIC = 0x44344A4845564131L; // "D4JHEVA1"

    /**
     * As {@link #evaluate(CompletionsTopKClient, TokenWindows, int)}, kept in {@code file} under
     * {@code key} (what the answers depend on: the served model, the windows, the tokenizer): a file
     * already there is read instead of asking again ({@code requests} 0), so a rerun sends nothing;
     * otherwise the result is written atomically. The file holds the sums and 4 bytes a position.
     *
     * <p>Until then every answered window is journaled in {@link #journalFile} ({@link LmJournal}:
     * its nats and top-1 ids, one line each), so an evaluation that fails or is killed part-way
     * resumes with the windows the journal lacks, and totals exactly what an uninterrupted one
     * would. The journal is deleted once the file is written.
     *
     * @throws org.distill4j.data.CorruptDataException if the file is not an evaluation of {@code key}
     * @throws org.distill4j.teacher.http.JournalException if the journal belongs to another
     *     evaluation or is damaged before its last line
     */
    public static Result evaluate(
            CompletionsTopKClient client, TokenWindows windows, int concurrency, Path file, String key)
            throws IOException {
        Path journalPath = journalFile(file);
        if (Files.exists(file)) {
            Result kept = read(file, key);
            Files.deleteIfExists(journalPath); // left by a kill between the file's rename and its deletion
            return kept;
        }
        int t = windows.contextLength();
        long total = windows.targetTokens();
        int count = windows.size();
        double[] windowNats = new double[count];
        BitSet done = new BitSet(count);
        int[] top1 = new int[positions(windows)];
        Map<String, Object> fingerprint = new LinkedHashMap<>();
        fingerprint.put("evaluation_key", key);
        fingerprint.put("windows", count);
        fingerprint.put("window", t);
        fingerprint.put("positions", total);
        int[] damaged = {-1};
        LmJournal.Visitor resume = rec -> {
            String name = rec.path("key").asText();
            int w = name.matches("w[0-9]{1,9}") ? Integer.parseInt(name.substring(1)) : -1;
            if (w < 0 || w >= count || done.get(w)) {
                return; // the first record of a window wins; another job's is refused by the fingerprint
            }
            JsonNode ids = rec.path("top1");
            int rows = (int) Math.min(t, total - (long) w * t);
            if (!ids.isArray() || ids.size() != rows || !rec.path("nats").isNumber()) {
                // Reported once the fingerprint is known to match (another job's journal is refused
                // for that, the clearer reason).
                if (damaged[0] < 0) {
                    damaged[0] = w;
                }
                return;
            }
            for (int p = 0; p < rows; p++) {
                top1[w * t + p] = ids.get(p).asInt();
            }
            windowNats[w] = rec.path("nats").asDouble();
            done.set(w);
        };
        Result r;
        try (LmJournal journal = LmJournal.open(journalPath, fingerprint, resume)) {
            if (damaged[0] >= 0) {
                int w = damaged[0];
                throw new JournalException(
                        journalPath,
                        "the record of window " + w + " lacks its nats or its " + Math.min(t, total - (long) w * t)
                                + " top-1 ids; delete the file to evaluate again");
            }
            r = evaluate(client, windows, concurrency, windowNats, done, top1, (w, nats, ids) -> {
                ObjectNode rec = CompletionsPost.JSON.createObjectNode().put("nats", nats);
                ArrayNode a = rec.putArray("top1");
                for (int id : ids) {
                    a.add(id);
                }
                journal.append("w" + w, rec);
            });
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 4 * r.top1().length);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(MAGIC);
            out.writeUTF(key);
            out.writeDouble(r.evaluation().nats());
            out.writeLong(r.evaluation().tokens());
            out.writeLong(r.evaluation().bytes());
            out.writeInt(r.top1().length);
            for (int id : r.top1()) {
                out.writeInt(id);
            }
        }
        AtomicFiles.write(file, bytes.toByteArray());
        Files.deleteIfExists(journalPath);
        return r;
    }

    private static Result read(Path file, String key) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readLong() != MAGIC) {
                throw new CorruptDataException(
                        file, "not an HTTP teacher evaluation (bad magic); delete it to evaluate again");
            }
            String got = in.readUTF();
            if (!got.equals(key)) {
                throw new CorruptDataException(
                        file, "an evaluation of " + got + ", not of " + key + "; delete it to evaluate again");
            }
            Evaluation e = new Evaluation(in.readDouble(), in.readLong(), in.readLong());
            int[] top1 = new int[in.readInt()];
            for (int i = 0; i < top1.length; i++) {
                top1[i] = in.readInt();
            }
            if (in.read() != -1) {
                throw new CorruptDataException(
                        file, "trailing bytes after the evaluation; delete it to evaluate again");
            }
            return new Result(e, top1, 0);
        } catch (EOFException e) {
            throw new CorruptDataException(file, "truncated HTTP teacher evaluation; delete it to evaluate again", e);
        }
    }

    /** Returns the journal of an evaluation kept in {@code file}. */
    public static Path journalFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".journal.jsonl");
    }

    /** Returns the {@code top1} ids of window {@code w}'s T positions, -1 past the stream's end. */
    public static long[] windowTop1(int[] top1, int w, int t) {
        long[] out = new long[t];
        Arrays.fill(out, -1);
        long from = (long) w * t;
        for (int p = 0; p < t && from + p < top1.length; p++) {
            out[p] = top1[(int) from + p];
        }
        return out;
    }
}
