package org.distill4j.lm.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.token.Tokenizer;

/**
 * The data side of sequence-level KD (Kim and Rush, 2016): the teacher continues a prompt taken
 * from each corpus document, and the student then trains with plain cross-entropy ({@link
 * org.distill4j.lm.loss.TokenCrossEntropy}) on prompt + continuation. This is the only signal an
 * API without log-probabilities gives, and it works across tokenizers (the text is re-tokenized).
 */
public final class TeacherText {

    private TeacherText() {}

    /** Prompts of one length generated together (one forward pass per step for all of them). */
    static final int BATCH = 32;

    /**
     * Generates one document per prompt document. Prompts of equal token length are generated in
     * batches of up to {@value #BATCH} ({@link Generator#generate(List, List, boolean, boolean)}),
     * each with its own seed, so a document's text does not depend on which others share its batch
     * (up to float rounding).
     *
     * @param teacher the teacher
     * @param prompts documents whose first {@code promptBytes} bytes (cut at a character boundary) are the prompt
     * @param promptBytes prompt length in UTF-8 bytes, &gt;= 1
     * @param sampling how the teacher samples (seed i of document i is {@code sampling.seed() + i})
     * @return documents "prompt + continuation", sources {@code teacher:<source>}; bytes the teacher
     *     sampled that are not valid UTF-8 become U+FFFD
     */
    public static List<Document> generate(
            LanguageModel teacher, List<Document> prompts, int promptBytes, SamplingConfig sampling) {
        return generate(new Generator(teacher), prompts, promptBytes, sampling);
    }

    /**
     * As {@link #generate(LanguageModel, List, int, SamplingConfig)}, from any generator: a model's,
     * or {@link Generator#recomputing} over a teacher that is only a module (a TorchScript teacher).
     */
    public static List<Document> generate(
            Generator g, List<Document> prompts, int promptBytes, SamplingConfig sampling) {
        if (promptBytes < 1) {
            throw new IllegalArgumentException("promptBytes must be >= 1, got " + promptBytes);
        }
        Tokenizer tok = g.tokenizer();
        String[] texts = new String[prompts.size()];
        Map<Integer, List<Integer>> byLength = new TreeMap<>();
        List<int[]> ids = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            texts[i] = prefix(prompts.get(i).text(), promptBytes);
            int[] body = tok.encode(texts[i]);
            int[] prompt = new int[body.length + 1];
            prompt[0] = tok.bos();
            System.arraycopy(body, 0, prompt, 1, body.length);
            ids.add(prompt);
            byLength.computeIfAbsent(prompt.length, l -> new ArrayList<>()).add(i);
        }
        String[] continuations = new String[prompts.size()];
        for (List<Integer> group : byLength.values()) {
            for (int from = 0; from < group.size(); from += BATCH) {
                List<Integer> rows = group.subList(from, Math.min(group.size(), from + BATCH));
                List<int[]> batch = new ArrayList<>(rows.size());
                List<SamplingConfig> seeds = new ArrayList<>(rows.size());
                for (int i : rows) {
                    batch.add(ids.get(i));
                    seeds.add(new SamplingConfig(
                            sampling.maxNewTokens(),
                            sampling.temperature(),
                            sampling.topK(),
                            sampling.topP(),
                            sampling.seed() + i,
                            true));
                }
                List<Generator.Result> results = g.generate(batch, seeds, true, false);
                for (int r = 0; r < rows.size(); r++) {
                    continuations[rows.get(r)] = tok.decode(results.get(r).tokens());
                }
            }
        }
        List<Document> out = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            out.add(new Document("teacher:" + prompts.get(i).source(), texts[i] + continuations[i]));
        }
        return out;
    }

    /** The longest prefix of whole code points with at most {@code bytes} UTF-8 bytes (at least one code point). */
    public static String prefix(String text, int bytes) {
        int end = 0;
        int used = 0;
        while (end < text.length()) {
            int cp = text.codePointAt(end);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (used + len > bytes && end > 0) {
                break;
            }
            used += len;
            end += Character.charCount(cp);
        }
        return text.substring(0, end);
    }
}
