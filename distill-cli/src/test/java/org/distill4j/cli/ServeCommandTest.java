package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.DataType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill serve}: starts on an ephemeral port, answers, stops; refuses bad input with the documented codes. */
class ServeCommandTest {

    static Path model(Path dir) throws Exception {
        try (SavedModel m = SavedModel.create(new MlpSpec(List.of(4), null, 0), new long[] {6}, List.of("a", "b"))) {
            m.model().getBlock().initialize(m.model().getNDManager(), DataType.FLOAT32, m.inputShape(1));
            m.save(dir);
        }
        return dir;
    }

    /** Saves an untrained byte-level language model (1 layer, width 16) to {@code dir}. */
    static Path tinyLanguageModel(Path dir) throws Exception {
        try (org.distill4j.lm.model.LanguageModel lm = org.distill4j.lm.model.LanguageModel.create(
                new org.distill4j.lm.model.DecoderConfig(
                        258, 1, 16, 2, 32, 0.0, org.distill4j.lm.model.Positions.LEARNED, false),
                org.distill4j.lm.token.ByteTokenizer.INSTANCE,
                5)) {
            lm.save(dir);
        }
        return dir;
    }

    @Test
    void servesOnAnEphemeralPortAnswersHealthAndStopsOnInterrupt(@TempDir Path tmp) throws Exception {
        Path dir = model(tmp.resolve("my model"));
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicInteger code = new AtomicInteger(-1);
        Thread serve;
        synchronized (CliTest.class) {
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                serve = new Thread(() -> code.set(DistillCommand.execute("serve", dir.toString(), "--port", "0")));
                serve.start();
                Pattern url = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+)");
                Matcher m = url.matcher("");
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!(m = url.matcher(out.toString(StandardCharsets.UTF_8))).find()) {
                    assertThat(System.nanoTime())
                            .as("no URL printed; stderr: %s", err)
                            .isLessThan(deadline);
                    assertThat(serve.isAlive())
                            .as("serve exited early; stderr: %s", err)
                            .isTrue();
                    Thread.sleep(50);
                }
                URI base = URI.create(m.group(1));
                HttpClient client = HttpClient.newHttpClient();
                HttpResponse<String> ready = client.send(
                        HttpRequest.newBuilder(base.resolve("/v2/health/ready"))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(ready.body()).contains("\"ready\":true");
                // The name is the directory name made URL-safe.
                HttpResponse<String> meta = client.send(
                        HttpRequest.newBuilder(base.resolve("/v2/models/my_model"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(meta.statusCode()).as(meta.body()).isEqualTo(200);
                assertThat(out.toString(StandardCharsets.UTF_8))
                        .contains("/v2/models/my_model/infer", "/v2/health/ready", "up to 64 rows");

                serve.interrupt();
                serve.join(30_000);
                assertThat(serve.isAlive()).isFalse();
                assertThat(code.get()).isZero();
                assertThat(err.toString(StandardCharsets.UTF_8)).contains("server stopped");
                // Nothing listens any more.
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.send(
                                HttpRequest.newBuilder(base.resolve("/v2/health/live"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString()))
                        .isInstanceOf(java.io.IOException.class);
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
        }
    }

    @Test
    void aLanguageModelDirectoryIsServedOnCompletions(@TempDir Path tmp) throws Exception {
        Path dir = tinyLanguageModel(tmp.resolve("tiny-lm"));
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicInteger code = new AtomicInteger(-1);
        synchronized (CliTest.class) {
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                Thread serve =
                        new Thread(() -> code.set(DistillCommand.execute("serve", dir.toString(), "--port", "0")));
                serve.start();
                Pattern url = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+)");
                Matcher m;
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!(m = url.matcher(out.toString(StandardCharsets.UTF_8))).find()) {
                    assertThat(System.nanoTime())
                            .as("no URL printed; stderr: %s", err)
                            .isLessThan(deadline);
                    assertThat(serve.isAlive())
                            .as("serve exited early; stderr: %s", err)
                            .isTrue();
                    Thread.sleep(50);
                }
                URI base = URI.create(m.group(1));
                assertThat(out.toString(StandardCharsets.UTF_8)).contains("/v1/completions", "language model");
                // --lm-engine auto by default: the banner says how generations are split and why
                assertThat(out.toString(StandardCharsets.UTF_8))
                        .containsPattern("generation: up to 64 at once; up to \\d+ on the plain-Java decoder .*"
                                + "--lm-engine auto: a token costs [0-9.]+ ms on the JVM, a DJL step [0-9.]+ ms");
                HttpResponse<String> r = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(base.resolve("/v1/completions"))
                                        .header("Content-Type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString(
                                                "{\"model\": \"tiny-lm\", \"prompt\": \"ab\", "
                                                        + "\"max_tokens\": 0, \"echo\": true, \"logprobs\": 2}"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.body()).contains("\"token_logprobs\":[null,", "\"prompt_tokens\":3");
                serve.interrupt();
                serve.join(30_000);
                assertThat(serve.isAlive()).isFalse();
                assertThat(code.get()).isZero();
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
        }
    }

    @Test
    void aPortInUseExitsTwoNamingThePort(@TempDir Path tmp) throws Exception {
        Path dir = model(tmp.resolve("m"));
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            CliTest.Run r = CliTest.distill("serve", dir.toString(), "--port", Integer.toString(port));
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("127.0.0.1:" + port, "in use");
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void queryRecordingOptionsAreCheckedBeforeServing(@TempDir Path tmp) throws Exception {
        Path dir = model(tmp.resolve("m"));
        CliTest.Run r = CliTest.distill("serve", dir.toString(), "--port", "0", "--record-queries-max-rows", "50");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--record-queries-max-rows 50 has no effect without --record-queries DIR");
        r = CliTest.distill(
                "serve",
                dir.toString(),
                "--port",
                "0",
                "--record-queries",
                tmp.resolve("log").toString(),
                "--record-queries-max-rows",
                "0");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--record-queries-max-rows 0: must be at least 1");
        Path taken = java.nio.file.Files.writeString(tmp.resolve("taken"), "x");
        r = CliTest.distill("serve", dir.toString(), "--port", "0", "--record-queries", taken.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--record-queries " + taken, "not a directory");
        Path lm = tinyLanguageModel(tmp.resolve("lm"));
        r = CliTest.distill(
                "serve",
                lm.toString(),
                "--port",
                "0",
                "--record-queries",
                tmp.resolve("log").toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--record-queries records the inputs of classifiers");
    }

    @Test
    void missingOrInvalidModelsExitWithTheDocumentedCodes(@TempDir Path tmp) throws Exception {
        Path missing = tmp.resolve("nope");
        CliTest.Run r = CliTest.distill("serve", missing.toString(), "--port", "0");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).contains(missing.toString(), "not found");

        Path empty = java.nio.file.Files.createDirectories(tmp.resolve("empty"));
        CliTest.Run notModel = CliTest.distill("serve", empty.toString(), "--port", "0");
        assertThat(notModel.code()).isEqualTo(3);
        assertThat(notModel.err()).contains("model.json");

        Path pt = java.nio.file.Files.writeString(tmp.resolve("x.pt"), "not torchscript");
        CliTest.Run noShape = CliTest.distill("serve", pt.toString(), "--port", "0");
        assertThat(noShape.code()).isEqualTo(2);
        assertThat(noShape.err()).contains("--input-shape");
        CliTest.Run junk = CliTest.distill("serve", pt.toString(), "--input-shape", "16", "--port", "0");
        assertThat(junk.code()).isEqualTo(3);
        assertThat(junk.err()).contains(pt.toString());

        CliTest.Run badBatch = CliTest.distill("serve", model(tmp.resolve("m")).toString(), "--max-batch", "0");
        assertThat(badBatch.code()).isEqualTo(2);
        assertThat(badBatch.err()).contains("max batch rows: 0");

        CliTest.Run badEngine = CliTest.distill("serve", tmp.resolve("m").toString(), "--lm-engine", "fast");
        assertThat(badEngine.code()).isEqualTo(2);
        assertThat(badEngine.err()).contains("'fast' is not an engine; expected jvm, djl or auto");

        CliTest.Run badRate = CliTest.distill("serve", tmp.resolve("m").toString(), "--min-request-rate", "-5");
        assertThat(badRate.code()).isEqualTo(2);
        assertThat(badRate.err()).contains("min request data rate: -5");
        CliTest.Run badTimeout = CliTest.distill("serve", tmp.resolve("m").toString(), "--body-timeout-s", "0");
        assertThat(badTimeout.code()).isEqualTo(2);
        assertThat(badTimeout.err()).contains("request body timeout: 0 ms");

        CliTest.Run noKey = CliTest.distill(
                "serve", tmp.resolve("m").toString(), "--api-key-env", "DISTILL4J_TEST_SURELY_UNSET_VAR");
        assertThat(noKey.code()).isEqualTo(2);
        assertThat(noKey.err()).contains("DISTILL4J_TEST_SURELY_UNSET_VAR", "not set");

        CliTest.Run badBudget = CliTest.distill(
                "serve", tmp.resolve("m").toString(), "--monitor", "log", "--monitor-budget", "-1", "--port", "0");
        assertThat(badBudget.code()).isEqualTo(2);
        assertThat(badBudget.err()).contains("--monitor-budget -1", ">= 0");
    }

    @Test
    void aTorchScriptFileWithTheWrongClassCountExitsThree() throws Exception {
        Path pt = Path.of("..", "distill-core", "src", "test", "resources", "fixtures", "tiny_teacher.pt");
        CliTest.Run wrong =
                CliTest.distill("serve", pt.toString(), "--input-shape", "16", "--classes", "3", "--port", "0");
        assertThat(wrong.code()).isEqualTo(3);
        assertThat(wrong.err()).contains("returns 4 logits per row");
    }

    @Test
    void watermarkAndMonitorAreWiredInAndTheKeyIsNeverShown(@TempDir Path tmp) throws Exception {
        Path dir = model(tmp.resolve("m"));
        Path keyFile = tmp.resolve("wm.key");
        org.distill4j.guard.WatermarkKey key = org.distill4j.guard.WatermarkKey.generate(1.0, 0.005);
        key.save(keyFile);
        String secret = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(keyFile.toFile())
                .get("secret")
                .asText();
        CliTest.Run missing = CliTest.distill(
                "serve",
                dir.toString(),
                "--port",
                "0",
                "--watermark-key-file",
                tmp.resolve("nokey").toString());
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.err()).contains("nokey");

        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        synchronized (CliTest.class) {
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                Thread serve = new Thread(() -> DistillCommand.execute(
                        "serve",
                        dir.toString(),
                        "--port",
                        "0",
                        "--watermark-key-file",
                        keyFile.toString(),
                        "--monitor",
                        "SLOW",
                        "--monitor-budget",
                        "3"));
                serve.start();
                Pattern url = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+)");
                Matcher m;
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!(m = url.matcher(out.toString(StandardCharsets.UTF_8))).find()) {
                    assertThat(System.nanoTime())
                            .as("no URL printed; stderr: %s", err)
                            .isLessThan(deadline);
                    Thread.sleep(50);
                }
                URI infer = URI.create(m.group(1)).resolve("/v2/models/m/infer");
                String body = "{\"inputs\":[{\"name\":\"input\",\"shape\":[2,6],\"datatype\":\"FP32\","
                        + "\"data\":[1,2,3,4,5,6,6,5,4,3,2,1]}]}";
                HttpClient client = HttpClient.newHttpClient();
                int[] codes = new int[3];
                StringBuilder replies = new StringBuilder();
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> r = client.send(
                            HttpRequest.newBuilder(infer)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    codes[i] = r.statusCode();
                    replies.append(r.body()).append(r.headers());
                }
                // 2 rows, then 4 > budget 3: flagged, and slowed to one request per second.
                assertThat(codes).containsExactly(200, 200, 429);
                serve.interrupt();
                serve.join(30_000);
                String all = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8) + replies;
                assertThat(all)
                        .contains(
                                "watermarking outputs with key " + key.fingerprint(),
                                "extraction monitor on, policy slow",
                                "flagged after 4 items");
                assertThat(all).doesNotContain(secret).doesNotContain(secret.substring(0, 16));
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
        }
    }
}
