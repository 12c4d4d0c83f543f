package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Generates text token by token from a {@link LanguageModel}, with or without a {@link KvCache}.
 *
 * <p>Window rule (the same in both modes, so both give the same tokens): the model sees tokens
 * {@code [start, n)} of the n so far; while that is at most the context length C, each new token
 * extends it; when it would exceed C, start moves to {@code n - C/2} (the cache is dropped and the
 * last C/2 tokens are prefilled again), so the cached mode costs one position per token plus an
 * amortised C/2-position prefill every C/2 tokens, and the uncached mode recomputes the whole window
 * for every token.
 */
public final class Generator {

    private final LanguageModel lm;

    /** @param lm the model (not closed by the generator) */
    public Generator(LanguageModel lm) {
        this.lm = lm;
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
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt; start it with the BOS token "
                    + lm.tokenizer().bos());
        }
        int ctx = lm.config().contextLength();
        TokenSampler sampler = new TokenSampler(sampling);
        int[] tokens = Arrays.copyOf(prompt, prompt.length + sampling.maxNewTokens());
        int n = prompt.length;
        int start = n > ctx ? n - Math.max(1, ctx / 2) : 0;
        List<float[]> logits = keepLogits ? new ArrayList<>() : null;
        Decoder decoder = lm.decoder();
        try (NDManager manager = lm.model().getNDManager().newSubManager();
                KvCache cache = useCache ? decoder.newCache(manager) : null) {
            ParameterStore ps = new ParameterStore(manager, false);
            int fed = start;
            for (int step = 0; step < sampling.maxNewTokens(); step++) {
                float[] last;
                try (NDManager stepManager = manager.newSubManager()) {
                    int from = useCache ? fed : start;
                    NDArray ids = stepManager.create(Arrays.copyOfRange(tokens, from, n), new Shape(1, n - from));
                    NDArray out = decoder.forward(ps, ids, cache, false);
                    last = out.get(new NDIndex(0, n - from - 1)).toFloatArray();
                }
                fed = n;
                int next = sampler.next(last);
                if (keepLogits) {
                    logits.add(last);
                }
                tokens[n++] = next;
                if (sampling.stopAtEos() && next == lm.tokenizer().eos()) {
                    break;
                }
                if (n - start > ctx) {
                    start = n - Math.max(1, ctx / 2);
                    fed = start;
                    if (cache != null) {
                        cache.reset();
                    }
                }
            }
        }
        return new Result(Arrays.copyOfRange(tokens, prompt.length, n), logits);
    }

    /** Encodes {@code text} after BOS, generates, and decodes the continuation. */
    public String complete(String text, SamplingConfig sampling) {
        int[] body = lm.tokenizer().encode(text);
        int[] prompt = new int[body.length + 1];
        prompt[0] = lm.tokenizer().bos();
        System.arraycopy(body, 0, prompt, 1, body.length);
        return lm.tokenizer().decode(generate(prompt, sampling, true, false).tokens());
    }
}
