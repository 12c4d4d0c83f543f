package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TextFeaturesTest {

    @Test
    void splitsWordsKeepingVersionAndLanguageNames() {
        TextFeatures f = TextFeatures.defaults();
        assertThat(f.words("Python3 bindings for GTK+ 2.0, a C++ library. Done..."))
                .containsExactly("python3", "bindings", "for", "gtk+", "2.0", "a", "c++", "library", "done");
    }

    @Test
    void emitsWordThenPairPerPositionAndPadsWithZero() {
        TextFeatures f = TextFeatures.of(8, 2, 0, 0, true);
        float[] row = f.featurize("Free chess engine");
        // chess, "free chess", engine, "chess engine" after "free": 5 ids, then padding.
        assertThat(Arrays.copyOfRange(row, 5, 8)).containsOnly(0f);
        assertThat(row[0]).isEqualTo((float) TextFeatures.id('w', "free"));
        assertThat(row[2]).isEqualTo((float) TextFeatures.id('2', "free chess"));
        for (int i = 0; i < 5; i++) {
            assertThat(row[i]).isBetween(1f, (float) TextFeatures.ID_SPACE - 1);
            assertThat((float) (int) row[i]).isEqualTo(row[i]);
        }
        // A word and the same text as a pair are different kinds of feature.
        assertThat(TextFeatures.id('w', "free chess")).isNotEqualTo(TextFeatures.id('2', "free chess"));
    }

    @Test
    void isDeterministicCaseInsensitiveAndCutsTheTail() {
        TextFeatures f = TextFeatures.of(4, 1, 0, 0, true);
        assertThat(f.featurize("Alpha beta gamma delta epsilon")).isEqualTo(f.featurize("alpha BETA gamma delta"));
        assertThat(f.featurize("")).containsOnly(0f);
    }

    @Test
    void characterNgramsOfThePaddedWord() {
        TextFeatures f = TextFeatures.of(64, 1, 3, 3, true);
        float[] row = new float[64];
        // "<ab>": word id, then <ab, ab> (the 4-char whole is the word itself).
        assertThat(f.featurize("ab", row, 0)).isEqualTo(3);
        assertThat(row[1]).isEqualTo((float) TextFeatures.id('c', "<ab"));
    }

    @Test
    void rejectsOutOfRangeSettingsNamingTheField() {
        assertThatThrownBy(() -> TextFeatures.of(0, null, null, null, null)).hasMessageContaining("max_features");
        assertThatThrownBy(() -> TextFeatures.of(null, 9, null, null, null)).hasMessageContaining("word_ngrams");
        assertThatThrownBy(() -> TextFeatures.of(null, null, 5, 3, null)).hasMessageContaining("char n-gram");
    }
}
