package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.server.ModelServer;
import org.distill4j.server.ServedLanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill audit} with language models (the reference test, {@code LmDistillationAudit}):
 * model directories and an OpenAI-compatible URL as the suspect, the report files, and the
 * arguments a language-model audit refuses. The models are untrained decoders of distinct seeds,
 * so the only suspect that shares the teacher's idiosyncrasies is the teacher itself (a copy, or the
 * teacher served); the statistics' power on trained students is {@code LmDistillationAuditTest}'s.
 */
class LmAuditCommandTest {

    private static Path lm(Path dir, long seed) throws Exception {
        try (LanguageModel lm = LanguageModel.create(
                new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.LEARNED, false), ByteTokenizer.INSTANCE, seed)) {
            lm.save(dir);
        }
        return dir;
    }

    @Test
    void theTeachersCopyAndServedSelfAreFoundAnIndependentModelIsNot(@TempDir Path tmp) throws Exception {
        Path teacher = lm(tmp.resolve("teacher"), 1);
        Path copy = Files.createDirectories(tmp.resolve("copy"));
        try (var files = Files.list(teacher)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Path other = lm(tmp.resolve("other"), 2);
        String[] refs = new String[6];
        for (int i = 0; i < 3; i++) {
            refs[2 * i] = "--reference";
            refs[2 * i + 1] = lm(tmp.resolve("ref" + i), 10 + i).toString();
        }
        StringBuilder texts = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            texts.append("{\"text\": \"package ").append(i).append(" provides the library and tools for tests\"}\n");
        }
        Path probes = Files.writeString(tmp.resolve("probes.jsonl"), texts.toString());

        CliTest.Run found = audit(tmp.resolve("audit-copy"), teacher, copy.toString(), probes, refs);
        assertThat(found.code()).as(found.err()).isZero();
        assertThat(found.out()).contains("DISTILLED", "next-token positions", "windows read");
        JsonNode json =
                new ObjectMapper().readTree(tmp.resolve("audit-copy/audit.json").toFile());
        assertThat(json.get("verdict").asText()).isEqualTo("distilled");
        assertThat(json.at("/probe_composition/positions").asInt()).isEqualTo(300);
        assertThat(tmp.resolve("audit-copy/audit.html")).isRegularFile();

        CliTest.Run independent = audit(tmp.resolve("audit-other"), teacher, other.toString(), probes, refs);
        assertThat(independent.code()).as(independent.err()).isZero();
        assertThat(independent.out()).contains("NOT SHOWN");

        // The teacher behind distill serve's OpenAI-compatible API: read as its top 20 a position, and
        // then every model is (the test treats them alike).
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .addLanguageModel(ServedLanguageModel.load("teacher", teacher))
                .build()
                .start()) {
            String url = server.baseUri().resolve("/v1/models/teacher").toString();
            CliTest.Run api = audit(tmp.resolve("audit-api"), teacher, url, probes, refs);
            assertThat(api.code()).as(api.err()).isZero();
            assertThat(api.out()).contains("DISTILLED");
            JsonNode apiJson = new ObjectMapper()
                    .readTree(tmp.resolve("audit-api/audit.json").toFile());
            assertThat(apiJson.at("/probe_composition/top_k_kept").asInt()).isEqualTo(20);
            assertThat(apiJson.at("/queries").toString()).contains("(model teacher)");
        }

        // What a language-model audit refuses, naming it.
        Path classifier = ServeCommandTest.model(tmp.resolve("classifier"));
        CliTest.Run mixed = CliTest.distill(
                "audit",
                "--suspect",
                copy.toString(),
                "--teacher",
                teacher.toString(),
                "--reference",
                classifier.toString(),
                "--reference",
                refs[1],
                "--data",
                probes.toString());
        assertThat(mixed.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(mixed.err()).contains("language-model directories", classifier.toString());
        CliTest.Run noData = CliTest.distill(
                "audit", "--suspect", copy.toString(), "--teacher", teacher.toString(), refs[0], refs[1]);
        assertThat(noData.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(noData.err()).contains("--data TEXTS.jsonl|DIR is required");
        CliTest.Run oneRef = CliTest.distill(
                "audit",
                "--suspect",
                copy.toString(),
                "--teacher",
                teacher.toString(),
                refs[0],
                refs[1],
                "--data",
                probes.toString(),
                "--out",
                tmp.resolve("audit-one").toString());
        assertThat(oneRef.code()).isEqualTo(ExitCodes.DATA);
        assertThat(oneRef.err()).contains("at least 2 references");
    }

    @Test
    void referencesAndNullModelsAreTrainedFromALanguageModelRecipeAndReused(@TempDir Path tmp) throws Exception {
        StringBuilder corpus = new StringBuilder();
        String[] words = {"library", "kernel", "python", "module", "driver", "fonts", "data", "tools"};
        for (int i = 0; i < 80; i++) {
            corpus.append("{\"text\": \"package ")
                    .append(i)
                    .append(" provides the ")
                    .append(words[i % 8])
                    .append(" and ")
                    .append(words[(i * 3) % 8])
                    .append(" for tests\"}\n");
        }
        Path text = Files.writeString(tmp.resolve("corpus.jsonl"), corpus.toString());
        Path recipe = Files.writeString(tmp.resolve("lm.yaml"), """
                name: audit-refs
                seed: 5
                data: {format: text, path: %s, validation: 0.1, test: 0.2, context: 32}
                teacher: {layers: 1, width: 16, heads: 2, training: {steps: 15, batch_size: 8, learning_rate: 0.01}}
                student: {layers: 1, width: 8, heads: 2, training: {steps: 15, batch_size: 8, learning_rate: 0.01}}
                """.formatted(text));
        Path teacher = lm(tmp.resolve("teacher"), 1);
        Path copy = Files.createDirectories(tmp.resolve("copy"));
        try (var files = Files.list(teacher)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        String[] args = {
            "audit",
            "--suspect",
            copy.toString(),
            "--teacher",
            teacher.toString(),
            "--train-references",
            recipe.toString(),
            "--reference-count",
            "3",
            "--null-count",
            "3",
            "--queries",
            "200",
            "--out",
            tmp.resolve("audit").toString()
        };
        CliTest.Run run = CliTest.distill(args);
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("Training 3 reference language models", "DISTILLED", "trained by this audit", "test split");
        Path refs = tmp.resolve("audit/references");
        for (String m : new String[] {"reference-0", "reference-2", "null-0", "null-2"}) {
            assertThat(refs.resolve(m).resolve("model.json")).isRegularFile();
        }
        JsonNode json =
                new ObjectMapper().readTree(tmp.resolve("audit/audit.json").toFile());
        assertThat(json.get("references_trained").asBoolean()).isTrue();
        assertThat(json.get("null_models")).hasSize(3);
        assertThat(Files.readString(tmp.resolve("audit/audit.html")))
                .contains(
                        "null models (the test's sample: 3)",
                        "against null models",
                        "Top-1 agreement with the teacher over all positions",
                        "next-token position");
        // A rerun reuses what it trained.
        var trained = Files.getLastModifiedTime(refs.resolve("reference-0/model-0000.params"));
        assertThat(CliTest.distill(args).code()).isZero();
        assertThat(Files.getLastModifiedTime(refs.resolve("reference-0/model-0000.params")))
                .isEqualTo(trained);
        // ... but not a model of another architecture where a reference was: refused by name.
        for (String f : new String[] {"model.json", "model-0000.params"}) {
            Files.copy(
                    refs.resolve("null-0").resolve(f),
                    refs.resolve("reference-1").resolve(f),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        CliTest.Run mixed = CliTest.distill(args);
        assertThat(mixed.code()).as(mixed.out() + mixed.err()).isNotZero();
        assertThat(mixed.err()).contains(refs.resolve("reference-1").toString(), "another architecture");

        // A recipe whose teacher is not trained here has no architecture to train references of.
        Path saved = Files.writeString(
                tmp.resolve("saved.yaml"),
                Files.readString(recipe).replaceAll("teacher: \\{[^\n]*", "teacher: {path: " + teacher + "}"));
        CliTest.Run refused = CliTest.distill(
                "audit",
                "--suspect",
                copy.toString(),
                "--teacher",
                teacher.toString(),
                "--train-references",
                saved.toString(),
                "--out",
                tmp.resolve("audit-saved").toString());
        assertThat(refused.code()).isNotZero();
        assertThat(refused.err()).contains("--train-references needs a recipe that trains its teacher");
    }

    private static CliTest.Run audit(Path out, Path teacher, String suspect, Path probes, String[] refs) {
        String[] head = {
            "audit",
            "--suspect",
            suspect,
            "--teacher",
            teacher.toString(),
            "--data",
            probes.toString(),
            "--queries",
            "300",
            "--out",
            out.toString()
        };
        String[] args = new String[head.length + refs.length];
        System.arraycopy(head, 0, args, 0, head.length);
        System.arraycopy(refs, 0, args, head.length, refs.length);
        return CliTest.distill(args);
    }
}
