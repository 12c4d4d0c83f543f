package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration validation, identity, API keys, retry timing and the rate limiter. */
class HttpSettingsTest {

    private static final List<String> LABELS = List.of("spam", "ham");

    @TempDir
    Path dir;

    private static HttpTeacherConfig.Builder chat() {
        return HttpTeacherConfig.builder(Protocol.OPENAI, "https://api.example.com/v1", "gpt-x");
    }

    @Test
    void configValidationNamesTheFieldTheValueAndWhatIsAllowed() {
        assertThatThrownBy(() -> chat().optTopLogprobs(21).build())
                .hasMessage("illegal topLogprobs value: 21, must be in [1, 20] (the OpenAI API's limit)");
        assertThatThrownBy(() -> chat().optConcurrency(0).build()).hasMessageContaining("concurrency value: 0");
        assertThatThrownBy(() -> chat().optRateLimits(-1, 0).build()).hasMessageContaining("requestsPerMinute");
        assertThatThrownBy(() -> chat().optPromptTemplate("Classify: {labels}").build())
                .hasMessageContaining("must contain the placeholder {text}");
        assertThatThrownBy(() -> chat().optBatchSize(4).build()).hasMessageContaining("must be 1 for the openai");
        assertThatThrownBy(() -> chat().optTimeout(Duration.ZERO).build()).hasMessageContaining("timeout");
        assertThatThrownBy(() ->
                        HttpTeacherConfig.builder(Protocol.V2, "ftp://h", "m").build())
                .hasMessageContaining("http or https");
        assertThatThrownBy(() -> HttpTeacherConfig.builder(Protocol.V2, "http://user:hunter2@h", "m")
                        .build())
                .hasMessageContaining("credentials")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
        assertThatThrownBy(() -> HttpTeacherConfig.builder(Protocol.V2, "http://h/?api_key=1", "m")
                        .build())
                .hasMessageContaining("no query");
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ofMillis(1), Duration.ofMillis(1), Duration.ZERO, 0))
                .hasMessage("illegal maxAttempts value: 0, must be in [1, 100]");
        assertThatThrownBy(() -> Protocol.parse("grpc")).hasMessageContaining("expected one of: v2, openai");
    }

    @Test
    void endpointsFollowEachProtocol() {
        assertThat(chat().build().endpoint()).hasToString("https://api.example.com/v1/chat/completions");
        assertThat(HttpTeacherConfig.builder(Protocol.OPENAI, "http://localhost:8000/", "m")
                        .build()
                        .endpoint())
                .hasToString("http://localhost:8000/v1/chat/completions");
        assertThat(HttpTeacherConfig.builder(Protocol.V2, "http://h:8080", "my model")
                        .optModelVersion("3")
                        .build()
                        .endpoint())
                .hasToString("http://h:8080/v2/models/my%20model/versions/3/infer");
        assertThat(HttpTeacherConfig.builder(Protocol.V2, "http://h", "m")
                        .build()
                        .batchSize())
                .isEqualTo(16);
    }

    @Test
    void identityDependsOnWhatTheTeacherAnswersNotOnPacingOrKey() {
        HttpTeacherConfig base = chat().build();
        var id = base.identity(LABELS);
        assertThat(id.kind()).isEqualTo("http-openai");
        assertThat(id.location()).isEqualTo("https://api.example.com/v1/chat/completions");
        assertThat(chat().optConcurrency(32)
                        .optRateLimits(10, 10)
                        .optApiKey(ApiKey.fromEnv("K", Map.of("K", "secret")))
                        .build()
                        .identity(LABELS))
                .isEqualTo(id);
        assertThat(chat().optTopLogprobs(5).build().identity(LABELS).cacheKey()).isNotEqualTo(id.cacheKey());
        assertThat(chat().optPromptTemplate("{text}").build().identity(LABELS)).isNotEqualTo(id);
        assertThat(base.identity(List.of("ham", "spam"))).isNotEqualTo(id);
        assertThat(base.fingerprint(LABELS).toString()).doesNotContain("secret");
    }

    @Test
    void apiKeysAreRedactedScrubbedAndReadFromFilesOrTheEnvironment() throws Exception {
        Path f = dir.resolve("key");
        Files.writeString(f, "  sk-abc123  \n");
        ApiKey k = ApiKey.fromFile(f);
        assertThat(k.authorization()).isEqualTo("Bearer sk-abc123");
        assertThat(k.toString())
                .doesNotContain("sk-abc123")
                .contains("[REDACTED]")
                .contains(f.toString());
        assertThat(k.scrub("echo: Bearer sk-abc123.")).isEqualTo("echo: Bearer [REDACTED].");
        assertThat(chat().optApiKey(k).build().toString()).doesNotContain("sk-abc123");
        assertThatThrownBy(() -> ApiKey.fromEnv("NOPE_KEY", Map.of())).hasMessageContaining("NOPE_KEY");
        Files.writeString(f, "\n");
        assertThatThrownBy(() -> ApiKey.fromFile(f)).hasMessageContaining("is empty");
        assertThat(ApiKey.none().isPresent()).isFalse();
    }

    @Test
    void backoffIsFullJitterUnderAnExponentialBoundAndRetryAfterIsCapped() {
        RetryPolicy p = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofMillis(1000), Duration.ofSeconds(2), 1);
        Random rng = p.jitter("item");
        for (int attempt = 1; attempt <= 8; attempt++) {
            long bound = Math.min(1000, 100L << (attempt - 1));
            for (int i = 0; i < 50; i++) {
                assertThat(p.delay(attempt, Optional.empty(), rng).toMillis()).isBetween(0L, bound);
            }
        }
        // Jitter is a function of the item: the same item waits the same, other items differ.
        Random x1 = p.jitter("x");
        Random x2 = p.jitter("x");
        Random y = p.jitter("y");
        List<Long> first = new java.util.ArrayList<>();
        List<Long> again = new java.util.ArrayList<>();
        List<Long> other = new java.util.ArrayList<>();
        for (int attempt = 4; attempt <= 8; attempt++) {
            first.add(p.delay(attempt, Optional.empty(), x1).toMillis());
            again.add(p.delay(attempt, Optional.empty(), x2).toMillis());
            other.add(p.delay(attempt, Optional.empty(), y).toMillis());
        }
        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
        assertThat(p.delay(1, Optional.of(Duration.ofSeconds(1)), rng)).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.delay(1, Optional.of(Duration.ofHours(1)), rng)).isEqualTo(Duration.ofSeconds(2));
        Instant now = Instant.parse("2015-10-21T07:27:00Z");
        assertThat(RetryPolicy.parseRetryAfter("120", now)).contains(Duration.ofSeconds(120));
        assertThat(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now))
                .contains(Duration.ofSeconds(60));
        assertThat(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now))
                .contains(Duration.ZERO);
        assertThat(RetryPolicy.parseRetryAfter("soon", now)).isEmpty();
        assertThat(RetryPolicy.parseRetryAfter(null, now)).isEmpty();
    }

    @Test
    void theTokenBucketPacesTokensAndReconcilesWithReportedUsage() throws Exception {
        // 6000 tokens/min = 100/s, burst 100: five requests of 50 tokens take at least 1.5 s without
        // reconciliation; reporting that each used 10 gives 40 back each time, so they go through at once.
        RateLimiter reconciled = new RateLimiter(0, 6000);
        long t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            reconciled.acquire(50);
            reconciled.reconcile(50, 10);
        }
        assertThat((System.nanoTime() - t0) / 1e6).isLessThan(500);
        RateLimiter plain = new RateLimiter(0, 6000);
        t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            plain.acquire(50);
        }
        assertThat((System.nanoTime() - t0) / 1e6).isGreaterThanOrEqualTo(1400);
        RateLimiter paused = new RateLimiter(0, 0);
        paused.pause(300_000_000L);
        t0 = System.nanoTime();
        paused.acquire(1);
        assertThat((System.nanoTime() - t0) / 1e6).isGreaterThanOrEqualTo(290);
    }
}
