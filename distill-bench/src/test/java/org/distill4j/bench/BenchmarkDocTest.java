package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkDocTest {

    @Test
    void replacesOnlyItsOwnSectionAndKeepsHandWrittenText(@TempDir Path tmp) throws Exception {
        Path page = tmp.resolve("benchmarks.md");
        Files.writeString(page, "# Benchmarks\n\nHand-written intro.\n");
        BenchmarkDoc.replaceSection(page, "accuracy", "A1");
        BenchmarkDoc.replaceSection(page, "speed", "S1");
        BenchmarkDoc.replaceSection(page, "accuracy", "A2");
        String text = Files.readString(page);
        assertThat(text).contains("Hand-written intro.", "A2", "S1").doesNotContain("A1");
        assertThat(text.indexOf("A2")).isLessThan(text.indexOf("S1"));
    }

    @Test
    void statsUseTheSampleStandardDeviation() {
        Stats s = Stats.of(List.of(1.0, 2.0, 3.0));
        assertThat(s.mean()).isEqualTo(2.0);
        assertThat(s.std()).isEqualTo(1.0);
        assertThat(Stats.of(List.of(5.0)).std()).isZero();
    }
}
