package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.distill4j.lm.token.Tokenizer;

/**
 * Generates text token by token from a {@link LanguageModel}, with or without a {@link KvCache},
 * or from any causal module that maps ids to logits ({@link #recomputing}, e.g. a TorchScript
 * teacher), which has no cache and recomputes its window for every token.
 *
 * <p>Window rule (the same in both modes, so both give the same tokens): the model sees tokens
 * {@code [start, n)} of the n so far; while that is at most the context length C, each new token
 * extends it; when it would exceed C, start moves to {@code n - C/2} (the cache is dropped and the
 * last C/2 tokens are prefilled again), so the cached mode costs one position per token plus an
 * amortised C/2-position prefill every C/2 tokens, and the uncached mode recomputes the whole window
 * for every token.
 *
 * <p>Two engines compute the same logits to float rounding (so greedy decoding gives the same
 * tokens, tested): {@link Engine#DJL} runs the {@link Decoder} through DJL, one forward pass per
 * step for the whole batch; {@link Engine#JVM} runs a {@link JvmDecoder}, one session per
 * sequence (a batch's rows in parallel on the common fork-join pool), with no native call per
 * operator. {@link Engine#AUTO} takes the JVM for a single sequence and
 * DJL for a batch (docs/lm-benchmarks.md, "Generation on the JVM", has the measurements).
 */
public final class Generator {

    /** How the decoder is run. */
    public enum Engine {
        /** The DJL decoder: batched, one native call per operator and step. */
        DJL,
        /** A plain-Java copy of the weights ({@link JvmDecoder}), a batch's rows in parallel. */
        JVM,
        /** {@link #JVM} for one prompt, {@link #DJL} for several. */
        AUTO
    }

    private final LanguageModel lm; // null for a module
    private final UnaryOperator<NDArray> module; // null for a model
    private final Tokenizer tokenizer;
    private final int contextLength;
    private final int vocab;
    private final Engine engine;
    private JvmDecoder jvm;

    /** A generator with {@link Engine#AUTO}. @param lm the model (not closed by the generator) */
    public Generator(LanguageModel lm) {
        this(lm, Engine.AUTO);
    }

    private Generator(
            LanguageModel lm,
            UnaryOperator<NDArray> module,
            Tokenizer tokenizer,
            int contextLength,
            int vocab,
            Engine engine) {
        this.lm = lm;
        this.module = module;
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        this.vocab = vocab;
        this.engine = engine;
    }

    /**
     * A generator over a causal module that has no key/value cache: {@code logits} maps int64 ids
     * (B, T), T &lt;= {@code contextLength}, to float logits (B, T, V) and position t may depend only
     * on positions &lt;= t. Every step recomputes the window under the same window rule as a model's
     * uncached mode (a token costs the whole window, not one position), batched as {@link
     * Engine#DJL} batches; {@code useCache} is ignored. The ids are created by a manager of the
     * default engine, closed after each generation.
     *
     * @param logits e.g. {@code teacher::logits} of a TorchScript language-model teacher (not closed here)
     * @param tokenizer the tokenizer the ids are in (BOS, EOS, vocabulary size V)
     * @param contextLength the longest T the module takes, &gt;= 1
     */
    public static Generator recomputing(UnaryOperator<NDArray> logits, Tokenizer tokenizer, int contextLength) {
        if (contextLength < 1) {
            throw new IllegalArgumentException("context length must be >= 1, got " + contextLength);
        }
        return new Generator(null, logits, tokenizer, contextLength, tokenizer.vocabSize(), Engine.DJL);
    }

    /**
     * @param lm the model (not closed by the generator)
     * @param engine how to run it; {@link Engine#JVM} copies the weights at the first generation,
     *     so later training of {@code lm} is not seen by this generator
     */
    public Generator(LanguageModel lm, Engine engine) {
        this(lm, null, lm.tokenizer(), lm.config().contextLength(), lm.config().vocabSize(), engine);
    }

    /** Returns the tokenizer the prompts and results are in. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * What one generation produced.
     *
     * @param tokens the new tokens (without the prompt)
     * @param stepLogits for each new token, the logits it was chosen from (only if asked for)
     */
    public record Result(int[] tokens, List<float[]> stepLogits) {}

