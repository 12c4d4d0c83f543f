package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.io.Hashing;
import org.junit.jupiter.api.Test;

/**
 * Serves the TorchScript fixture that real PyTorch traced (tools/fixtures/make_torchscript_teacher.py,
 * kept in distill-core's test resources) and checks the logits PyTorch computed come back over HTTP.
 */
class ServedTorchScriptTest {

    /** Surefire runs in the module directory; the fixture lives with the core tests. */
    static final Path FIXTURES = Path.of("..", "distill-core", "src", "test", "resources", "fixtures");

    @Test
    void servesTheLogitsPyTorchComputedAndDiscoversTheClasses() throws Exception {
        JsonNode expected = Http.JSON.readTree(
                FIXTURES.resolve("tiny_teacher_expected.json").toFile());
        Path pt = FIXTURES.resolve("tiny_teacher.pt");
        int rows = expected.get("inputs").size();
        float[] x = new float[rows * 16];
        for (int i = 0; i < rows; i++) {
            for (int d = 0; d < 16; d++) {
                x[i * 16 + d] = (float) expected.get("inputs").get(i).get(d).asDouble();
            }
        }
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .addModel(ServedTorchScript.load("tiny", pt, new long[] {16}, null))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            JsonNode meta = http.get("/v2/models/tiny").body();
            assertThat(meta.path("platform").asText()).isEqualTo("pytorch_torchscript");
            assertThat(meta.at("/inputs/0/shape").toString()).isEqualTo("[-1,16]");
            assertThat(meta.at("/outputs/0/shape").toString()).isEqualTo("[-1,4]");
            assertThat(meta.path("class_names").toString()).isEqualTo("[\"0\",\"1\",\"2\",\"3\"]");
            assertThat(meta.at("/versions/0").asText())
                    .isEqualTo(Hashing.sha256(pt).substring(0, 12));

            Http.Reply r = http.post("/v2/models/tiny/infer", InferenceV2Test.fp32Request(new long[] {rows, 16}, x));
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            float[] served = InferenceV2Test.floats(r.body().at("/outputs/0/data"));
            assertThat(served).hasSize(rows * 4);
            for (int i = 0; i < rows; i++) {
                for (int c = 0; c < 4; c++) {
                    assertThat((double) served[i * 4 + c])
                            .as("logit [%d][%d]", i, c)
                            .isCloseTo(expected.get("logits").get(i).get(c).asDouble(), within(1e-5));
                }
            }
        }
    }

    @Test
    void givenClassNamesAreUsedAndMustMatchTheOutputWidth() throws Exception {
        Path pt = FIXTURES.resolve("tiny_teacher.pt");
        try (ServedTorchScript m = ServedTorchScript.load("t", pt, new long[] {16}, List.of("a", "b", "c", "d"))) {
            assertThat(m.classNames()).containsExactly("a", "b", "c", "d");
            assertThat(m.describe()).contains("input [16]", "4 classes");
        }
        assertThatThrownBy(() -> ServedTorchScript.load("t", pt, new long[] {16}, List.of("a", "b", "c")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("returns 4 logits per row")
                .hasMessageContaining("3 class names");
    }

    @Test
    void aWrongFeatureShapeFailsAtLoadNamingTheShape() {
        Path pt = FIXTURES.resolve("tiny_teacher.pt");
        assertThat(Files.isRegularFile(pt)).isTrue();
        assertThatThrownBy(() -> ServedTorchScript.load("t", pt, new long[] {15}, null))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(pt.toString())
                .hasMessageContaining("[1, 15]")
                .hasMessageContaining("[15]");
        assertThatThrownBy(() -> ServedTorchScript.load("t", pt, new long[] {0}, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> ServedTorchScript.load("bad name", pt, new long[] {16}, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bad name'");
    }
}
