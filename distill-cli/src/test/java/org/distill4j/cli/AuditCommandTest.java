package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
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
        CliTest.Run a = CliTest.distill(
                "audit",
                "--suspect",
                out.resolve("student_distilled").toString(),
                "--teacher",
                out.resolve("teacher").toString(),
                "--train-references",
                recipe.toString(),
                "--reference-count",
                "3",
                "--reference-epochs",
                "2",
                "--data",
                tmp.resolve("data").toString(),
                "--queries",
                "40",
                "--alpha",
                "0.05",
                "--out",
                audit.toString());
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out())
                .contains(
                        "Training 3 reference models",
                        "trained by this audit",
                        "p-value",
                        "queries: 40 to suspect",
                        "audit.html");
        JsonNode json = new ObjectMapper().readTree(audit.resolve("audit.json").toFile());
        assertThat(json.get("p_value").asDouble()).isBetween(0.0, 1.0);
        assertThat(json.get("references_trained").asBoolean()).isTrue();
        assertThat(json.get("references")).hasSize(3);
        assertThat(json.get("verdict").asText()).isIn("distilled", "not_shown");
        assertThat(Files.readString(audit.resolve("audit.html"))).contains("<svg", "Distillation audit");

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
    }

    @Test
    void generatesAKeyOnceAndFindsNoWatermarkInACleanModel(@TempDir Path tmp) throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, CliTest.RECIPE);
        Path out = tmp.resolve("out");
        CliTest.trainOrFail("train-teacher", recipe, out, tmp.resolve("cache"));
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
                out.resolve("teacher").toString(),
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
}
