package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.testutil.TextCorpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill audit} on models of text: {@code --data} as a JSON Lines directory, a JSON Lines
 * file or a recipe gives the same probes and the same p-value; text data for a model of images, and
 * a model that reads text differently, are clear errors.
 */
class AuditTextCommandTest {

    static final String RECIPE = """
            name: text-audit
            seed: 5
            data:
              format: jsonl
              dir: data
              features: {max_features: 32, word_ngrams: 2}
            teacher:
              terms: mit
              model: {type: bag, buckets: 4096, dim: 16, hidden: [16]}
              training: {epochs: 4, batch_size: 32, learning_rate: 0.02}
            student:
              model: {type: bag, buckets: 1024, dim: 8}
              training: {epochs: 3, batch_size: 32, learning_rate: 0.05}
            distillation: {temperature: 2, alpha: 1.0}
            evaluation: {latency_runs: 10, throughput_batch: 16}
            """;

    @Test
    void auditsTextFromJsonlDirectoryFileAndRecipeAlike(@TempDir Path tmp) throws Exception {
        TextCorpus.writeSplits(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, RECIPE);
        Path out = tmp.resolve("out");
        CliTest.trainOrFail("run", recipe, out, tmp.resolve("cache"));
        String teacher = out.resolve("teacher").toString();
        String suspect = out.resolve("student_distilled").toString();

        Path first = tmp.resolve("audit-dir");
        CliTest.Run a = CliTest.distill(
                "audit",
                "--suspect",
                suspect,
                "--teacher",
                teacher,
                "--train-references",
                recipe.toString(),
                "--reference-count",
                "3",
                "--null-count",
                "3",
                "--reference-epochs",
                "2",
                "--data",
                tmp.resolve("data").toString(),
                "--queries",
                "60",
                "--out",
                first.toString());
        assertThat(a.code()).as(a.out() + a.err()).isZero();
        assertThat(a.out()).contains("p-value", "queries: 60 to suspect");
        JsonNode json = new ObjectMapper().readTree(first.resolve("audit.json").toFile());
        double p = json.get("p_value").asDouble();
        assertThat(p).isBetween(0.0, 1.0);
        assertThat(json.get("probe_composition").get("mixture").asInt()).isEqualTo(15);

        List<String> refs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            refs.add("--reference");
            refs.add(first.resolve("references/reference-" + i).toString());
            refs.add("--null-model");
            refs.add(first.resolve("references/null-" + i).toString());
        }
        // The same probes named as one file and through the recipe's data section: the same p-value.
        for (String data : List.of(tmp.resolve("data/test.jsonl").toString(), recipe.toString())) {
            Path o = tmp.resolve("audit-" + Math.abs(data.hashCode()));
            List<String> args = new ArrayList<>(List.of(
                    "audit",
                    "--suspect",
                    suspect,
                    "--teacher",
                    teacher,
                    "--data",
                    data,
                    "--queries",
                    "60",
                    "--out",
                    o.toString()));
            args.addAll(refs);
            CliTest.Run r = CliTest.distill(args.toArray(String[]::new));
            assertThat(r.code()).as(data + ": " + r.out() + r.err()).isZero();
            JsonNode j = new ObjectMapper().readTree(o.resolve("audit.json").toFile());
            assertThat(j.get("p_value").asDouble()).as(data).isCloseTo(p, within(1e-9));
        }

