package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.model.SavedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol v2 over real HTTP (Jetty on an ephemeral port, the JDK client):
 * served outputs equal direct calls, metadata and health follow the spec, and every refusal names
 * the field at fault.
 */
class InferenceV2Test {

    static final int MAX_BATCH = 16;

    @TempDir
    static Path tmp;

    static Path denseDir;
    static Path gridDir;
    static Path textDir;
    static ModelServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        denseDir = TestModels.dense(tmp.resolve("dense"), new long[] {6}, TestModels.DENSE_CLASSES, 1);
        gridDir = TestModels.dense(tmp.resolve("grid"), new long[] {2, 3}, List.of("a", "b"), 2);
        textDir = TestModels.text(tmp.resolve("text"), 3);
        server = ModelServer.builder()
                .optPort(0)
                .optMaxBatchRows(MAX_BATCH)
                .optMaxRequestBytes(64 * 1024)
                .addModel(ServedSavedModel.load("dense", denseDir))
                .addModel(ServedSavedModel.load("grid", gridDir))
                .addModel(ServedSavedModel.load("text", textDir))
                .build()
                .start();
        http = new Http(server.baseUri());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static ObjectNode fp32Request(long[] shape, float[] data) {
        ObjectNode req = Http.JSON.createObjectNode();
        ObjectNode in = req.putArray("inputs").addObject();
        in.put("name", "input");
        ArrayNode s = in.putArray("shape");
        for (long d : shape) {
            s.add(d);
        }
        in.put("datatype", "FP32");
        ArrayNode a = in.putArray("data");
        for (float v : data) {
            a.add(v);
        }
        return req;
    }

