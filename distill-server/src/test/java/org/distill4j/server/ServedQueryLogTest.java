package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ServedQueryLog} in a real server: what each client's answered requests sent, per client
 * and model, bit for bit, capped, never a key, and a torn line cut when the log is reopened.
 */
class ServedQueryLogTest {

    static final String KEY_A = "sk-query-log-a1";
    static final String KEY_B = "sk-query-log-b2";
    static final ObjectMapper JSON = new ObjectMapper();

    static List<JsonNode> lines(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    static String[] auth(String key) {
        return new String[] {"Content-Type", "application/json", "Authorization", "Bearer " + key};
    }

    @Test
    void recordsEachClientsAnsweredRowsBitForBitUpToItsCap(@TempDir Path tmp) throws Exception {
        Path dense = TestModels.dense(tmp.resolve("dense"), new long[] {6}, TestModels.DENSE_CLASSES, 3);
        Path text = TestModels.text(tmp.resolve("text"), 4);
        Path logDir = tmp.resolve("log");
        float[] x = TestModels.rows(7, 6, 5);
        // Values a decimal round trip through a lazy writer would change.
        x[0] = Float.MIN_VALUE;
        x[1] = 0.1f + 0.2f;
        x[2] = 3e-7f;
        ServedQueryLog log = ServedQueryLog.open(logDir, 10);
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optApiKeys(List.of(KEY_A, KEY_B))
                .optQueryLog(log)
                .addModel(ServedSavedModel.load("dense", dense))
                .addModel(ServedSavedModel.load("words", text))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            String first = JSON.writeValueAsString(
                    InferenceV2Test.fp32Request(new long[] {4, 6}, java.util.Arrays.copyOfRange(x, 0, 24)));
            String second = JSON.writeValueAsString(
                    InferenceV2Test.fp32Request(new long[] {3, 6}, java.util.Arrays.copyOfRange(x, 24, 42)));
            assertThat(http.post("/v2/models/dense/infer", first, auth(KEY_A)).status())
                    .isEqualTo(200);
            assertThat(http.post("/v2/models/dense/infer", second, auth(KEY_A)).status())
                    .isEqualTo(200);
            // Another client's rows go to its own file; a refused request (wrong shape) to none.
            assertThat(http.post("/v2/models/dense/infer", second, auth(KEY_B)).status())
                    .isEqualTo(200);
            String badShape = JSON.writeValueAsString(InferenceV2Test.fp32Request(new long[] {1, 5}, new float[5]));
            assertThat(http.post("/v2/models/dense/infer", badShape, auth(KEY_B))
                            .status())
                    .isEqualTo(400);
            // Texts, over v2 and over the chat facade.
            String infer = "{\"inputs\":[{\"name\":\"text\",\"shape\":[2],\"datatype\":\"BYTES\","
                    + "\"data\":[\"a chess board\",\"caf\\u00e9 \\\"quoted\\\"\\nline\"]}]}";
            assertThat(http.post("/v2/models/words/infer", infer, auth(KEY_A)).status())
                    .isEqualTo(200);
            String chat = "{\"model\":\"words\",\"messages\":[{\"role\":\"user\",\"content\":\"vim editor\"}]}";
            assertThat(http.post("/v1/chat/completions", chat, auth(KEY_A)).status())
                    .isEqualTo(200);
            // A fourth request by A: 7 rows are logged, the cap is 10, so 3 of these 4 are kept.
            assertThat(http.post("/v2/models/dense/infer", first, auth(KEY_A)).status())
                    .isEqualTo(200);
        }
        String clientA = ApiKey.fingerprint(KEY_A.getBytes(StandardCharsets.UTF_8));
        Path a = log.fileOf("dense", clientA);
        assertThat(a.getFileName().toString()).doesNotContain(":").endsWith(".jsonl");
        List<JsonNode> rows = lines(a);
        assertThat(rows).hasSize(10);
        for (int r = 0; r < 10; r++) {
            int source = r < 7 ? r : r - 7;
            JsonNode f = rows.get(r).get("features");
            assertThat(f).hasSize(6);
            for (int j = 0; j < 6; j++) {
                assertThat(Float.floatToIntBits(f.get(j).floatValue()))
                        .as("row %d feature %d", r, j)
                        .isEqualTo(Float.floatToIntBits(x[source * 6 + j]));
            }
        }
        assertThat(lines(log.fileOf("dense", ApiKey.fingerprint(KEY_B.getBytes(StandardCharsets.UTF_8)))))
                .hasSize(3);
        List<JsonNode> texts = lines(log.fileOf("words", clientA));
        assertThat(texts)
                .extracting(t -> t.get("text").asText())
                .containsExactly("a chess board", "café \"quoted\"\nline", "vim editor");
        // Never a key: not in a file name, not in a file.
        try (var files = Files.walk(logDir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                assertThat(p.toString()).doesNotContain(KEY_A).doesNotContain(KEY_B);
                assertThat(Files.readString(p)).doesNotContain(KEY_A).doesNotContain(KEY_B);
            }
        }
    }

    @Test
    void aTornLastLineIsCutAndTheCapCountsWhatIsThere(@TempDir Path tmp) throws Exception {
        Path dense = TestModels.dense(tmp.resolve("dense"), new long[] {2}, TestModels.DENSE_CLASSES, 3);
        Path logDir = tmp.resolve("log");
        Path file;
        try (ServedQueryLog log = ServedQueryLog.open(logDir, 3)) {
            file = log.fileOf("m", "addr:127.0.0.1");
        }
        Files.createDirectories(file.getParent());
        // One whole line, then a line a crash cut short.
        Files.writeString(file, "{\"features\":[1.0,2.0]}\n{\"features\":[3.0,");
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optQueryLog(ServedQueryLog.open(logDir, 3))
                .addModel(ServedSavedModel.load("m", dense))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            Http.Reply r = http.post(
                    "/v2/models/m/infer",
                    InferenceV2Test.fp32Request(new long[] {3, 2}, new float[] {5, 6, 7, 8, 9, 10}));
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        }
        // The torn line is gone; one row was there, so 2 of the 3 new rows fill the cap of 3.
        assertThat(Files.readString(file))
                .isEqualTo("{\"features\":[1.0,2.0]}\n{\"features\":[5.0,6.0]}\n{\"features\":[7.0,8.0]}\n");
    }

    @Test
    void aFileWhereTheLogShouldBeIsAnErrorThatNamesIt(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("taken"), "x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServedQueryLog.open(file, 10))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("not a directory");
        assertThat(ServedQueryLog.safe("addr:[::1]:80")).isEqualTo("addr____1__80");
        assertThat(ServedQueryLog.safe("..")).isEqualTo("__");
        assertThat(ServedQueryLog.safe(".")).isEqualTo("_");
    }
}
