package org.distill4j.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The monitor's language-model detectors on synthetic token traffic (the HTTP side: LmMonitorTest). */
class TextMonitorTest {

    static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    static int[] tokens(Random rng, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = 97 + rng.nextInt(26);
        }
        return t;
    }

    static ExtractionMonitor monitor(long budget) {
        ExtractionMonitor.Config d = ExtractionMonitor.Config.defaults(ExtractionMonitor.Policy.DEGRADE);
        return new ExtractionMonitor(new ExtractionMonitor.Config(
                d.policy(), d.delta(), d.minDistances(), d.checkEvery(), d.window(), budget, Duration.ofHours(1), 10));
    }

    @Test
    void aScoringSweepOverNewTextIsFlaggedAtTheWindow() {
        ExtractionMonitor m = monitor(0);
        Random rng = new Random(1);
        for (int i = 1; i <= 40; i++) {
            ExtractionMonitor.Action a = m.observeText(
                    "key:sweep", new TextQuery(List.of(tokens(rng, 64)), true, 5, 0, 1), T0.plusSeconds(i));
            assertThat(a)
                    .as("request %d", i)
                    .isEqualTo(
                            i < ExtractionMonitor.SWEEP_WINDOW
                                    ? ExtractionMonitor.Action.ALLOW
                                    : ExtractionMonitor.Action.DEGRADE);
        }
        ExtractionMonitor.ClientStatus s = m.status("key:sweep");
        assertThat(s.flaggedAtRequest()).isEqualTo(ExtractionMonitor.SWEEP_WINDOW);
        assertThat(s.reason()).startsWith("scoring sweep");
        assertThat(s.promptTokens()).isEqualTo(40 * 64);
        assertThat(s.scoringShare()).isEqualTo(1.0);
        assertThat(s.recentNovelty()).isGreaterThan(0.95);
        assertThat(s.items()).isGreaterThan(40 * 60);
    }

    @Test
    void rescoringTheSameTextGenerationAndInterleavedSweepsAreNot() {
        ExtractionMonitor m = monitor(0);
        Random rng = new Random(2);
        int[] same = tokens(rng, 64);
        for (int i = 0; i < 100; i++) {
            // A reranker scoring candidates after one shared prompt: little new text.
            int[] p = java.util.Arrays.copyOf(same, 68);
            System.arraycopy(tokens(rng, 4), 0, p, 64, 4);
            m.observeText("key:rerank", new TextQuery(List.of(p), true, 5, 0, 1), T0.plusSeconds(i));
            // A chat user: generation with a few log-probabilities.
            m.observeText("key:chat", new TextQuery(List.of(tokens(rng, 40)), false, 5, 12, 1), T0.plusSeconds(i));
            // A sweep with one generation request in 5: under the 90% share, so only volume can see it.
            boolean gen = i % 5 == 0;
            m.observeText(
                    "key:mixed",
                    new TextQuery(List.of(tokens(rng, 64)), !gen, gen ? -1 : 5, gen ? 16 : 0, 1),
                    T0.plusSeconds(i));
        }
        assertThat(m.status("key:rerank").flagged()).isFalse();
        assertThat(m.status("key:rerank").recentNovelty()).isLessThan(0.3);
        assertThat(m.status("key:chat").flagged()).isFalse();
        assertThat(m.status("key:chat").items()).isEqualTo(100 * 12);
        assertThat(m.status("key:mixed").flagged()).isFalse();
        // Generation without log-probabilities counts no items.
        m.observeText("key:text", new TextQuery(List.of(tokens(rng, 40)), false, -1, 200, 4), T0);
        assertThat(m.status("key:text").items()).isZero();
    }

    @Test
    void theVolumeBudgetCountsNovelScoredPositions() {
        ExtractionMonitor m = monitor(1000);
        Random rng = new Random(3);
        int[] text = tokens(rng, 300);
        // The same 300 tokens scored 10 times: novel once, so 300 items, not 3,000.
        for (int i = 0; i < 10; i++) {
            m.observeText("key:a", new TextQuery(List.of(text), true, 1, 0, 1), T0.plusSeconds(i));
        }
        assertThat(m.status("key:a").items()).isBetween(295L, 300L);
        assertThat(m.status("key:a").flagged()).isFalse();
        // 4 new texts: over 1,000.
        for (int i = 0; i < 4; i++) {
            m.observeText("key:a", new TextQuery(List.of(tokens(rng, 300)), true, 1, 0, 1), T0.plusSeconds(20 + i));
        }
        assertThat(m.status("key:a").flagged()).isTrue();
        assertThat(m.status("key:a").reason()).startsWith("volume");
        assertThat(m.status("key:a").flaggedAtRequest()).isEqualTo(13);
    }

    @Test
    void badQueriesAreRefused() {
        assertThatThrownBy(() -> new TextQuery(List.of(), false, -1, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 prompts");
        assertThatThrownBy(() -> new TextQuery(List.of(new int[] {1}), true, -1, 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("echoLogprobs without logprobs");
    }
}