        // Null models given by hand: two references make the consensus, one trained null model and
        // the scratch student (both the suspect's architecture and recipe) are the null sample.
        Path withNulls = tmp.resolve("audit-nulls");
        CliTest.Run n = CliTest.distill(
                "audit",
                "--suspect",
                suspect,
                "--teacher",
                teacher,
                "--reference",
                first.resolve("references/reference-0").toString(),
                "--reference",
                first.resolve("references/reference-1").toString(),
                "--null-model",
                first.resolve("references/null-0").toString(),
                "--null-model",
                out.resolve("student_scratch").toString(),
                "--data",
                tmp.resolve("data").toString(),
                "--queries",
                "60",
                "--out",
                withNulls.toString());
        assertThat(n.code()).as(n.out() + n.err()).isZero();
        assertThat(n.out()).contains(", 1 df;", "queries: 60 to null model", "note: 2 null models; with fewer than 20");
        JsonNode nj =
                new ObjectMapper().readTree(withNulls.resolve("audit.json").toFile());
        assertThat(nj.get("null_models")).hasSize(2);
        assertThat(Files.readString(withNulls.resolve("audit.html"))).contains("fewer than 20 null models");
        assertThat(nj.get("test").asText()).startsWith("One-sided t prediction test at the model level, against null");

