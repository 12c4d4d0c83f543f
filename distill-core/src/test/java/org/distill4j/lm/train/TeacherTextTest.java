package org.distill4j.lm.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TeacherTextTest {

    @Test
    void promptsAreCutAtACharacterBoundaryWithinTheByteBudget() {
        assertThat(TeacherText.prefix("héllo", 2)).isEqualTo("h"); // 'é' is 2 bytes: 1 + 2 > 2
        assertThat(TeacherText.prefix("héllo", 3)).isEqualTo("hé");
        assertThat(TeacherText.prefix("🙂abc", 2)).isEqualTo("🙂"); // at least one code point
        assertThat(TeacherText.prefix("abc", 10)).isEqualTo("abc");
    }
}
