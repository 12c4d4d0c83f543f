package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.distill4j.guard.ExtractionMonitor;
import org.distill4j.lm.corpus.Document;
import org.distill4j.teacher.http.lm.HttpTopKCollector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extraction monitor on a served language model over real HTTP: the project's top-k collector
 * is flagged as a scoring sweep after {@link ExtractionMonitor#SWEEP_WINDOW} requests; chat users
 * and completion users with log-probabilities are not over more requests; the policies apply to
 * the LM routes.
 */
class LmMonitorTest {

    static final String COLLECTOR = "sk-collector-7c1d";
    static final String CHAT = "sk-chat-42aa";
    static final String COMPLETER = "sk-complete-9e0b";
    static final String ADMIN = "adm-lm-61f3";

    @TempDir
    static Path tmp;

    static Path dir;

    @BeforeAll
    static void model() throws Exception {
        dir = LmTraffic.model(tmp.resolve("lm"));
    }

    static ModelServer server(ServingGuard guard) throws Exception {
        return ModelServer.builder()
                .optPort(0)
                .optApiKeys(List.of(COLLECTOR, CHAT, COMPLETER))
                .optAdminKey(ADMIN)
                .optRequestObserver(guard)
                .optOutputFilter(guard)
                .optMonitorStatus(guard::statusDocument)
                .addLanguageModel(ServedLanguageModel.load("lm", dir))
                .build()
                .start();
    }

    static ServingGuard guard(ExtractionMonitor.Policy policy) {
        return new ServingGuard(
                null,
                new ExtractionMonitor(ExtractionMonitor.Config.defaults(policy)),
                Duration.ofHours(1),
                Clock.systemUTC());
    }

    @Test
    void theCollectorIsFlaggedAndChatAndCompletionUsersAreNot() throws Exception {
        ServingGuard guard = guard(ExtractionMonitor.Policy.LOG);
        Path keyFile = tmp.resolve("collector.key");
        Files.writeString(keyFile, COLLECTOR);
        List<Document> corpus = LmTraffic.documents(1, 40, 8);
        List<String> items = new ArrayList<>();
        LmTraffic.documents(2, 300, 2).forEach(d -> items.add(d.text()));
        try (ModelServer server = server(guard)) {
            Http http = new Http(server.baseUri());
            HttpTopKCollector.Result r = LmTraffic.collect(
                    LmTraffic.collector(server, "lm", keyFile, 5), corpus, 96, 5, tmp.resolve("c.topk"));
            assertThat(r.windows()).isGreaterThan(60);
            LmTraffic.chat(http, "lm", CHAT, items, r.windows());
            LmTraffic.complete(http, "lm", COMPLETER, items, r.windows());

            Http.Reply status = http.get("/admin/monitor", "Authorization", "Bearer " + ADMIN);
            assertThat(status.status()).isEqualTo(200);
            System.out.println(status.body().toPrettyString());
            JsonNode collector = MonitorStatusTest.client(status.body(), id(COLLECTOR));
            JsonNode chat = MonitorStatusTest.client(status.body(), id(CHAT));
            JsonNode completer = MonitorStatusTest.client(status.body(), id(COMPLETER));
            assertThat(collector.path("requests").asLong()).isEqualTo(r.windows());
            assertThat(collector.path("flagged").asBoolean()).isTrue();
            assertThat(collector.path("reason").asText()).startsWith("scoring sweep");
            assertThat(collector.path("flagged_at_request").asLong()).isEqualTo(ExtractionMonitor.SWEEP_WINDOW);
            assertThat(collector.path("scoring_share").asDouble()).isEqualTo(1.0);
            assertThat(collector.path("recent_novelty").asDouble()).isGreaterThan(0.5);
            assertThat(collector.path("prompt_tokens").asLong()).isGreaterThan(97L * (r.windows() - 1));
            for (JsonNode benign : List.of(chat, completer)) {
                assertThat(benign.path("requests").asLong()).isEqualTo(r.windows());
                assertThat(benign.path("flagged").asBoolean())
                        .as(benign.toString())
                        .isFalse();
                assertThat(benign.path("scoring_share").asDouble()).isZero();
            }
            // Chat resends the conversation: far fewer new contexts than the collector's corpus walk.
            assertThat(chat.path("recent_novelty").asDouble())
                    .isLessThan(collector.path("recent_novelty").asDouble());
            // Items: log-probability positions in new contexts; a third of the chat requests ask 12.
            assertThat(chat.path("items").asLong()).isEqualTo(12L * (r.windows() / 3));
            assertThat(completer.path("items").asLong()).isEqualTo(16L * r.windows());
            assertThat(status.raw().body())
                    .doesNotContain(COLLECTOR)
                    .doesNotContain(CHAT)
                    .doesNotContain(COMPLETER)
                    .doesNotContain(ADMIN);
        }
    }

    @Test
    void degradeAndSlowApplyToTheLmRoutes() throws Exception {
        Random rng = new Random(3);
        ServingGuard degrade = guard(ExtractionMonitor.Policy.DEGRADE);
        try (ModelServer server = server(degrade)) {
            Http http = new Http(server.baseUri());
            JsonNode before = null;
            for (int i = 0; i < ExtractionMonitor.SWEEP_WINDOW; i++) {
                Http.Reply r = LmTraffic.score(http, "lm", COLLECTOR, text(rng), 5);
                assertThat(r.status()).isEqualTo(200);
                before = r.body();
            }
            // The 32nd request flagged the client; it was already served top-1 only.
            Http.Reply after = LmTraffic.score(http, "lm", COLLECTOR, text(rng), 5);
            assertThat(after.status()).isEqualTo(200);
            assertTopOneOnly(after.body());
            // Other clients are not degraded.
            Http.Reply chat = LmTraffic.score(http, "lm", CHAT, text(rng), 5);
            assertThatThrownBy(() -> assertTopOneOnly(chat.body())).isInstanceOf(AssertionError.class);
            assertThat(before).isNotNull();
        }
        ServingGuard slow = guard(ExtractionMonitor.Policy.SLOW);
        try (ModelServer server = server(slow)) {
            Http http = new Http(server.baseUri());
            int refused = 0;
            for (int i = 0; i < ExtractionMonitor.SWEEP_WINDOW + 3; i++) {
                int s = LmTraffic.score(http, "lm", COLLECTOR, text(rng), 5).status();
                refused += s == 429 ? 1 : 0;
            }
            // Flagged at the 32nd: served (one per interval), the 3 after it refused.
            assertThat(refused).isEqualTo(3);
            assertThat(slow.status().get(id(COLLECTOR)).flagged()).isTrue();
        }
    }

    /** Every returned position's alternatives: one at log-probability ~0, the rest at -100 or below. */
    static void assertTopOneOnly(JsonNode body) {
        JsonNode tops = body.at("/choices/0/logprobs/top_logprobs");
        assertThat(tops.size()).isGreaterThan(10);
        for (int t = 1; t < tops.size(); t++) { // position 0 (BOS) has none
            JsonNode alt = tops.get(t);
            int near0 = 0;
            for (var it = alt.fields(); it.hasNext(); ) {
                double v = it.next().getValue().asDouble();
                if (v > -1e-3) {
                    near0++;
                } else {
                    assertThat(v).isLessThanOrEqualTo(-99);
                }
            }
            assertThat(near0).isEqualTo(1);
        }
    }

    /** A scoring prompt that fits the context. */
    static String text(Random rng) {
        return LmTraffic.abbreviate(LmTraffic.prose(rng, 3), 200);
    }

    static String id(String key) {
        return ApiKey.fingerprint(key.getBytes(StandardCharsets.UTF_8));
    }
}
