package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The language-model watermark from the command line: {@code distill audit --generate-watermark-key
 * F --lm}, {@code distill serve LM_DIR --watermark-key-file F} (and the key kinds that do not fit),
 * and {@code distill audit --watermark-key-file F --suspect LM_DIR --data TEXTS}.
 */
class LmWatermarkCommandTest {

    @Test
    void generatesServesAndAuditsWithALanguageModelKey(@TempDir Path tmp) throws Exception {
        Path lm = ServeCommandTest.tinyLanguageModel(tmp.resolve("lm"));
        Path key = tmp.resolve("lm.key");
        CliTest.Run gen =
                CliTest.distill("audit", "--generate-watermark-key", key.toString(), "--lm", "--watermark-delta", "2");
        assertThat(gen.code()).as(gen.err()).isZero();
        JsonNode file = new ObjectMapper().readTree(key.toFile());
        String secret = file.get("secret").asText();
        assertThat(file.get("delta").asDouble()).isEqualTo(2.0);
        assertThat(gen.out()).contains("wrote language-model watermark key").doesNotContain(secret);
        assertThat(CliTest.distill("audit", "--generate-watermark-key", key.toString(), "--lm")
                        .err())
                .contains("the file exists");
        Path keepTop = tmp.resolve("keep-top.key");
        CliTest.Run keep = CliTest.distill(
                "audit",
                "--generate-watermark-key",
                keepTop.toString(),
                "--lm",
                "--watermark-delta",
                "0.3",
                "--watermark-keep-top");
        assertThat(keep.code()).as(keep.err()).isZero();
        assertThat(keep.out()).contains("delta 0.3", "keeps the top token");
        assertThat(new ObjectMapper().readTree(keepTop.toFile()).get("keep_top").asBoolean())
                .isTrue();
        assertThat(file.get("keep_top").asBoolean()).isFalse();
        CliTest.Run badGamma = CliTest.distill(
                "audit", "--generate-watermark-key", tmp.resolve("k2").toString(), "--lm", "--watermark-gamma", "1");
        assertThat(badGamma.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badGamma.err()).contains("gamma");

        // A classifier with a language-model key, and a language model with a classifier key.
        Path classifier = ServeCommandTest.model(tmp.resolve("classifier"));
        CliTest.Run wrong =
                CliTest.distill("serve", classifier.toString(), "--port", "0", "--watermark-key-file", key.toString());
        assertThat(wrong.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(wrong.err()).contains("is a key for language models", "is a classifier");
        CliTest.dataset(tmp.resolve("data"));
        Path imageKey = tmp.resolve("image.key");
        assertThat(CliTest.distill(
                                "audit",
                                "--generate-watermark-key",
                                imageKey.toString(),
                                "--data",
                                tmp.resolve("data").toString())
                        .code())
                .isZero();
        wrong = CliTest.distill("serve", lm.toString(), "--port", "0", "--watermark-key-file", imageKey.toString());
        assertThat(wrong.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(wrong.err()).contains("is a key for classifiers", "is a language model", "--lm");

        StringBuilder texts = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            texts.append("{\"text\": \"the cat sat on the mat number ")
                    .append(i)
                    .append(", a dog ate the bone\"}\n");
        }
        Path probes = Files.writeString(tmp.resolve("probes.jsonl"), texts.toString());
        // The classifier watermark's design option has no meaning for a language-model key.
        CliTest.Run design = CliTest.distill(
                "audit",
                "--watermark-key-file",
                key.toString(),
                "--suspect",
                lm.toString(),
                "--data",
                probes.toString(),
                "--watermark-regressors",
                "full",
                "--out",
                tmp.resolve("audit-design").toString());
        assertThat(design.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(design.err()).contains("--watermark-regressors", "language-model key");
        Path otherKey = tmp.resolve("other.key");
        assertThat(CliTest.distill("audit", "--generate-watermark-key", otherKey.toString(), "--lm")
                        .code())
                .isZero();
        CliTest.Run apiFound;
        CliTest.Run apiOther;

        // Served: the banner names the key by its fingerprint, scoring works, the key is never shown.
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String reply;
        synchronized (CliTest.class) {
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                Thread serve = new Thread(() -> DistillCommand.execute(
                        "serve", lm.toString(), "--name", "lm", "--port", "0", "--watermark-key-file", key.toString()));
                serve.start();
                Pattern url = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+)");
                Matcher m;
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!(m = url.matcher(out.toString(StandardCharsets.UTF_8))).find()) {
                    assertThat(System.nanoTime()).as("no URL; stderr: %s", err).isLessThan(deadline);
                    assertThat(serve.isAlive())
                            .as("serve exited; stderr: %s", err)
                            .isTrue();
                    Thread.sleep(50);
                }
                HttpResponse<String> r = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create(m.group(1) + "/v1/completions"))
                                        .header("Content-Type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"lm\", \"prompt\": "
                                                + "\"the cat\", \"max_tokens\": 0, \"echo\": true, \"logprobs\": 3}"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                reply = r.body();
                // The audit of the served API itself, against the clean model as the baseline.
                String suspectUrl = m.group(1) + "/v1/models/lm";
                apiFound = CliTest.distill(
                        "audit",
                        "--watermark-key-file",
                        key.toString(),
                        "--suspect",
                        suspectUrl,
                        "--teacher",
                        lm.toString(),
                        "--data",
                        probes.toString(),
                        "--queries",
                        "1000",
                        "--alpha",
                        "1e-6",
                        "--out",
                        tmp.resolve("audit-api").toString());
                apiOther = CliTest.distill(
                        "audit",
                        "--watermark-key-file",
                        otherKey.toString(),
                        "--suspect",
                        suspectUrl,
                        "--teacher",
                        lm.toString(),
                        "--data",
                        probes.toString(),
                        "--queries",
                        "1000",
                        "--alpha",
                        "1e-4",
                        "--out",
                        tmp.resolve("audit-api-other").toString());
                serve.interrupt();
                serve.join(30_000);
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
        }
        // What was served carries the key: each prompt token's log-probability is the watermarked
        // model's, not the clean one's.
        org.distill4j.guard.TokenWatermark k = org.distill4j.guard.TokenWatermark.load(key);
        int[] ids = {256, 't', 'h', 'e', ' ', 'c', 'a', 't'};
        float[] logits;
        try (org.distill4j.lm.model.LanguageModel model = org.distill4j.lm.model.LanguageModel.load(lm);
                ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            logits = model.logits(m.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length)))
                    .toFloatArray();
        }
        float[] served = k.apply(org.distill4j.guard.TokenWatermark.contexts(ids), logits.clone(), 258);
        JsonNode tokenLogprobs = new ObjectMapper().readTree(reply).at("/choices/0/logprobs/token_logprobs");
        int moved = 0;
        for (int i = 1; i < ids.length; i++) {
            double got = tokenLogprobs.get(i).asDouble();
            assertThat(got).as("position %d", i).isCloseTo(logSoftmax(served, i - 1, ids[i]), within(1e-4));
            moved += Math.abs(got - logSoftmax(logits, i - 1, ids[i])) > 0.1 ? 1 : 0;
        }
        assertThat(moved).as("positions the watermark moved").isPositive();

        String fingerprint = k.fingerprint();
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("watermarking next-token distributions with key " + fingerprint, "delta 2.0");
        assertThat(out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8) + reply)
                .doesNotContain(secret);

        // Over the API (top-20 log-probabilities, no prediction after a window's last token): the served
        // key shows, another key does not.
        assertThat(apiFound.code()).as(apiFound.err()).isZero();
        assertThat(apiFound.out())
                .contains("WATERMARKED", "against the clean baseline", "requests to the suspect's API");
        JsonNode api = new ObjectMapper()
                .readTree(tmp.resolve("audit-api/watermark.json").toFile());
        assertThat(api.get("log10_p_value").asDouble()).isLessThan(-6);
        assertThat(api.get("positions").asInt()).isEqualTo(1000);
        assertThat(api.get("queries").asInt()).isBetween(15, 60);
        assertThat(apiOther.code()).as(apiOther.err()).isZero();
        assertThat(apiOther.out()).contains("NOT SHOWN");
        // An API suspect needs the clean model: its tokens and the baseline.
        CliTest.Run noBaseline = CliTest.distill(
                "audit",
                "--watermark-key-file",
                key.toString(),
                "--suspect",
                "http://127.0.0.1:9/v1/models/lm",
                "--data",
                probes.toString(),
                "--out",
                tmp.resolve("audit-nb").toString());
        assertThat(noBaseline.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(noBaseline.err()).contains("needs --teacher LM_DIR");

        // The audit of a model that never saw watermarked outputs: not shown (p is uniform; alpha 1e-4).
        Path audit = tmp.resolve("audit");
        CliTest.Run a = CliTest.distill(
                "audit",
                "--watermark-key-file",
                key.toString(),
                "--suspect",
                lm.toString(),
                "--data",
                probes.toString(),
                "--queries",
                "2000",
                "--alpha",
                "1e-4",
                "--out",
                audit.toString());
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).contains("NOT SHOWN", "distinct (context, predicted token) pairs green", "2000 positions");
        JsonNode result =
                new ObjectMapper().readTree(audit.resolve("watermark.json").toFile());
        assertThat(result.at("/argmax/pairs").asInt()).isPositive();
        assertThat(result.has("residual")).as("no baseline, no residual test").isFalse();
        assertThat(result.get("p_value").asDouble()).isBetween(1e-4, 1.0);
        assertThat(Files.readString(audit.resolve("watermark.json"))).doesNotContain(secret);

        // With the clean model as the baseline the residual test decides; the suspect here is that
        // very model, so every residual is 0 and nothing is shown.
        Path residual = tmp.resolve("audit-residual");
        CliTest.Run b = CliTest.distill(
                "audit",
                "--watermark-key-file",
                key.toString(),
                "--suspect",
                lm.toString(),
                "--teacher",
                lm.toString(),
                "--data",
                probes.toString(),
                "--queries",
                "2000",
                "--out",
                residual.toString());
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.out()).contains("NOT SHOWN", "against the clean baseline", "residual test:", "also, argmax test:");
        JsonNode both =
                new ObjectMapper().readTree(residual.resolve("watermark.json").toFile());
        assertThat(both.at("/residual/cells").asInt()).isPositive();
        assertThat(both.at("/residual/z").asDouble()).isZero();
        assertThat(both.get("p_value").asDouble()).isEqualTo(1.0);
        assertThat(both.at("/argmax/pairs").asInt())
                .isEqualTo(result.at("/argmax/pairs").asInt());
        CliTest.Run badBaseline = CliTest.distill(
                "audit",
                "--watermark-key-file",
                key.toString(),
                "--suspect",
                lm.toString(),
                "--teacher",
                classifier.toString(),
                "--data",
                probes.toString(),
                "--out",
                tmp.resolve("audit-b").toString());
        assertThat(badBaseline.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badBaseline.err()).contains("--teacher, the clean baseline of a language-model watermark audit");

        // A classifier is no suspect for a language-model key.
        CliTest.Run c = CliTest.distill(
                "audit",
                "--watermark-key-file",
                key.toString(),
                "--suspect",
                classifier.toString(),
                "--data",
                probes.toString(),
                "--out",
                tmp.resolve("audit-c").toString());
        assertThat(c.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(c.err()).contains("is a language-model key, so --suspect must be a language-model directory");
    }

    /** log softmax of row {@code row} of (rows, 258) logits, at {@code token}. */
    static double logSoftmax(float[] z, int row, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < 258; t++) {
            max = Math.max(max, z[row * 258 + t]);
        }
        double sum = 0;
        for (int t = 0; t < 258; t++) {
            sum += Math.exp(z[row * 258 + t] - max);
        }
        return z[row * 258 + token] - max - Math.log(sum);
    }
}
