package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill audit} end to end on models the real {@code distill run} trains. */
class AuditCommandTest {

    @Test
    void auditsWithTrainedReferencesAndRefusesAnotherLabelSet(@TempDir Path tmp) throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, CliTest.RECIPE);
        Path out = tmp.resolve("out");
        CliTest.trainOrFail("run", recipe, out, tmp.resolve("cache"));

        Path audit = tmp.resolve("audit");
        CliTest.Run a = trainReferencesAndAudit(tmp, recipe, audit, "3", "2", "--null-count", "4", "--alpha", "0.05");
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.err()).contains("warning: --reference-epochs 2 trains the references otherwise");
        assertThat(a.out())
                .contains(
                        "Training 3 reference models (its teacher's architecture, and 4 null models of its student's)",
                        "references: 3 (3 of MLP(hidden=[32]",
                        "null models: 4 (4 of MLP(hidden=[8]",
                        "p-value",
                        "queries: 40 to suspect",
                        "audit.html");
        JsonNode json = new ObjectMapper().readTree(audit.resolve("audit.json").toFile());
        assertThat(json.get("p_value").asDouble()).isBetween(0.0, 1.0);
        assertThat(json.get("references_trained").asBoolean()).isTrue();
        assertThat(json.get("references")).hasSize(3);
        assertThat(json.get("null_models")).hasSize(4);
        // The design the evaluation measured: references of the teacher's architecture make the
        // consensus, null models of the student's are the test's sample.
        for (int i = 0; i < 3; i++) {
            assertThat(architecture(audit.resolve("references/reference-" + i)))
                    .isEqualTo(architecture(out.resolve("teacher")));
        }
        assertThat(audit.resolve("references/reference-3")).doesNotExist();
        for (int i = 0; i < 4; i++) {
            assertThat(architecture(audit.resolve("references/null-" + i)))
                    .isEqualTo(architecture(out.resolve("student_distilled")));
        }
        assertThat(json.get("verdict").asText()).isIn("distilled", "not_shown");
        // The rank p-value is taken among the 4 null models, so its floor is 1/5, not 1/(3 references + 1).
        assertThat(Files.readString(audit.resolve("audit.html")))
                .contains("<svg", "Distillation audit", "Rank p-value (distribution-free, min 0.2000)");

        // The same suspect behind an HTTP API (Open Inference Protocol v2, served here on loopback):
        // the same outputs, so exactly the same result; 40 queries spent on it.
        try (org.distill4j.server.ModelServer server = org.distill4j.server.ModelServer.builder()
                .optPort(0)
                .addModel(org.distill4j.server.ServedSavedModel.load("suspect", out.resolve("student_distilled")))
                .build()
                .start()) {
            String url = server.baseUri().resolve("/v2/models/suspect").toString();
            Path viaHttp = tmp.resolve("audit-http");
            CliTest.Run h = CliTest.distill(
                    "audit",
                    "--suspect",
                    url,
                    "--teacher",
                    out.resolve("teacher").toString(),
                    "--reference",
                    audit.resolve("references/reference-0").toString(),
                    "--reference",
                    audit.resolve("references/reference-1").toString(),
                    "--reference",
                    audit.resolve("references/reference-2").toString(),
                    "--null-model",
                    audit.resolve("references/null-0").toString(),
                    "--null-model",
                    audit.resolve("references/null-1").toString(),
                    "--null-model",
                    audit.resolve("references/null-2").toString(),
                    "--null-model",
                    audit.resolve("references/null-3").toString(),
                    "--data",
                    tmp.resolve("data").toString(),
                    "--queries",
                    "40",
                    "--alpha",
                    "0.05",
                    "--out",
                    viaHttp.toString());
            assertThat(h.code()).as(h.err()).isZero();
            assertThat(h.out()).contains("queries: 40 to suspect " + url);
            JsonNode hj =
                    new ObjectMapper().readTree(viaHttp.resolve("audit.json").toFile());
            assertThat(hj.get("p_value").asDouble())
                    .isCloseTo(json.get("p_value").asDouble(), org.assertj.core.api.Assertions.within(1e-4));
            assertThat(hj.get("references_trained").asBoolean()).isFalse();
        }

        // The same suspect under another label set (same width): a clear error, no p-value.
        Path renamed = tmp.resolve("renamed");
        Files.createDirectories(renamed);
        Files.copy(out.resolve("student_distilled/model-0000.params"), renamed.resolve("model-0000.params"));
        ObjectMapper mapper = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode descriptor = (com.fasterxml.jackson.databind.node.ObjectNode)
                mapper.readTree(out.resolve("student_distilled/model.json").toFile());
        descriptor.putArray("class_names").add("x").add("y").add("z");
        mapper.writeValue(renamed.resolve("model.json").toFile(), descriptor);
        Path audit2 = tmp.resolve("audit2");
        CliTest.Run bad = CliTest.distill(
                "audit",
                "--suspect",
                renamed.toString(),
                "--teacher",
                out.resolve("teacher").toString(),
                "--reference",
                audit.resolve("references/reference-0").toString(),
                "--reference",
                audit.resolve("references/reference-1").toString(),
                "--data",
                tmp.resolve("data").toString(),
                "--queries",
                "40",
                "--out",
                audit2.toString());
        assertThat(bad.code()).as(bad.out() + bad.err()).isEqualTo(ExitCodes.DATA);
        assertThat(bad.err()).contains("audit error: suspect", "has classes [x, y, z]", "expected the teacher's");
        assertThat(audit2.resolve("audit.json")).doesNotExist();

        // Where a rerun would reuse a trained model, a directory holding a model of another
        // architecture (an older layout, another recipe) is refused by name instead of joining the
        // test's sample.
        Path audit3 = tmp.resolve("audit3");
        Files.createDirectories(audit3.resolve("references"));
        copyModel(out.resolve("student_distilled"), audit3.resolve("references/reference-1"));
        CliTest.Run mixed = trainReferencesAndAudit(tmp, recipe, audit3, "3", "2");
        assertThat(mixed.code()).as(mixed.out() + mixed.err()).isNotZero();
        assertThat(mixed.err())
                .contains(
                        audit3.resolve("references/reference-1").toString(), "another architecture", "MLP(hidden=[8]");
        assertThat(audit3.resolve("audit.json")).doesNotExist();

        // A recipe whose teacher is a saved model has no teacher architecture to train: references of
        // its student's architecture, no null models, and the output says how to get the stronger test.
        Path fileTeacher = Files.writeString(
                tmp.resolve("file-teacher.yaml"),
                CliTest.RECIPE.replaceAll(
                        "teacher:\\n(  .*\\n)+",
                        "teacher: {source: distill4j, path: " + out.resolve("teacher") + ", terms: mit}\n"));
        Path audit4 = tmp.resolve("audit4");
        CliTest.Run studentRefs = trainReferencesAndAudit(tmp, fileTeacher, audit4, "2", "1");
        assertThat(studentRefs.code()).as(studentRefs.out() + studentRefs.err()).isZero();
        assertThat(studentRefs.out()).contains("references: 2 (2 of MLP(hidden=[8]", "null models: none trained");
        assertThat(new ObjectMapper()
                        .readTree(audit4.resolve("audit.json").toFile())
                        .has("null_models"))
                .isFalse();
        assertThat(audit4.resolve("references/null-0")).doesNotExist();
    }

    /**
     * {@code distill audit --train-references} of the distilled student of {@code tmp/out} against its
     * teacher on the toy images, 40 queries, into {@code auditDir}.
     */
    private static CliTest.Run trainReferencesAndAudit(
            Path tmp, Path recipe, Path auditDir, String references, String epochs, String... more) {
        Path out = tmp.resolve("out");
        List<String> args = new ArrayList<>(List.of(
                "audit",
                "--suspect",
                out.resolve("student_distilled").toString(),
                "--teacher",
                out.resolve("teacher").toString(),
                "--train-references",
                recipe.toString(),
                "--reference-count",
                references,
                "--reference-epochs",
                epochs,
                "--data",
                tmp.resolve("data").toString(),
                "--queries",
                "40",
                "--out",
                auditDir.toString()));
        args.addAll(List.of(more));
        return CliTest.distill(args.toArray(String[]::new));
    }

    private static String architecture(Path modelDir) throws java.io.IOException {
        return org.distill4j.model.SavedModel.descriptor(modelDir)
                .architecture()
                .describe();
    }

    private static void copyModel(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to);
        for (String f : new String[] {"model.json", "model-0000.params"}) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
    }

    @Test
    void trainedNullModelsDefaultToTheRecommendedTwenty() {
        // The evaluation's number (docs/audit.md, "Twenty null models"); every other test names its own.
        CliTest.Run help = CliTest.distill("audit", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out().replaceAll("\\s+", " "))
                .contains("--null-count=N How many null models --train-references trains (default: 20;");
        assertThat(org.distill4j.audit.DistillationAudit.RECOMMENDED_NULL_MODELS)
                .isEqualTo(20);
    }

    /** Trains the tiny recipe's teacher on the toy images in {@code tmp/data}; returns its directory. */
    static Path toyTeacher(Path tmp) throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path out = tmp.resolve("out");
        CliTest.trainOrFail("train-teacher", CliTest.recipe(tmp, CliTest.RECIPE), out, tmp.resolve("cache"));
        return out.resolve("teacher");
    }

    @Test
    void generatesAKeyOnceAndFindsNoWatermarkInACleanModel(@TempDir Path tmp) throws Exception {
        Path teacher = toyTeacher(tmp);
        Path key = tmp.resolve("wm.key");
        CliTest.Run gen = CliTest.distill(
                "audit",
                "--generate-watermark-key",
                key.toString(),
                "--data",
                tmp.resolve("data").toString());
        assertThat(gen.code()).as(gen.err()).isZero();
        String secret = new ObjectMapper().readTree(key.toFile()).get("secret").asText();
        assertThat(gen.out()).contains("wrote watermark key").doesNotContain(secret);
        CliTest.Run again = CliTest.distill(
                "audit",
                "--generate-watermark-key",
                key.toString(),
                "--data",
                tmp.resolve("data").toString());
        assertThat(again.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(again.err()).contains("the file exists");

        Path audit = tmp.resolve("audit");
        CliTest.Run a = CliTest.distill(
                "audit",
                "--watermark-key-file",
                key.toString(),
                "--suspect",
                teacher.toString(),
                "--data",
                tmp.resolve("data").toString(),
                "--queries",
                "100",
                // The key is fresh and random, and a clean model's p-value is uniform: at the default
                // alpha of 0.01 this check would fail in one run of 100; at 1e-4, one in 10,000.
                "--alpha",
                "1e-4",
                "--out",
                audit.toString());
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).contains("NOT SHOWN", "100 queries");
        assertThat(a.out() + a.err() + Files.readString(audit.resolve("watermark.json")))
                .doesNotContain(secret);
    }

    /**
     * The provider's loop: {@code distill serve --watermark-key-file K --record-queries DIR} answers
     * a client, and {@code distill audit --watermark-key-file K --data DIR/<model>/<client>.jsonl}
     * probes with exactly what that client sent (the same p-value as those rows given as an IDX
     * split), the clean teacher shows no key there, and a log that does not fit the models is an
     * error naming its line.
     */
    @Test
    void auditsOnTheQueriesAServerRecorded(@TempDir Path tmp) throws Exception {
        Path teacher = toyTeacher(tmp);
        Path key = tmp.resolve("wm.key");
        CliTest.Run gen = CliTest.distill(
                "audit",
                "--generate-watermark-key",
                key.toString(),
                "--data",
                tmp.resolve("data").toString());
        assertThat(gen.code()).as(gen.err()).isZero();
        org.distill4j.data.IdxDataset idx = org.distill4j.data.IdxDataset.load(tmp.resolve("data"));
        Path log = tmp.resolve("queries");

        java.io.PrintStream oldOut = System.out;
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream sout = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream serr = new java.io.ByteArrayOutputStream();
        String url;
        Thread serve;
        synchronized (CliTest.class) {
            try {
                System.setOut(new java.io.PrintStream(sout, true, java.nio.charset.StandardCharsets.UTF_8));
                System.setErr(new java.io.PrintStream(serr, true, java.nio.charset.StandardCharsets.UTF_8));
                serve = new Thread(() -> DistillCommand.execute(
                        "serve",
                        teacher.toString(),
                        "--name",
                        "api",
                        "--port",
                        "0",
                        "--watermark-key-file",
                        key.toString(),
                        "--record-queries",
                        log.toString()));
                serve.start();
                java.util.regex.Pattern at = java.util.regex.Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+)");
                java.util.regex.Matcher m;
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!(m = at.matcher(sout.toString(java.nio.charset.StandardCharsets.UTF_8))).find()) {
                    assertThat(System.nanoTime()).as("no URL; stderr: %s", serr).isLessThan(deadline);
                    assertThat(serve.isAlive())
                            .as("serve exited; stderr: %s", serr)
                            .isTrue();
                    Thread.sleep(50);
                }
                url = m.group(1);
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
        }
        try {
            // The client: every training and test image, 50 per request.
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            int sent = 0;
            for (org.distill4j.data.ExampleSet set : java.util.List.of(idx.train(), idx.test())) {
                int d = set.featureSize();
                for (int from = 0; from < set.size(); from += 50) {
                    int n = Math.min(50, set.size() - from);
                    int[] ids = java.util.stream.IntStream.range(from, from + n).toArray();
                    float[] x = new float[n * d];
                    set.copyFeatures(ids, x);
                    com.fasterxml.jackson.databind.node.ObjectNode input = new ObjectMapper().createObjectNode();
                    com.fasterxml.jackson.databind.node.ObjectNode t =
                            input.putArray("inputs").addObject();
                    t.put("name", "input").put("datatype", "FP32");
                    com.fasterxml.jackson.databind.node.ArrayNode shape =
                            t.putArray("shape").add(n);
                    for (long dim : set.featureShape()) {
                        shape.add(dim);
                    }
                    com.fasterxml.jackson.databind.node.ArrayNode data = t.putArray("data");
                    for (float v : x) {
                        data.add(v);
                    }
                    java.net.http.HttpResponse<String> r = client.send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/v2/models/api/infer"))
                                    .header("Content-Type", "application/json")
                                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(input.toString()))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    sent += n;
                }
            }
            Path recorded = log.resolve("api").resolve("addr_127.0.0.1.jsonl");
            assertThat(Files.readAllLines(recorded)).hasSize(sent);

            // The audit probes with exactly the rows the client sent: the same p-value as an audit on
            // an IDX directory whose test split holds those rows in that order. (On these 3-class toy
            // images the served signal is too weak to show; docs/audit.md measures it on Fashion-MNIST.)
            Path sameRows = tmp.resolve("same-rows");
            Files.createDirectories(sameRows);
            byte[] pixels = new byte[sent * 64];
            byte[] labels = new byte[sent];
            int row = 0;
            for (org.distill4j.data.ExampleSet set : java.util.List.of(idx.train(), idx.test())) {
                float[] x = new float[set.size() * 64];
                set.copyFeatures(java.util.stream.IntStream.range(0, set.size()).toArray(), x);
                for (int i = 0; i < x.length; i++) {
                    pixels[row * 64 + i] = (byte) Math.round(x[i] * 255);
                }
                for (int i = 0; i < set.size(); i++) {
                    labels[row + i] = (byte) set.label(i);
                }
                row += set.size();
            }
            for (String split : new String[] {"train", "t10k"}) {
                CliTest.gz(
                        sameRows.resolve(split + "-images-idx3-ubyte.gz"), CliTest.header(0x803, sent, 8, 8), pixels);
                CliTest.gz(sameRows.resolve(split + "-labels-idx1-ubyte.gz"), CliTest.header(0x801, sent), labels);
            }
            double[] p = new double[2];
            int k = 0;
            for (Path data : new Path[] {recorded, sameRows}) {
                Path dir = tmp.resolve("audit-served-" + k);
                CliTest.Run a = CliTest.distill(
                        "audit",
                        "--watermark-key-file",
                        key.toString(),
                        "--suspect",
                        url + "/v2/models/api",
                        "--teacher",
                        teacher.toString(),
                        "--data",
                        data.toString(),
                        "--queries",
                        "300",
                        "--out",
                        dir.toString());
                assertThat(a.code()).as(a.err()).isZero();
                assertThat(a.out())
                        .contains("300 queries to the suspect", "compact statistic")
                        .doesNotContain("with the clean teacher");
                com.fasterxml.jackson.databind.JsonNode result = new ObjectMapper()
                        .readTree(dir.resolve("watermark.json").toFile());
                assertThat(result.get("regressors").asText()).isEqualTo("compact");
                p[k++] = result.get("p_value").asDouble();
            }
            assertThat(p[0]).isEqualTo(p[1]);

            // The full design on the same probes, asked for: another (exact) p-value, recorded as such.
            Path full = tmp.resolve("audit-served-full");
            CliTest.Run f = CliTest.distill(
                    "audit",
                    "--watermark-key-file",
                    key.toString(),
                    "--suspect",
                    url + "/v2/models/api",
                    "--teacher",
                    teacher.toString(),
                    "--data",
                    recorded.toString(),
                    "--queries",
                    "300",
                    "--watermark-regressors",
                    "full",
                    "--out",
                    full.toString());
            assertThat(f.code()).as(f.err()).isZero();
            assertThat(f.out()).contains("full statistic");
            com.fasterxml.jackson.databind.JsonNode fullResult =
                    new ObjectMapper().readTree(full.resolve("watermark.json").toFile());
            assertThat(fullResult.get("regressors").asText()).isEqualTo("full");
            assertThat(fullResult.get("p_value").asDouble()).isNotEqualTo(p[0]);

            // The clean teacher does not (its p-value is uniform: alpha 1e-4 fails one run in 10,000).
            Path clean = tmp.resolve("audit-clean");
            CliTest.Run c = CliTest.distill(
                    "audit",
                    "--watermark-key-file",
                    key.toString(),
                    "--suspect",
                    teacher.toString(),
                    "--data",
                    recorded.toString(),
                    "--queries",
                    String.valueOf(sent),
                    "--alpha",
                    "1e-4",
                    "--out",
                    clean.toString());
            assertThat(c.code()).as(c.err()).isZero();
            assertThat(c.out()).contains("NOT SHOWN", sent + " queries", "full statistic", "with the clean teacher");
            // The compact design needs the clean teacher; a design that does not exist is named.
            for (String[] bad : new String[][] {{"compact", "needs --teacher"}, {"ols", "allowed: compact, full"}}) {
                CliTest.Run u = CliTest.distill(
                        "audit",
                        "--watermark-key-file",
                        key.toString(),
                        "--suspect",
                        teacher.toString(),
                        "--data",
                        recorded.toString(),
                        "--watermark-regressors",
                        bad[0],
                        "--out",
                        tmp.resolve("audit-" + bad[0]).toString());
                assertThat(u.code()).isEqualTo(2);
                assertThat(u.err()).contains("--watermark-regressors", bad[1]);
                assertThat(tmp.resolve("audit-" + bad[0]).resolve("watermark.json"))
                        .doesNotExist();
            }
        } finally {
            serve.interrupt();
            serve.join(30_000);
        }

        // A row of the wrong width: an error that names the file and line, and no result.
        Path bad = Files.writeString(tmp.resolve("bad.jsonl"), "{\"features\": [0.5, 0.25]}\n");
        CliTest.Run b = CliTest.distill(
                "audit",
                "--watermark-key-file",
                key.toString(),
                "--suspect",
                teacher.toString(),
                "--data",
                bad.toString(),
                "--out",
                tmp.resolve("audit-bad").toString());
        assertThat(b.code()).isNotZero();
        assertThat(b.err()).contains("bad.jsonl line 1", "expected \"features\", an array of 64 numbers");
        assertThat(tmp.resolve("audit-bad").resolve("watermark.json")).doesNotExist();
    }
}
