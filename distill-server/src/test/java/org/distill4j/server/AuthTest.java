package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional bearer-token check: everything but health needs the key, and the key is never echoed. */
class AuthTest {

    static final String KEY = "s3cret-key-4242";

    @Test
    void requestsWithoutTheKeyGet401ButHealthStaysOpen(@TempDir Path tmp) throws Exception {
        Path text = TestModels.text(tmp.resolve("text"), 8);
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optApiKey(KEY)
                .addModel(ServedSavedModel.load("t", text))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            String infer = "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"hi\"]}]}";

            assertThat(http.get("/v2/health/live").status()).isEqualTo(200);
            assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);

            Http.Reply missing = http.post("/v2/models/t/infer", infer);
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.error()).contains("Authorization: Bearer");
            assertThat(missing.raw().headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertThat(http.get("/v2/models/t").status()).isEqualTo(401);
            assertThat(http.get("/v2").status()).isEqualTo(401);

            Http.Reply wrong = http.post(
                    "/v2/models/t/infer",
                    infer,
                    "Content-Type",
                    "application/json",
                    "Authorization",
                    "Bearer " + KEY + "x");
            assertThat(wrong.status()).isEqualTo(401);
            assertThat(wrong.raw().body()).doesNotContain(KEY);

            Http.Reply chat = http.post(
                    "/v1/chat/completions",
                    "{\"model\":\"t\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    "Content-Type",
                    "application/json",
                    "Authorization",
                    "Basic " + KEY);
            assertThat(chat.status()).isEqualTo(401);
            assertThat(chat.body().at("/error/code").asText()).isEqualTo("invalid_api_key");
            assertThat(chat.raw().body()).doesNotContain(KEY);

            Http.Reply ok = http.post(
                    "/v2/models/t/infer", infer, "Content-Type", "application/json", "Authorization", "Bearer " + KEY);
            assertThat(ok.status()).as(ok.body().toString()).isEqualTo(200);
            assertThat(http.get("/v1/models", "Authorization", "bearer " + KEY).status())
                    .isEqualTo(200);
        }
    }
}
