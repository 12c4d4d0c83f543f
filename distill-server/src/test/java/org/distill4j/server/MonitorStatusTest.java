package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.distill4j.guard.ExtractionMonitor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /admin/monitor} over real HTTP: per client key (by fingerprint) its counters and
 * flags, readable with the admin key only, never showing a key.
 */
class MonitorStatusTest {

    static final String BULK = "sk-bulk-5f1c9a7e";
    static final String USER = "sk-user-0b8d2c41";
    static final String ADMIN = "adm-3e7a90d2c5";

    @TempDir
    static Path tmp;

    @Test
    void theStatusShowsEachKeyByFingerprintToTheAdminOnly() throws Exception {
        Path dir = TestModels.dense(tmp.resolve("m"), new long[] {6}, TestModels.DENSE_CLASSES, 5);
        ExtractionMonitor.Config config = new ExtractionMonitor.Config(
                ExtractionMonitor.Policy.LOG, 0.9, 100, 10, 1000, 100, Duration.ofHours(1), 5000);
        ServingGuard guard =
                new ServingGuard(null, new ExtractionMonitor(config), Duration.ofSeconds(1), Clock.systemUTC());
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optApiKeys(List.of(BULK, USER))
                .optAdminKey(ADMIN)
                .optRequestObserver(guard)
                .optOutputFilter(guard)
                .optMonitorStatus(guard::statusDocument)
                .addModel(ServedSavedModel.load("dense", dir))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            String req = InferenceV2Test.fp32Request(new long[] {40, 6}, TestModels.rows(40, 6, 3))
                    .toString();
            for (int i = 0; i < 3; i++) { // 120 rows: over the budget of 100
                assertThat(http.post("/v2/models/dense/infer", req, auth(BULK)).status())
                        .isEqualTo(200);
            }
            String one = InferenceV2Test.fp32Request(new long[] {1, 6}, TestModels.rows(1, 6, 4))
                    .toString();
            assertThat(http.post("/v2/models/dense/infer", one, auth(USER)).status())
                    .isEqualTo(200);

            Http.Reply status = http.get("/admin/monitor", "Authorization", "Bearer " + ADMIN);
            assertThat(status.status()).as(status.raw().body()).isEqualTo(200);
            JsonNode doc = status.body();
            assertThat(doc.path("policy").asText()).isEqualTo("log");
            assertThat(doc.path("item_budget").asLong()).isEqualTo(100);
            JsonNode bulk = client(doc, ApiKey.fingerprint(BULK.getBytes(StandardCharsets.UTF_8)));
            JsonNode user = client(doc, ApiKey.fingerprint(USER.getBytes(StandardCharsets.UTF_8)));
            assertThat(bulk.path("requests").asLong()).isEqualTo(3);
            assertThat(bulk.path("items").asLong()).isEqualTo(120);
            assertThat(bulk.path("spread").asDouble()).isGreaterThan(0);
            assertThat(bulk.path("flagged").asBoolean()).isTrue();
            assertThat(bulk.path("reason").asText()).startsWith("volume: 120 items");
            assertThat(bulk.path("flagged_at_item").asLong()).isEqualTo(120);
            assertThat(bulk.path("flagged_at_request").asLong()).isEqualTo(3);
            assertThat(user.path("requests").asLong()).isEqualTo(1);
            assertThat(user.path("items").asLong()).isEqualTo(1);
            assertThat(user.path("flagged").asBoolean()).isFalse();
            assertThat(user.path("flagged_at_item").asLong()).isEqualTo(-1);
            assertThat(user.path("shapiro_wilk_w").isNull()).isTrue(); // too few distances for a test
            assertThat(doc.path("clients")).hasSize(2);
            assertThat(status.raw().body())
                    .doesNotContain(BULK)
                    .doesNotContain(USER)
                    .doesNotContain(ADMIN)
                    .doesNotContain("sk-")
                    .doesNotContain("adm-");

            // Client keys, no key, a wrong key: refused, and the refusal shows no key either.
            for (String[] h : new String[][] {
                {"Authorization", "Bearer " + BULK},
                {"Authorization", "Bearer " + USER},
                {"Authorization", "Bearer nope"},
                {}
            }) {
                Http.Reply r = http.get("/admin/monitor", h);
                assertThat(r.status()).isEqualTo(401);
                assertThat(r.raw().body())
                        .doesNotContain("clients")
                        .doesNotContain(BULK)
                        .doesNotContain(ADMIN);
                assertThat(r.raw().headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            }
            // The admin key is not a client key.
            assertThat(http.post("/v2/models/dense/infer", one, auth(ADMIN)).status())
                    .isEqualTo(401);
            // The model endpoints still need a client key.
            assertThat(http.post("/v2/models/dense/infer", one).status()).isEqualTo(401);
        }
    }

    @Test
    void withoutAnAdminKeyOrAMonitorTheEndpointIsOff() throws Exception {
        Path dir = TestModels.dense(tmp.resolve("off"), new long[] {6}, TestModels.DENSE_CLASSES, 6);
        ServingGuard guard = new ServingGuard(
                null,
                new ExtractionMonitor(ExtractionMonitor.Config.defaults(ExtractionMonitor.Policy.LOG)),
                Duration.ofSeconds(1),
                Clock.systemUTC());
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optApiKey(USER)
                .optRequestObserver(guard)
                .optMonitorStatus(guard::statusDocument)
                .addModel(ServedSavedModel.load("dense", dir))
                .build()
                .start()) {
            Http.Reply r = new Http(server.baseUri()).get("/admin/monitor", "Authorization", "Bearer " + USER);
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.error()).contains("--admin-key-file");
        }
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optAdminKey(ADMIN)
                .addModel(ServedSavedModel.load("dense", dir))
                .build()
                .start()) {
            Http.Reply r = new Http(server.baseUri()).get("/admin/monitor", "Authorization", "Bearer " + ADMIN);
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.error()).contains("--monitor");
        }
        assertThatThrownBy(() -> ModelServer.builder()
                        .optApiKeys(List.of(USER, ADMIN))
                        .optAdminKey(ADMIN)
                        .addModel(ServedSavedModel.load("dense", dir))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("admin key is also a client API key")
                .hasMessageNotContaining(ADMIN);
        assertThatThrownBy(() -> ModelServer.builder().optApiKeys(List.of(USER, USER)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(USER);
    }

    static String[] auth(String key) {
        return new String[] {"Authorization", "Bearer " + key, "Content-Type", "application/json"};
    }

    static JsonNode client(JsonNode doc, String id) {
        for (JsonNode c : doc.path("clients")) {
            if (c.path("client").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no client " + id + " in " + doc);
    }
}
