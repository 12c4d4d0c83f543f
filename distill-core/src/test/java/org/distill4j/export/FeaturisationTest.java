package org.distill4j.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.distill4j.data.TextFeatures;
import org.junit.jupiter.api.Test;

/**
 * The featurisation as documented (docs/export.md, the sidecar's "featurisation" section) is
 * exact: tools/export/featurise.py, written from that text alone, produced the golden ids, and
 * TextFeatures must give the same ids for every text and setting (case folding, C++/python3/2.0
 * words, trailing dots, accents, Turkish dotted I, Greek final sigma, an emoji outside the BMP, CJK,
 * the empty text, truncation).
 */
class FeaturisationTest {

    @Test
    void textFeaturesReproducesTheIdsOfTheIndependentReImplementation() throws Exception {
        JsonNode golden = new ObjectMapper()
                .readTree(Path.of(getClass()
                                .getResource("/fixtures/featurisation_golden.json")
                                .toURI())
                        .toFile());
        int checked = 0;
        for (JsonNode c : golden.get("cases")) {
            JsonNode s = c.get("settings");
            TextFeatures tf = new TextFeatures(
                    s.get("max_features").asInt(),
                    s.get("word_ngrams").asInt(),
                    s.get("char_ngram_min").asInt(),
                    s.get("char_ngram_max").asInt(),
                    s.get("lowercase").asBoolean());
            float[] row = tf.featurize(c.get("text").asText());
            float[] expected = new float[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("ids").get(i).asInt();
            }
            assertThat(row).as("%s on '%s'", tf, c.get("text").asText()).containsExactly(expected);
            checked++;
        }
        assertThat(checked).isEqualTo(18);
    }

    @Test
    void theSidecarDescriptionCarriesEverySetting() {
        TextFeatures tf = new TextFeatures(40, 3, 1, 5, false);
        Map<String, Object> d = Featurisation.describe(tf);
        assertThat(d)
                .containsEntry("max_features", 40)
                .containsEntry("word_ngrams", 3)
                .containsEntry("char_ngram_min", 1)
                .containsEntry("char_ngram_max", 5)
                .containsEntry("lowercase", false)
                .containsEntry("version", Featurisation.VERSION);
        assertThat(d.get("hash").toString())
                .contains("0xcbf29ce484222325")
                .contains("0x100000001b3")
                .contains("0xff51afd7ed558ccd")
                .contains("0xc4ceb9fe1a85ec53")
                .contains("2^24 - 1");
    }
}