        // A model that reads text with other n-grams (same row width): an error, not a p-value.
        Path other = tmp.resolve("other-features");
        Files.createDirectories(other);
        Files.copy(Path.of(suspect, "model-0000.params"), other.resolve("model-0000.params"));
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode descriptor =
                (ObjectNode) mapper.readTree(Path.of(suspect, "model.json").toFile());
        ((ObjectNode) descriptor.get("text_features")).put("word_ngrams", 1);
        mapper.writeValue(other.resolve("model.json").toFile(), descriptor);
        List<String> args = new ArrayList<>(List.of(
                "audit",
                "--suspect",
                other.toString(),
                "--teacher",
                teacher,
                "--data",
                tmp.resolve("data").toString(),
                "--queries",
                "60",
                "--out",
                tmp.resolve("bad").toString()));
        args.addAll(refs);
        CliTest.Run bad = CliTest.distill(args.toArray(String[]::new));
        assertThat(bad.code()).as(bad.out() + bad.err()).isEqualTo(ExitCodes.DATA);
        assertThat(bad.err()).contains("audit error: suspect", "reads text as", "word_ngrams=1");
        assertThat(tmp.resolve("bad/audit.json")).doesNotExist();
    }

    @Test
    void textDataForAModelOfImagesIsAnError(@TempDir Path tmp) throws Exception {
        TextCorpus.writeSplits(tmp.resolve("text"));
        CliTest.dataset(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, CliTest.RECIPE);
        Path out = tmp.resolve("out");
        CliTest.trainOrFail("train-teacher", recipe, out, tmp.resolve("cache"));
        String teacher = out.resolve("teacher").toString();
        CliTest.Run bad = CliTest.distill(
                "audit",
                "--suspect",
                teacher,
                "--teacher",
                teacher,
                "--reference",
                teacher,
                "--reference",
                teacher,
                "--data",
                tmp.resolve("text").toString(),
                "--out",
                tmp.resolve("audit").toString());
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("holds texts", "is not a model of text");
    }

    @Test
    void watermarkKeysForTextAreDrawnFromTextsAndTestedOnTextsOnly(@TempDir Path tmp) throws Exception {
        TextCorpus.writeSplits(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, RECIPE);
        Path out = tmp.resolve("out");
        CliTest.trainOrFail("train-teacher", recipe, out, tmp.resolve("cache"));
        String teacher = out.resolve("teacher").toString();

        // Texts need to be featurised as the model reads them: without a model directory or a
        // recipe to say how, a clear error; with the teacher's directory or the recipe, a text key.
        Path key = tmp.resolve("text.key");
        CliTest.Run noModel = CliTest.distill(
                "audit",
                "--generate-watermark-key",
                key.toString(),
                "--data",
                tmp.resolve("data").toString());
        assertThat(noModel.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(noModel.err()).contains("holds texts", "text_features");
        assertThat(key).doesNotExist();
        CliTest.Run gen = CliTest.distill(
                "audit",
                "--generate-watermark-key",
                key.toString(),
                "--data",
                tmp.resolve("data").toString(),
                "--teacher",
                teacher);
        assertThat(gen.code()).as(gen.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(key.toFile());
        assertThat(json.get("input").asText()).isEqualTo("ngram_ids");
        assertThat(json.get("components")).hasSize(3);
        Path fromRecipe = tmp.resolve("recipe.key");
        CliTest.Run gen2 = CliTest.distill(
                "audit", "--generate-watermark-key", fromRecipe.toString(), "--data", recipe.toString());
        assertThat(gen2.code()).as(gen2.err()).isZero();
        assertThat(new ObjectMapper().readTree(fromRecipe.toFile()).get("input").asText())
                .isEqualTo("ngram_ids");

        // The clean teacher tested for the key, on the test texts: a p-value, not a verdict of guilt.
        Path audit = tmp.resolve("audit");
        CliTest.Run a = watermarkAudit(key, teacher, tmp.resolve("data"), audit);
        assertThat(a.code()).as(a.out() + a.err()).isZero();
        assertThat(a.out()).contains("NOT SHOWN", "300 queries");
        assertThat(a.out() + a.err() + Files.readString(audit.resolve("watermark.json")))
                .doesNotContain(json.get("secret").asText());
        // The texts an API served carry no labels, and the audit needs none: the same texts without
        // their labels give the same p-value.
        Path served = tmp.resolve("served.jsonl");
        StringBuilder unlabelled = new StringBuilder();
        for (String line : Files.readAllLines(tmp.resolve("data/test.jsonl"))) {
            ObjectNode row = (ObjectNode) new ObjectMapper().readTree(line);
            row.remove("label");
            unlabelled.append(row).append('\n');
        }
        Files.writeString(served, unlabelled);
        CliTest.Run onServed = watermarkAudit(key, teacher, served, tmp.resolve("audit-served"));
        assertThat(onServed.code()).as(onServed.out() + onServed.err()).isZero();
        assertThat(new ObjectMapper()
                        .readTree(tmp.resolve("audit-served/watermark.json").toFile())
                        .get("p_value"))
                .isEqualTo(new ObjectMapper()
                        .readTree(audit.resolve("watermark.json").toFile())
                        .get("p_value"));

        // A key of images for a model of text, and a key of text for images: errors naming both kinds.
        CliTest.dataset(tmp.resolve("images"));
        Path imageKey = tmp.resolve("image.key");
        assertThat(CliTest.distill(
                                "audit",
                                "--generate-watermark-key",
                                imageKey.toString(),
                                "--data",
                                tmp.resolve("images").toString())
                        .code())
                .isZero();
        CliTest.Run mixed = CliTest.distill(
                "audit",
                "--watermark-key-file",
                imageKey.toString(),
                "--suspect",
                teacher,
                "--data",
                tmp.resolve("data").toString(),
                "--queries",
                "100",
                "--out",
                tmp.resolve("mixed").toString());
        assertThat(mixed.code()).as(mixed.out() + mixed.err()).isEqualTo(ExitCodes.DATA);
        assertThat(mixed.err()).contains("was drawn for dense inputs", "holds texts");
        assertThat(tmp.resolve("mixed/watermark.json")).doesNotExist();
        // distill serve refuses to watermark a model of text with a key of images, before it listens.
        CliTest.Run serve =
                CliTest.distill("serve", teacher, "--port", "0", "--watermark-key-file", imageKey.toString());
        assertThat(serve.code()).as(serve.out() + serve.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(serve.err()).contains("was drawn for dense inputs", "is a model of text");
    }

    /** {@code distill audit} of {@code suspect} for the watermark of {@code key} on 300 rows of {@code data}. */
    private static CliTest.Run watermarkAudit(Path key, String suspect, Path data, Path out) {
        return CliTest.distill(
                "audit",
                "--watermark-key-file",
                key.toString(),
                "--suspect",
                suspect,
                "--data",
                data.toString(),
                "--queries",
                "300",
                "--alpha",
                "1e-4",
                "--out",
                out.toString());
    }
}
