package org.distill4j.lm.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.SamplingConfig;

/**
 * The data side of sequence-level KD (Kim and Rush, 2016): the teacher continues a prompt taken
 * from each corpus document, and the student then trains with plain cross-entropy ({@link
 * org.distill4j.lm.loss.TokenCrossEntropy}) on prompt + continuation. This is the only signal an
 * API without log-probabilities gives, and it works across tokenizers (the text is re-tokenized).
 */
public final class TeacherText {

    private TeacherText() {}

    /**
     * Generates one document per prompt document.
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
        if (promptBytes < 1) {
            throw new IllegalArgumentException("promptBytes must be >= 1, got " + promptBytes);
        }
        Generator g = new Generator(teacher);
        List<Document> out = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            Document d = prompts.get(i);
            String prompt = prefix(d.text(), promptBytes);
            SamplingConfig s = new SamplingConfig(
                    sampling.maxNewTokens(),
                    sampling.temperature(),
                    sampling.topK(),
                    sampling.topP(),
                    sampling.seed() + i,
                    true);
            String text = prompt + g.complete(prompt, s);
            out.add(new Document("teacher:" + d.source(), text));
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
