package org.distill4j.audit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.token.TokenizerIdentity;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.distill4j.teacher.http.lm.CompletionsTopKClient;
import org.distill4j.teacher.http.lm.PromptTopK;

/**
 * A language model as the watermark audit reads it, one window of token ids at a time: in process
 * (its whole next-token distribution) or behind an OpenAI-compatible API (the top-20
 * log-probabilities of {@code /v1/completions} with {@code echo}, all such an API gives). Not
 * thread-safe.
 */
public interface AuditedLm extends AutoCloseable {

    /** The most alternatives per position an OpenAI-compatible API returns. */
    int API_TOP_K = 20;

    /** The model's name in reports. */
    String name();

    /** The longest window it reads. */
    int contextLength();

    /** Who its tokens are. */
    TokenizerIdentity tokenizer();

    /** Windows read so far (for an API: requests, retries not counted). */
    long windowsRead();

    /**
     * Reads the model on one window (BOS first for a document's start).
     *
     * @throws AuditException if an API fails for good (the message names it and the status)
     */
    Reading read(int[] window);

    @Override
    void close();

    /** The model's next-token predictions on one window: row i follows {@code window[0..i]}. */
    interface Reading {

        /** Rows: the window's length in process; one fewer over an API (echo predicts no token after the last). */
        int rows();

        /** The most likely next token after row {@code row}'s prefix. */
        int argmax(int row);

        /**
         * The log-probability (nats) of {@code token} after row {@code row}'s prefix. An API lists
         * only its top k: for a token it left out of a full list this is the least listed value, an
         * upper bound (the token is less likely than every listed one; without it, a suspect whose
         * listed tokens are all green would show no contrast between its tokens); NaN where the
         * list is not full or the row unknown.
         */
        float logProb(int row, int token);

        /** The {@code k} most likely next tokens, most likely first (fewer where fewer are known). */
        int[] top(int row, int k);
    }

    /** A model in process; closing this does not close {@code model}. */
    static AuditedLm of(LmTeacher model, String name) {
        return new Reader(name, model.contextLength(), model.tokenizer(), window -> {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray z = model.logits(m.create(window, new Shape(1, window.length)))
                        .logSoftmax(2);
                return new FullReading(window.length, (int) z.getShape().get(2), z.toFloatArray());
            }
        });
    }

    /**
     * A model behind an OpenAI-compatible API, scored through {@code {base}/completions} ({@code
     * max_tokens: 0, echo: true, logprobs: 20}).
     *
     * @param base the OpenAI base URL, e.g. {@code http://127.0.0.1:8080/v1}
     * @param model the {@code model} field
     * @param key the API key, or {@link ApiKey#none()}
     * @param tokenizer the vocabulary its answers are in (its echoed tokens are checked against the window)
     * @param contextLength the longest window to send
     */
    static AuditedLm api(URI base, String model, ApiKey key, Tokenizer tokenizer, int contextLength) {
        CompletionsTopKClient client = new CompletionsTopKClient(
                base,
                model,
                key,
                API_TOP_K,
                new RateLimiter(0, 0),
                RetryPolicy.DEFAULT,
                Duration.ofSeconds(120),
                tokenizer);
        String name = base + " (model " + model + ")";
        return new Reader(name, contextLength, tokenizer.identity(), window -> {
            try {
                return new TopReading(client.score(window));
            } catch (IOException e) {
                throw new AuditException("suspect " + name + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AuditException("suspect " + name + ": interrupted");
            }
        });
    }

    /** A model read window by window through {@code reader}, counting the windows it read. */
    final class Reader implements AuditedLm {
        private final String name;
        private final int contextLength;
        private final TokenizerIdentity tokenizer;
        private final java.util.function.Function<int[], Reading> reader;
        private long windows;

        Reader(
                String name,
                int contextLength,
                TokenizerIdentity tokenizer,
                java.util.function.Function<int[], Reading> reader) {
            this.name = name;
            this.contextLength = contextLength;
            this.tokenizer = tokenizer;
            this.reader = reader;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int contextLength() {
            return contextLength;
        }

        @Override
        public TokenizerIdentity tokenizer() {
            return tokenizer;
        }

        @Override
        public long windowsRead() {
            return windows;
        }

        @Override
        public Reading read(int[] window) {
            Reading r = reader.apply(window);
            windows++;
            return r;
        }

        @Override
        public void close() {}
    }

    /** Every token's log-probability, rows x vocab. */
    record FullReading(int rows, int vocab, float[] logProbs) implements Reading {
        @Override
        public int argmax(int row) {
            int best = 0;
            for (int t = 1; t < vocab; t++) {
                best = logProbs[row * vocab + t] > logProbs[row * vocab + best] ? t : best;
            }
            return best;
        }

        @Override
        public float logProb(int row, int token) {
            return token >= 0 && token < vocab ? logProbs[row * vocab + token] : Float.NaN;
        }

        @Override
        public int[] top(int row, int k) {
            // Selection by repeated insertion: k is small (20) beside the vocabulary.
            int n = Math.min(k, vocab);
            int[] best = new int[n];
            int size = 0;
            for (int t = 0; t < vocab; t++) {
                float v = logProbs[row * vocab + t];
                if (size == n && v <= logProbs[row * vocab + best[n - 1]]) {
                    continue;
                }
                int i = size < n ? size++ : n - 1;
                while (i > 0 && logProbs[row * vocab + best[i - 1]] < v) {
                    best[i] = best[i - 1];
                    i--;
                }
                best[i] = t;
            }
            return best;
        }
    }

    /** What an API returned: each row's top-k ids and log-probabilities, absent entries -inf. */
    record TopReading(PromptTopK top) implements Reading {
        @Override
        public int rows() {
            return top.rows();
        }

        @Override
        public int argmax(int row) {
            return Float.isFinite(top.logProbs()[row * top.k()]) ? top.ids()[row * top.k()] : -1;
        }

        @Override
        public float logProb(int row, int token) {
            float least = Float.POSITIVE_INFINITY;
            for (int j = row * top.k(); j < (row + 1) * top.k(); j++) {
                if (!Float.isFinite(top.logProbs()[j])) {
                    return Float.NaN; // a short list: what it left out is not bounded
                }
                if (top.ids()[j] == token) {
                    return top.logProbs()[j];
                }
                least = Math.min(least, top.logProbs()[j]);
            }
            return least;
        }

        @Override
        public int[] top(int row, int k) {
            int n = 0;
            int[] ids = new int[Math.min(k, top.k())];
            for (int j = row * top.k(); j < (row + 1) * top.k() && n < ids.length; j++) {
                if (Float.isFinite(top.logProbs()[j])) {
                    ids[n++] = top.ids()[j];
                }
            }
            return Arrays.copyOf(ids, n);
        }
    }
}