    /**
     * Generates a continuation of {@code prompt}.
     *
     * @param prompt token ids, not empty (start documents with BOS)
     * @param sampling how to pick tokens
     * @param useCache whether to use a key/value cache (else the window is recomputed per token)
     * @param keepLogits whether to return every step's logits (for tests)
     */
    public Result generate(int[] prompt, SamplingConfig sampling, boolean useCache, boolean keepLogits) {
        return generate(List.of(prompt), List.of(sampling), useCache, keepLogits)
                .get(0);
    }

    /**
     * Generates continuations of several prompts of the same length as one batch: on DJL each step
     * is one forward pass over B positions, so at small model sizes, where a step's cost is mostly
     * fixed per operation, B sequences cost little more than one; on the JVM the rows run in
     * parallel, each on its own session. Row i is sampled by its own {@code
     * samplings[i]} (its seed, its token limit, its EOS rule) and ends on its own; the batch runs
     * until every row has ended. A row's tokens are those {@link #generate(int[], SamplingConfig,
     * boolean, boolean)} gives it alone, up to float rounding in the batched matrix products.
     *
     * @param prompts B &gt;= 1 prompts, not empty, all of one length (group prompts by length to batch them)
     * @param samplings B sampling configurations, one per prompt
     * @param useCache whether to use a key/value cache (else the window is recomputed per token)
     * @param keepLogits whether to return every step's logits (for tests)
     * @return one result per prompt, in order
     */
    public List<Result> generate(
            List<int[]> prompts, List<SamplingConfig> samplings, boolean useCache, boolean keepLogits) {
        int b = prompts.size();
        if (b == 0 || samplings.size() != b) {
            throw new IllegalArgumentException(
                    "need one sampling configuration per prompt and at least one prompt, got " + b + " prompts and "
                            + samplings.size() + " configurations");
        }
        int len = prompts.get(0).length;
        int most = 0;
        for (int i = 0; i < b; i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException(
                        "empty prompt (row " + i + "); start it with the BOS token " + tokenizer.bos());
            }
            if (prompts.get(i).length != len) {
                throw new IllegalArgumentException("a batch needs prompts of one length: row 0 has " + len
                        + " tokens, row " + i + " has " + prompts.get(i).length);
            }
            most = Math.max(most, samplings.get(i).maxNewTokens());
        }
        if (lm != null && (engine == Engine.JVM || engine == Engine.AUTO && b == 1)) {
            JvmDecoder decoder = jvm();
            // Rows are independent (each its own session and sampler), so they run on the common
            // fork-join pool and the caller: every row gets exactly what it gets alone.
            return java.util.stream.IntStream.range(0, b)
                    .parallel()
                    .mapToObj(i -> generateOnJvm(decoder, prompts.get(i), samplings.get(i), useCache, keepLogits))
                    .toList();
        }
        int ctx = contextLength;
        int[][] tokens = new int[b][];
        TokenSampler[] samplers = new TokenSampler[b];
        int[] produced = new int[b];
        boolean[] done = new boolean[b];
        List<List<float[]>> logits = new ArrayList<>();
        int open = 0;
        for (int i = 0; i < b; i++) {
            tokens[i] = Arrays.copyOf(prompts.get(i), len + most);
            samplers[i] = new TokenSampler(samplings.get(i));
            done[i] = samplings.get(i).maxNewTokens() == 0;
            open += done[i] ? 0 : 1;
            logits.add(keepLogits ? new ArrayList<>() : null);
        }
        int n = len;
        int start = n > ctx ? n - Math.max(1, ctx / 2) : 0;
        Decoder decoder = lm != null ? lm.decoder() : null;
        try (NDManager manager = lm != null ? lm.model().getNDManager().newSubManager() : NDManager.newBaseManager();
                KvCache cache = useCache && decoder != null ? decoder.newCache(manager) : null) {
            ParameterStore ps = new ParameterStore(manager, false);
            int fed = start;
            while (open > 0) {
                float[] last;
                try (NDManager stepManager = manager.newSubManager()) {
                    int from = cache != null ? fed : start;
                    int t = n - from;
                    int[] ids = new int[b * t];
                    for (int i = 0; i < b; i++) {
                        System.arraycopy(tokens[i], from, ids, i * t, t);
                    }
                    NDArray in = stepManager.create(ids, new Shape(b, t));
                    NDArray out = decoder != null ? decoder.forward(ps, in, cache, false) : module.apply(in);
                    last = out.get(new NDIndex(":, " + (t - 1))).toFloatArray(); // (B, V)
                }
                if (last.length != b * vocab) {
                    throw new IllegalStateException("the model returned " + last.length / b
                            + " logits per position, expected the vocabulary of " + tokenizer.identity() + " ("
                            + vocab + ")");
                }
                fed = n;
                for (int i = 0; i < b; i++) {
                    float[] row = Arrays.copyOfRange(last, i * vocab, (i + 1) * vocab);
                    // Rows that have ended keep a token so the batch stays rectangular; it is never returned.
                    int next = done[i] ? tokenizer.eos() : samplers[i].next(row);
                    tokens[i][n] = next;
                    if (!done[i]) {
                        produced[i]++;
                        if (keepLogits) {
                            logits.get(i).add(row);
                        }
                        SamplingConfig s = samplings.get(i);
                        if (produced[i] == s.maxNewTokens() || s.stopAtEos() && next == tokenizer.eos()) {
                            done[i] = true;
                            open--;
                        }
                    }
                }
                n++;
                if (open > 0 && n - start > ctx) {
                    start = n - Math.max(1, ctx / 2);
                    fed = start;
                    if (cache != null) {
                        cache.reset();
                    }
                }
            }
        }
        List<Result> results = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            results.add(new Result(Arrays.copyOfRange(tokens[i], len, len + produced[i]), logits.get(i)));
        }
        return results;
    }

    /** One sequence through the {@link JvmDecoder}, under the same window rule as the batched path. */
    private synchronized JvmDecoder jvm() {
        if (jvm == null) {
            jvm = JvmDecoder.of(lm.decoder());
        }
        return jvm;
    }

    private Result generateOnJvm(
            JvmDecoder jvm, int[] prompt, SamplingConfig sampling, boolean useCache, boolean keepLogits) {
        int ctx = contextLength;
        int len = prompt.length;
        int[] tokens = Arrays.copyOf(prompt, len + sampling.maxNewTokens());
        TokenSampler sampler = new TokenSampler(sampling);
        List<float[]> logits = keepLogits ? new ArrayList<>() : null;
        JvmDecoder.Session session = jvm.newSession();
        int n = len;
        int start = n > ctx ? n - Math.max(1, ctx / 2) : 0;
        int fed = start;
        int produced = 0;
        while (produced < sampling.maxNewTokens()) {
            if (!useCache) {
                session.reset();
                fed = start;
            }
            float[] last = null;
            for (int p = fed; p < n; p++) {
                last = session.next(tokens[p]);
            }
            fed = n;
            int next = sampler.next(last);
            tokens[n++] = next;
            produced++;
            if (keepLogits) {
                logits.add(last);
            }
            if (sampling.stopAtEos() && next == tokenizer.eos()) {
                break;
            }
            if (n - start > ctx) {
                start = n - Math.max(1, ctx / 2);
                fed = start;
                session.reset();
            }
        }
        return new Result(Arrays.copyOfRange(tokens, len, len + produced), logits);
    }

    /** Encodes {@code text} after BOS, generates, and decodes the continuation. */
    public String complete(String text, SamplingConfig sampling) {
        return tokenizer.decode(generate(prompt(text), sampling, true, false).tokens());
    }

    /** Returns BOS followed by the ids of {@code text}: a prompt that starts a document. */
    public int[] prompt(String text) {
        int[] body = tokenizer.encode(text);
        int[] prompt = new int[body.length + 1];
        prompt[0] = tokenizer.bos();
        System.arraycopy(body, 0, prompt, 1, body.length);
        return prompt;
    }
}