    static float[] floats(JsonNode data) {
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) data.get(i).asDouble();
        }
        return out;
    }

    static String version(Path dir) throws Exception {
        return SavedModel.contentHash(dir).substring(0, ModelServer.VERSION_CHARS);
    }

    // ---- metadata and health ----

    @Test
    void serverMetadataAndHealthFollowTheSpec() throws Exception {
        Http.Reply meta = http.get("/v2");
        assertThat(meta.status()).isEqualTo(200);
        assertThat(meta.body().path("name").asText()).isEqualTo("distill4j");
        assertThat(meta.body().path("version").isTextual()).isTrue();
        assertThat(meta.body().path("extensions").isArray()).isTrue();
        assertThat(http.get("/v2/health/live").body()).isEqualTo(Http.JSON.readTree("{\"live\": true}"));
        Http.Reply ready = http.get("/v2/health/ready");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body().path("ready").asBoolean()).isTrue();
        Http.Reply modelReady = http.get("/v2/models/dense/ready");
        assertThat(modelReady.status()).isEqualTo(200);
        assertThat(modelReady.body().path("ready").asBoolean()).isTrue();
    }

    @Test
    void modelMetadataGivesInputsWithBatchDimensionOutputsAndVersion() throws Exception {
        Http.Reply r = http.get("/v2/models/grid");
        assertThat(r.status()).isEqualTo(200);
        JsonNode m = r.body();
        assertThat(m.path("name").asText()).isEqualTo("grid");
        assertThat(m.path("versions"))
                .containsExactly(Http.JSON.getNodeFactory().textNode(version(gridDir)));
        assertThat(m.path("platform").asText()).isEqualTo("distill4j");
        assertThat(m.path("inputs").toString())
                .isEqualTo("[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,2,3]}]");
        assertThat(m.path("outputs").toString())
                .isEqualTo("[{\"name\":\"logits\",\"datatype\":\"FP32\",\"shape\":[-1,2]},"
                        + "{\"name\":\"probabilities\",\"datatype\":\"FP32\",\"shape\":[-1,2]}]");
        assertThat(m.path("class_names").toString()).isEqualTo("[\"a\",\"b\"]");
        assertThat(m.at("/parameters/content_hash").asText()).isEqualTo(SavedModel.contentHash(gridDir));

        JsonNode text = http.get("/v2/models/text").body();
        assertThat(text.path("inputs").toString())
                .isEqualTo("[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[-1]}]");
        assertThat(text.at("/outputs/0/shape").toString()).isEqualTo("[-1,5]");
        // The versioned path answers the same metadata.
        assertThat(http.get("/v2/models/grid/versions/" + version(gridDir)).body())
                .isEqualTo(m);
    }

    // ---- inference equals the model called directly ----

    @Test
    void servedLogitsEqualDirectLogitsBitForBit() throws Exception {
        int rows = 5;
        float[] x = TestModels.rows(rows, 6, 11);
        Http.Reply r = http.post(
                "/v2/models/dense/infer", fp32Request(new long[] {rows, 6}, x).put("id", "req-7"));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(r.body().path("id").asText()).isEqualTo("req-7");
        assertThat(r.body().path("model_name").asText()).isEqualTo("dense");
        assertThat(r.body().path("model_version").asText()).isEqualTo(version(denseDir));
        // No outputs named: every output, as the protocol says (logits, then probabilities).
        JsonNode out = r.body().path("outputs");
        assertThat(out).hasSize(2);
        assertThat(out.at("/0/name").asText()).isEqualTo("logits");
        assertThat(out.at("/0/datatype").asText()).isEqualTo("FP32");
        assertThat(out.at("/0/shape").toString()).isEqualTo("[5,3]");
        float[] direct = TestModels.directLogits(denseDir, x, rows);
        assertThat(floats(out.at("/0/data"))).containsExactly(direct);
        assertThat(out.at("/1/name").asText()).isEqualTo("probabilities");
        assertThat(out.at("/1/shape").toString()).isEqualTo("[5,3]");
        assertThat(floats(out.at("/1/data"))).containsExactly(Tensors.softmax(direct, 3));
    }

    @Test
    void probabilitiesAreTheSoftmaxOfTheLogitsWhenRequested() throws Exception {
        float[] x = TestModels.rows(3, 6, 12);
        ObjectNode req = fp32Request(new long[] {3, 6}, x);
        req.putArray("outputs")
                .add(Http.JSON.createObjectNode().put("name", "probabilities"))
                .add(Http.JSON.createObjectNode().put("name", "logits"));
        Http.Reply r = http.post("/v2/models/dense/infer", req);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(r.body().at("/outputs/0/name").asText()).isEqualTo("probabilities");
        assertThat(r.body().at("/outputs/1/name").asText()).isEqualTo("logits");
        float[] p = floats(r.body().at("/outputs/0/data"));
        float[] direct = TestModels.directLogits(denseDir, x, 3);
        for (int row = 0; row < 3; row++) {
            double sum = 0;
            double max = Math.max(direct[row * 3], Math.max(direct[row * 3 + 1], direct[row * 3 + 2]));
            double z = 0;
            for (int c = 0; c < 3; c++) {
                z += Math.exp(direct[row * 3 + c] - max);
            }
            for (int c = 0; c < 3; c++) {
                assertThat((double) p[row * 3 + c])
                        .isCloseTo(Math.exp(direct[row * 3 + c] - max) / z, org.assertj.core.data.Offset.offset(1e-6));
                sum += p[row * 3 + c];
            }
            assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void nestedDataIsAcceptedForMultiDimensionalInputs() throws Exception {
        float[] x = TestModels.rows(2, 6, 13);
        String nested = "{\"inputs\": [{\"name\": \"input\", \"shape\": [2, 2, 3], \"datatype\": \"FP32\", \"data\": "
                + "[[[" + x[0] + "," + x[1] + "," + x[2] + "],[" + x[3] + "," + x[4] + "," + x[5] + "]],"
                + "[[" + x[6] + "," + x[7] + "," + x[8] + "],[" + x[9] + "," + x[10] + "," + x[11] + "]]]}]}";
        Http.Reply r = http.post("/v2/models/grid/infer", nested);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(floats(r.body().at("/outputs/0/data"))).containsExactly(TestModels.directLogits(gridDir, x, 2));
    }

    @Test
    void textInputIsFeaturisedWithTheModelsOwnTextFeatures() throws Exception {
        List<String> texts = List.of("the movie was great, great fun", "buy cheap pills now!!!", "");
        ObjectNode req = Http.JSON.createObjectNode();
        ObjectNode in = req.putArray("inputs").addObject();
        in.put("name", "text").put("datatype", "BYTES").putArray("shape").add(3);
        texts.forEach(in.putArray("data")::add);
        Http.Reply r = http.post("/v2/models/text/infer", req);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        int f = TestModels.TEXT.maxFeatures();
        float[] x = new float[3 * f];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(TestModels.TEXT.featurize(texts.get(i)), 0, x, i * f, f);
        }
        float[] served = floats(r.body().at("/outputs/0/data"));
        assertThat(served).hasSize(15).containsExactly(TestModels.directLogits(textDir, x, 3));
        // Different texts give different logits: the text reached the model.
        assertThat(served[0]).isNotEqualTo(served[5]);
    }

    @Test
    void versionedInferAnswersForTheServedVersionOnly() throws Exception {
        float[] x = TestModels.rows(1, 6, 14);
        Http.Reply ok = http.post(
                "/v2/models/dense/versions/" + version(denseDir) + "/infer", fp32Request(new long[] {1, 6}, x));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(floats(ok.body().at("/outputs/0/data"))).containsExactly(TestModels.directLogits(denseDir, x, 1));
        Http.Reply wrong = http.post("/v2/models/dense/versions/0123456789ab/infer", fp32Request(new long[] {1, 6}, x));
        assertThat(wrong.status()).isEqualTo(404);
        assertThat(wrong.error()).contains("no version '0123456789ab'", version(denseDir));
    }

    // ---- refusals ----

    void assertBadRequest(String model, String body, String... fragments) throws Exception {
        Http.Reply r = http.post("/v2/models/" + model + "/infer", body);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(400);
        assertThat(r.body().path("error").isTextual()).as(r.body().toString()).isTrue();
        assertThat(r.error()).contains(fragments);
    }

    @Test
    void hugeOrFractionalShapesAreEchoedAsSentNotWrapped() throws Exception {
        String huge = "1000000000000000000000000000000";
        assertBadRequest(
                "dense",
                "{\"inputs\":[{\"name\":\"input\",\"shape\":[" + huge
                        + ",6],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6]}]}",
                "inputs[0].shape[0]: " + huge + " is not a non-negative integer within 64 bits");
        assertBadRequest(
                "dense",
                "{\"inputs\":[{\"name\":\"input\",\"shape\":[1e30,6],\"datatype\":\"FP32\","
                        + "\"data\":[1,2,3,4,5,6]}]}",
                "inputs[0].shape[0]: 1.0E30 is not a non-negative integer");
    }

    @Test
    void wrongDatatypeNamesTheFieldAndTheExpectedType() throws Exception {
        assertBadRequest(
                "dense",
                "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,6],\"datatype\":\"INT64\",\"data\":[1,2,3,4,5,6]}]}",
                "inputs[0].datatype",
                "INT64",
                "FP32 [B, 6]");
        assertBadRequest(
                "text",
                "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}",
                "inputs[0].datatype",
                "BYTES");
    }

    @Test
    void wrongFeatureShapeNamesTheShapeExpected() throws Exception {
        assertBadRequest(
                "dense",
                fp32Request(new long[] {2, 5}, new float[10]).toString(),
                "inputs[0].shape",
                "[2, 5]",
                "FP32 [B, 6]");
        assertBadRequest(
                "grid",
                fp32Request(new long[] {1, 6}, new float[6]).toString(),
                "inputs[0].shape",
                "[1, 6]",
                "[B, 2, 3]");
    }

    @Test
    void dataLengthThatDisagreesWithTheShapeIsRefused() throws Exception {
        assertBadRequest(
                "dense",
                fp32Request(new long[] {2, 6}, new float[11]).toString(),
                "inputs[0].data",
                "11 values",
                "[2, 6] needs 12");
        assertBadRequest(
                "text",
                "{\"inputs\":[{\"name\":\"text\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"x\"]}]}",
                "inputs[0].data",
                "1 strings",
                "needs 2");
    }

    @Test
    void nonFiniteAndNonNumericValuesAreRefusedWithTheirIndex() throws Exception {
        assertBadRequest(
                "dense",
                "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,6],\"datatype\":\"FP32\",\"data\":[0,0,0,NaN,0,0]}]}",
                "inputs[0].data[3]",
                "NaN",
                "finite");
        assertBadRequest(
                "dense",
                "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,6],\"datatype\":\"FP32\",\"data\":[0,1e39,0,0,0,0]}]}",
                "inputs[0].data[1]",
                "outside the FP32 range");
        assertBadRequest(
                "dense",
                "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,6],\"datatype\":\"FP32\",\"data\":[0,0,\"x\",0,0,0]}]}",
                "inputs[0].data[2]",
                "not a number");
    }

    @Test
    void tooManyRowsNamesTheLimit() throws Exception {
        int rows = MAX_BATCH + 1;
        assertBadRequest(
                "dense",
                fp32Request(new long[] {rows, 6}, new float[rows * 6]).toString(),
                "inputs[0].shape[0]",
                rows + " rows",
                "[1, " + MAX_BATCH + "]");
    }

    @Test
    void malformedRequestsNameWhatIsMissing() throws Exception {
        assertBadRequest("dense", "{\"inputs\": [", "not valid JSON", "line 1");
        assertBadRequest("dense", "[1, 2]", "JSON object");
        assertBadRequest("dense", "{}", "inputs", "exactly one tensor");
        assertBadRequest(
                "dense",
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,6],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6]}]}",
                "inputs[0].name",
                "\"x\"",
                "\"input\"");
        assertBadRequest(
                "dense",
                fp32Request(new long[] {1, 6}, new float[6]).put("id", 5).toString(),
                "id",
                "string");
        ObjectNode badOutput = fp32Request(new long[] {1, 6}, new float[6]);
        badOutput.putArray("outputs").addObject().put("name", "embeddings");
        assertBadRequest("dense", badOutput.toString(), "outputs[0].name", "embeddings", "probabilities");
    }

    @Test
    void unknownModelIs404AndNamesTheServedModels() throws Exception {
        Http.Reply r = http.post("/v2/models/nope/infer", fp32Request(new long[] {1, 6}, new float[6]));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.error()).contains("unknown model 'nope'", "dense", "grid", "text");
        assertThat(http.get("/v2/models/nope").status()).isEqualTo(404);
        assertThat(http.get("/v3/anything").status()).isEqualTo(404);
    }

    @Test
    void wrongMethodIs405WithAllowAndWrongContentTypeIs415() throws Exception {
        Http.Reply get = http.get("/v2/models/dense/infer");
        assertThat(get.status()).isEqualTo(405);
        assertThat(get.raw().headers().firstValue("Allow")).hasValue("POST");
        Http.Reply post = http.post("/v2/health/ready", "{}");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.raw().headers().firstValue("Allow")).hasValue("GET");
        Http.Reply form =
                http.post("/v2/models/dense/infer", "a=b", "Content-Type", "application/x-www-form-urlencoded");
        assertThat(form.status()).isEqualTo(415);
        assertThat(form.error()).contains("application/x-www-form-urlencoded", "application/json");
    }

    @Test
    void bodiesOverTheLimitAre413() throws Exception {
        int rows = MAX_BATCH;
        // 16 rows of 6 long numbers stay small; pad with a long id to pass 64 KiB.
        ObjectNode req = fp32Request(new long[] {rows, 6}, new float[rows * 6]).put("id", "x".repeat(70_000));
        Http.Reply r = http.post("/v2/models/dense/infer", req);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).contains("65536 bytes");
        // Without Content-Length (chunked), the limit applies while reading.
        byte[] big = req.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Http.Reply chunked = http.send(http.request("/v2/models/dense/infer")
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big)))
                .build());
        assertThat(chunked.status()).isEqualTo(413);
        assertThat(chunked.error()).contains("65536 bytes");
        // The server still answers afterwards.
        assertThat(http.get("/v2/health/live").status()).isEqualTo(200);
    }

    @Test
    void aBodyOverTheLimitIsAnswered413EveryTimeNotWithAResetConnection() throws Exception {
        // The server drains the rest of the body before its 413: answering and closing while the
        // client still sends made Java's HttpClient fail now and then ("header parser received no
        // bytes") instead of reading the 413. Bodies of 70 KB to 1 MB, declared and chunked.
        for (int i = 0; i < 40; i++) {
            int pad = 70_000 + i * 25_000;
            ObjectNode req = fp32Request(new long[] {1, 6}, new float[6]).put("id", "x".repeat(pad));
            Http.Reply r = http.post("/v2/models/dense/infer", req);
            assertThat(r.status()).as("declared body of %d bytes", pad).isEqualTo(413);
        }
        assertThat(http.get("/v2/health/live").status()).isEqualTo(200);
    }

    @Test
    void responsesAreJson() throws Exception {
        Http.Reply r = http.get("/v2/models/dense");
        assertThat(r.raw().headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(r.raw().headers().firstValue("Server")).isEmpty();
    }
}
