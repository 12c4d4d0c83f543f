package org.distill4j.lm.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;

class TeacherTextTest {

    @Test
    void promptsAreCutAtACharacterBoundaryWithinTheByteBudget() {
        assertThat(TeacherText.prefix("héllo", 2)).isEqualTo("h"); // 'é' is 2 bytes: 1 + 2 > 2
        assertThat(TeacherText.prefix("héllo", 3)).isEqualTo("hé");
        assertThat(TeacherText.prefix("🙂abc", 2)).isEqualTo("🙂"); // at least one code point
        assertThat(TeacherText.prefix("abc", 10)).isEqualTo("abc");
    }

    @Test
    void batchedGenerationGivesEachDocumentTheTextItGetsAlone() {
        // 40 documents whose 6-byte prompts have 3 to 6 bytes (short texts, a multi-byte one), so
        // batches of several sizes (1 to 20 prompts) drawn from interleaved positions.
        String[] texts = {"ab", "héllo wörld", "GNU tools for the shell", "x"};
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            docs.add(new Document("d" + i, texts[i % texts.length] + " " + i));
        }
        SamplingConfig sampling = new SamplingConfig(12, 1.0, 0, 1.0, 100, true);
        DecoderConfig c = new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.ROTARY, false);
        try (LanguageModel lm = LanguageModel.create(c, ByteTokenizer.INSTANCE, 4)) {
            List<Document> out = TeacherText.generate(lm, docs, 6, sampling);
            assertThat(out).hasSize(40);
            Generator g = new Generator(lm);
            for (int i = 0; i < 40; i++) {
                String prompt = TeacherText.prefix(docs.get(i).text(), 6);
                SamplingConfig own = new SamplingConfig(12, 1.0, 0, 1.0, 100 + i, true);
                assertThat(out.get(i).text()).as("document %d", i).isEqualTo(prompt + g.complete(prompt, own));
                assertThat(out.get(i).source()).isEqualTo("teacher:d" + i);
            }
        }
    }
}
