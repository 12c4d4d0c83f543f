package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import org.distill4j.guard.ExtractionMonitor;
import org.distill4j.guard.Watermark;
import org.distill4j.guard.WatermarkDetector;
import org.distill4j.guard.WatermarkKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard in a real server: watermarked outputs over HTTP, and the monitor's policies. */
class ServingGuardTest {

    static final byte[] SECRET =
            HexFormat.of().parseHex("8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");

    @TempDir
    static Path tmp;

    static float[] floats(JsonNode data) {
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.get(i).floatValue();
        }
        return out;
    }

    @Test
    void servedOutputsAreWatermarkedKeepTheirTopOneAndNeverShowTheKey() throws Exception {
        Path dir = TestModels.dense(tmp.resolve("wm"), new long[] {6}, TestModels.DENSE_CLASSES, 3);
        int rows = 1000;
        float[] x = TestModels.rows(rows, 6, 21);
        // A grouped key: one component per class.
        float[] clean = TestModels.directLogits(dir, x, rows);
        WatermarkKey key = WatermarkKey.grouped(SECRET, x, 6, 3, 0.005);
        Watermark watermark = new Watermark(key, 6, 3);
        ServingGuard guard = new ServingGuard(watermark, null, Duration.ofSeconds(1), Clock.systemUTC());
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optRequestObserver(guard)
                .optOutputFilter(guard)
                .addModel(ServedSavedModel.load("dense", dir))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            // 50 rows per request (the server's max batch is 64).
            float[] served = new float[rows * 3];
            float[] probs = new float[rows * 3];
            StringBuilder bodies = new StringBuilder();
            for (int from = 0; from < rows; from += 50) {
                float[] chunk = java.util.Arrays.copyOfRange(x, from * 6, (from + 50) * 6);
                Http.Reply r =
                        http.post("/v2/models/dense/infer", InferenceV2Test.fp32Request(new long[] {50, 6}, chunk));
                assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
                System.arraycopy(floats(r.body().at("/outputs/0/data")), 0, served, from * 3, 150);
                System.arraycopy(floats(r.body().at("/outputs/1/data")), 0, probs, from * 3, 150);
                bodies.append(r.raw().body()).append(r.raw().headers());
            }
            float[] cleanP = Tensors.softmax(clean, 3);
            int same = 0;
            double maxKl = 0;
            double maxDiff = 0;
            for (int i = 0; i < rows; i++) {
                int a = 0;
                int b = 0;
                double kl = 0;
                for (int c = 1; c < 3; c++) {
                    a = clean[i * 3 + c] > clean[i * 3 + a] ? c : a;
                    b = served[i * 3 + c] > served[i * 3 + b] ? c : b;
                }
                for (int c = 0; c < 3; c++) {
                    kl += cleanP[i * 3 + c] * Math.log(cleanP[i * 3 + c] / probs[i * 3 + c]);
                    maxDiff = Math.max(maxDiff, Math.abs(cleanP[i * 3 + c] - probs[i * 3 + c]));
                }
                same += a == b ? 1 : 0;
                maxKl = Math.max(maxKl, kl);
            }
            assertThat(same).isEqualTo(rows);
            assertThat(maxKl).isLessThanOrEqualTo(Math.log(1.01) + 1e-5);
            assertThat(maxDiff).isGreaterThan(1e-3);
            // What the client got carries the key's signal (the clean model as baseline, as its owner
            // would test): its components line up with the key's phases.
            float[] logP = new float[probs.length];
            float[] base = new float[probs.length];
            for (int i = 0; i < probs.length; i++) {
                logP[i] = (float) Math.log(Math.max(probs[i], 1e-30));
                base[i] = (float) Math.log(Math.max(cleanP[i], 1e-30));
            }
            WatermarkDetector.Detection t = WatermarkDetector.test(key, 6, 3, x, logP, base);
            // (This random dense model rarely puts one class on top: that component may have too few rows.)
            System.out.println("served over HTTP: " + t);
            assertThat(t.components()).isBetween(2, 3);
            // Two or three phases, each seen to within a few degrees, cannot give much less than 1e-3
            // (ten classes can: WatermarkTest, docs/audit.md); the clean outputs give p ~ U(0, 1).
            assertThat(t.pValue()).isLessThan(0.01);
            assertThat(t.statistic() / (t.nullSd() * Math.sqrt(2 * t.components())))
                    .isGreaterThan(0.9);
            String body = bodies.toString();
            assertThat(body)
                    .doesNotContain(HexFormat.of().formatHex(SECRET))
                    .doesNotContain(HexFormat.of().formatHex(SECRET).substring(0, 16));
        }
    }

    @Test
    void textOutputsAreWatermarkedOnTheTextsFeaturisedAsTheModelReadsThem() throws Exception {
        Path dir = TestModels.text(tmp.resolve("wm-text"), 4);
        String[] words = {"chess", "library", "editor", "game", "shared", "vim", "the", "for", "runtime", "board"};
        java.util.Random rng = new java.util.Random(8);
        java.util.List<String> texts = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            StringBuilder t = new StringBuilder();
            for (int w = 0; w < 4 + rng.nextInt(6); w++) {
                t.append(words[rng.nextInt(words.length)]).append(' ');
            }
            texts.add(t.toString().trim());
        }
        int f = TestModels.TEXT.maxFeatures();
        int classes = TestModels.TEXT_CLASSES.size();
        float[] x = new float[texts.size() * f];
        for (int i = 0; i < texts.size(); i++) {
            TestModels.TEXT.featurize(texts.get(i), x, i * f);
        }
        WatermarkKey key = WatermarkKey.grouped(SECRET, x, f, classes, 0.01, WatermarkKey.Input.NGRAM_IDS);
        Watermark watermark = new Watermark(key, f, classes);
        ServingGuard guard = new ServingGuard(watermark, null, Duration.ofSeconds(1), Clock.systemUTC());
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optRequestObserver(guard)
                .optOutputFilter(guard)
                .addModel(ServedSavedModel.load("text", dir))
                .build()
                .start()) {
            com.fasterxml.jackson.databind.node.ObjectNode req = Http.JSON.createObjectNode();
            com.fasterxml.jackson.databind.node.ObjectNode in =
                    req.putArray("inputs").addObject();
            in.put("name", "text").put("datatype", "BYTES").putArray("shape").add(texts.size());
            texts.forEach(in.putArray("data")::add);
            Http.Reply r = new Http(server.baseUri()).post("/v2/models/text/infer", req);
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            float[] served = floats(r.body().at("/outputs/0/data"));
            float[] clean = TestModels.directLogits(dir, x, texts.size());
            // Exactly the watermark of the model's own featurisation of each text: the guard saw the
            // n-gram ids, not the raw bytes, and moved the outputs.
            assertThat(served).containsExactly(watermark.logitsBatch(x, clean));
            assertThat(served).isNotEqualTo(clean);
        }
    }

    @Test
    void aFlaggedClientIsSlowedDownOrDegraded() throws Exception {
        Path dir = TestModels.dense(tmp.resolve("mon"), new long[] {6}, TestModels.DENSE_CLASSES, 4);
        // Volume budget of 20 rows: the 21st flags the client.
        ExtractionMonitor.Config slowConfig = new ExtractionMonitor.Config(
                ExtractionMonitor.Policy.SLOW, 0.9, 100, 10, 1000, 20, Duration.ofHours(1), 5000);
        ServingGuard slow =
                new ServingGuard(null, new ExtractionMonitor(slowConfig), Duration.ofHours(1), Clock.systemUTC());
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optApiKey("k1")
                .optRequestObserver(slow)
                .optOutputFilter(slow)
                .addModel(ServedSavedModel.load("dense", dir))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            String[] auth = {"Authorization", "Bearer k1", "Content-Type", "application/json"};
            String req = InferenceV2Test.fp32Request(new long[] {10, 6}, TestModels.rows(10, 6, 1))
                    .toString();
            assertThat(http.post("/v2/models/dense/infer", req, auth).status()).isEqualTo(200);
            assertThat(http.post("/v2/models/dense/infer", req, auth).status()).isEqualTo(200);
            // Flagged now: one request per interval is still served, the next is refused.
            assertThat(http.post("/v2/models/dense/infer", req, auth).status()).isEqualTo(200);
            Http.Reply refused = http.post("/v2/models/dense/infer", req, auth);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.raw().body()).contains("slowed down").doesNotContain("k1\"");
            assertThat(slow.status().values()).singleElement().satisfies(s -> {
                assertThat(s.flagged()).isTrue();
                assertThat(s.client()).startsWith("key:");
                assertThat(s.reason()).startsWith("volume");
            });
        }
        ExtractionMonitor.Config degradeConfig = new ExtractionMonitor.Config(
                ExtractionMonitor.Policy.DEGRADE, 0.9, 100, 10, 1000, 20, Duration.ofHours(1), 5000);
        ServingGuard degrade =
                new ServingGuard(null, new ExtractionMonitor(degradeConfig), Duration.ofSeconds(1), Clock.systemUTC());
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optRequestObserver(degrade)
                .optOutputFilter(degrade)
                .addModel(ServedSavedModel.load("dense", dir))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            float[] x = TestModels.rows(15, 6, 2);
            String req = InferenceV2Test.fp32Request(new long[] {15, 6}, x).toString();
            float[] first =
                    floats(http.post("/v2/models/dense/infer", req).body().at("/outputs/1/data"));
            float[] second =
                    floats(http.post("/v2/models/dense/infer", req).body().at("/outputs/1/data"));
            assertThat(first).containsExactly(Tensors.softmax(TestModels.directLogits(dir, x, 15), 3));
            for (int i = 0; i < 15; i++) {
                float max = Math.max(second[i * 3], Math.max(second[i * 3 + 1], second[i * 3 + 2]));
                assertThat(max).isEqualTo(1f);
                int top = 0;
                for (int c = 1; c < 3; c++) {
                    top = first[i * 3 + c] > first[i * 3 + top] ? c : top;
                }
                assertThat(second[i * 3 + top]).isEqualTo(1f);
            }
        }
    }

    @Test
    void withoutWatermarkOrMonitorTheGuardPassesOutputsThrough() {
        ServingGuard none = new ServingGuard(null, null, Duration.ofSeconds(1), Clock.systemUTC());
        float[] logits = {1, 2, 3, 4, 5, 6};
        ClientRequest r = new ClientRequest("addr:x", "m", "v2.infer", 2);
        none.onRequest(r, new float[] {0, 0});
        assertThat(none.filter(r, new float[] {0, 0}, logits, 3)).containsExactly(logits);
        assertThat(none.status()).isEmpty();
    }
}
