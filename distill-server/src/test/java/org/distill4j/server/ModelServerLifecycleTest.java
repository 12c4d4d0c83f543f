package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builder validation, binding, and what closing does. */
class ModelServerLifecycleTest {

    @Test
    void builderRefusesBadSettingsNamingTheValue() {
        assertThatThrownBy(() -> ModelServer.builder().optPort(70_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("70000")
                .hasMessageContaining("[0, 65535]");
        assertThatThrownBy(() -> ModelServer.builder().optMaxBatchRows(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max batch rows: 0");
        assertThatThrownBy(() -> ModelServer.builder().optMaxWait(Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2000 ms");
        assertThatThrownBy(() -> ModelServer.builder().optWorkerThreads(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("worker threads: 0");
        assertThatThrownBy(() -> ModelServer.builder().optApiKey(" padded "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("padded");
        assertThatThrownBy(() -> ModelServer.builder().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one model");
    }

    @Test
    void duplicateNamesAreRefusedAndAPortInUseIsNamed(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.dense(tmp.resolve("m"), new long[] {3}, TestModels.DENSE_CLASSES, 41);
        try (ModelServer first = ModelServer.builder()
                .optPort(0)
                .addModel(ServedSavedModel.load("m", dir))
                .build()
                .start()) {
            try (ServedSavedModel again = ServedSavedModel.load("m", dir)) {
                assertThatThrownBy(() -> ModelServer.builder()
                                .addModel(ServedSavedModel.load("m", dir))
                                .addModel(again))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("duplicate model name 'm'");
            }
            ModelServer second = ModelServer.builder()
                    .optPort(first.port())
                    .addModel(ServedSavedModel.load("m", dir))
                    .build();
            assertThatThrownBy(second::start)
                    .isInstanceOf(BindException.class)
                    .hasMessageContaining("127.0.0.1:" + first.port())
                    .hasMessageContaining("in use");
            second.close();
        }
    }

    @Test
    void closeStopsListeningAndRefusesLaterWork(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.dense(tmp.resolve("m"), new long[] {3}, TestModels.DENSE_CLASSES, 42);
        // One worker thread is enough to serve (Jetty's acceptor and selector threads come on top).
        ModelServer server = ModelServer.builder()
                .optPort(0)
                .optWorkerThreads(1)
                .addModel(ServedSavedModel.load("m", dir))
                .build();
        assertThat(server.port()).isEqualTo(-1);
        server.start();
        assertThat(server.port()).isPositive();
        assertThat(server.baseUri().toString()).isEqualTo("http://127.0.0.1:" + server.port());
        Http http = new Http(server.baseUri());
        assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);
        Http.Reply r = http.post("/v2/models/m/infer", InferenceV2Test.fp32Request(new long[] {1, 3}, new float[3]));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(server.models()).containsOnlyKeys("m");
        server.close();
        server.close(); // idempotent
        assertThatThrownBy(() -> http.get("/v2/health/live")).isInstanceOf(IOException.class);
    }
}
