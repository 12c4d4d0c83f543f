package org.distill4j.provenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.io.Hashing;
import org.distill4j.provenance.ProvenanceManifest.DatasetInfo;
import org.distill4j.provenance.ProvenanceManifest.DatasetRole;
import org.distill4j.provenance.ProvenanceManifest.ModelInfo;
import org.distill4j.provenance.ProvenanceManifest.SoftwareInfo;
import org.distill4j.provenance.ProvenanceManifest.TeacherInfo;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateApproval;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.Permission;
import org.distill4j.terms.TermsRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvenanceTest {

    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static final String TEACHER_HASH = "ab".repeat(32);

    /** A gated approval with a permission, so that the terms map is as full as it gets. */
    static GateApproval approval() throws Exception {
        Permission permission = new Permission(
                "OpenAI research agreement #42", "alice@example.org", Instant.parse("2026-11-28T09:30:00Z"));
        return new DistillationGate(Clock.fixed(NOW, ZoneOffset.UTC))
                .approve(GateRequest.forTeacher(TermsRegistry.builtIn().get("llama-3.1"), "Llama-tiny")
                        .withPermission(permission)
                        .withTeacher(new org.distill4j.teacher.TeacherIdentity(
                                "distill4j", "/models/teacher", TEACHER_HASH, "MLP")));
    }

    static ProvenanceManifest manifest() throws Exception {
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("epochs", 5);
        training.put("batch_size", 64);
        training.put("learning_rate", 0.001);
        training.put("distillation", Map.of("temperature", 4.0, "alpha", 0.7, "mode", "soft_targets"));
        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("items", 1200);
        labels.put("tokens", 34567);
        labels.put("errors", 0);
        labels.put("first_at", "2026-11-29T10:00:00Z");
        labels.put("last_at", "2026-11-29T11:00:00Z");
        return ProvenanceManifest.of(
                new ModelInfo("student_distilled", "Llama-tiny", "MLP 784-64-10, relu"),
                TeacherInfo.of(new TeacherIdentity("distill4j", "/models/teacher", TEACHER_HASH, "MLP 784-512-10")),
                approval().toMap(),
                List.of(
                        new DatasetInfo(DatasetRole.TRAIN, "mnist/train", "cd".repeat(32), 54000),
                        new DatasetInfo(DatasetRole.VALIDATION, "mnist/validation", "cd".repeat(32), 6000),
                        new DatasetInfo(DatasetRole.TEST, "mnist/test", "ef".repeat(32), 10000)),
                labels,
                training,
                42L,
                new SoftwareInfo("0.1.0", "unknown", "OpenJDK 17", "0.36.0", "2.7.1", "Linux 6 amd64"),
                NOW);
    }

    private void saveModelFiles() throws Exception {
        Files.writeString(dir.resolve("model.json"), "{\"format\":\"distill4j-model\"}");
        Files.write(dir.resolve("model-0000.params"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Files.writeString(dir.resolve("training.json"), "{\"epochs\":5}");
        // Not covered: checkpoints, hidden and temporary files.
        Files.createDirectories(dir.resolve("checkpoints"));
        Files.writeString(dir.resolve("checkpoints/epoch-1.params"), "x");
        Files.writeString(dir.resolve(".DS_Store"), "x");
        Files.writeString(dir.resolve(".provenance.json.123.tmp"), "partial");
    }

    @Test
    void writeHashesTopLevelFilesAndReadsBackEqual() throws Exception {
        saveModelFiles();

        ProvenanceManifest written = Provenance.write(dir, manifest());

        assertThat(written.files()).containsOnlyKeys("model-0000.params", "model.json", "training.json");
        assertThat(List.copyOf(written.files().keySet())).isSorted();
        assertThat(written.files().get("model-0000.params"))
                .isEqualTo(Hashing.sha256(dir.resolve("model-0000.params")));
        assertThat(Provenance.read(dir)).isEqualTo(written);
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
                .contains(Provenance.FILE_NAME)
                .noneMatch(n -> n.startsWith(".provenance.json.") && !n.equals(".provenance.json.123.tmp"));
    }

    @Test
    void jsonHasEveryRequiredFieldInSnakeCase() throws Exception {
        saveModelFiles();
        Provenance.write(dir, manifest());

        JsonNode root = JSON.readTree(dir.resolve(Provenance.FILE_NAME).toFile());

        assertThat(fieldNames(root))
                .containsExactly(
                        "format",
                        "version",
                        "model",
                        "teacher",
                        "terms",
                        "datasets",
                        "label_collection",
                        "training",
                        "seed",
                        "software",
                        "created_at",
                        "files");
        assertThat(root.get("format").asText()).isEqualTo("distill4j-provenance");
        assertThat(root.get("version").asInt()).isEqualTo(1);
        assertThat(fieldNames(root.get("model"))).containsExactly("role", "name", "architecture");
        assertThat(fieldNames(root.get("teacher")))
                .containsExactly("kind", "location", "content_hash", "description", "model_version", "endpoint");
        assertThat(root.get("teacher").get("content_hash").asText()).isEqualTo(TEACHER_HASH);
        assertThat(root.get("terms").get("verdict").asText()).isEqualTo("conditional");
        assertThat(root.get("terms").get("teacher_terms").get("id").asText()).isEqualTo("llama-3.1");
        assertThat(root.get("terms").get("permission").get("recorded_by").asText())
                .isEqualTo("alice@example.org");
        assertThat(root.get("terms").get("attribution_notices").get(0).asText()).isEqualTo("Built with Llama");
        assertThat(fieldNames(root.get("datasets").get(0))).containsExactly("role", "name", "content_hash", "rows");
        assertThat(root.get("datasets").findValuesAsText("role")).containsExactly("train", "validation", "test");
        assertThat(root.get("label_collection").get("tokens").asInt()).isEqualTo(34567);
        assertThat(root.get("training").get("distillation").get("temperature").asDouble())
                .isEqualTo(4.0);
        assertThat(root.get("training").get("distillation").get("alpha").asDouble())
                .isEqualTo(0.7);
        assertThat(root.get("seed").asLong()).isEqualTo(42);
        assertThat(fieldNames(root.get("software")))
                .containsExactly("distill4j", "git_commit", "java", "djl", "pytorch", "os");
        assertThat(root.get("created_at").asText()).isEqualTo("2026-11-29T12:00:00Z");
        assertThat(fieldNames(root.get("files"))).isSorted().hasSize(3);
    }

    @Test
    void modelWithoutTeacherRecordsNullTeacherAndTerms() throws Exception {
        saveModelFiles();
        ProvenanceManifest m = manifest();
        ProvenanceManifest scratch = ProvenanceManifest.of(
                new ModelInfo("student_scratch", "tiny", "MLP"),
                null,
                null,
                m.datasets(),
                null,
                m.training(),
                7L,
                m.software(),
                NOW);

        ProvenanceManifest written = Provenance.write(dir, scratch);

        JsonNode root = JSON.readTree(dir.resolve(Provenance.FILE_NAME).toFile());
        assertThat(root.get("teacher").isNull()).isTrue();
        assertThat(root.get("terms").isNull()).isTrue();
        assertThat(root.get("label_collection").isNull()).isTrue();
        assertThat(Provenance.read(dir)).isEqualTo(written);
    }

    @Test
    void verifyIsOkOnAnUntouchedDirectory() throws Exception {
        saveModelFiles();
        Provenance.write(dir, manifest());

        VerificationReport report = Provenance.verify(dir);

        assertThat(report.ok()).isTrue();
        assertThat(report.recordedFiles()).isEqualTo(3);
        assertThat(report.describe()).startsWith("OK:").contains("3 recorded files unchanged");
    }

    @Test
    void verifyReportsAChangedByteWithBothHashes() throws Exception {
        saveModelFiles();
        Path params = dir.resolve("model-0000.params");
        Provenance.write(dir, manifest());
        String before = Hashing.sha256(params);
        byte[] bytes = Files.readAllBytes(params);
        bytes[3] ^= 1;
        Files.write(params, bytes);

        VerificationReport report = Provenance.verify(dir);

        String after = Hashing.sha256(params);
        assertThat(report.ok()).isFalse();
        assertThat(report.changed())
                .containsExactly(new VerificationReport.ChangedFile("model-0000.params", before, after));
        assertThat(report.missing()).isEmpty();
        assertThat(report.unrecorded()).isEmpty();
        assertThat(report.describe()).startsWith("FAILED:").contains("model-0000.params", before, after);
    }

    @Test
    void verifyReportsADeletedFileAsMissing() throws Exception {
        saveModelFiles();
        Provenance.write(dir, manifest());
        Files.delete(dir.resolve("training.json"));

        VerificationReport report = Provenance.verify(dir);

        assertThat(report.ok()).isFalse();
        assertThat(report.missing()).containsExactly("training.json");
        assertThat(report.changed()).isEmpty();
        assertThat(report.describe()).contains("missing:    training.json");
    }

    @Test
    void verifyReportsAnAddedFileAsUnrecordedButIgnoresHiddenFilesAndSubdirectories() throws Exception {
        saveModelFiles();
        Provenance.write(dir, manifest());
        Files.writeString(dir.resolve("extra.bin"), "surprise");
        Files.writeString(dir.resolve(".hidden"), "ignored");
        Files.writeString(dir.resolve("checkpoints/epoch-2.params"), "ignored");

        VerificationReport report = Provenance.verify(dir);

        assertThat(report.ok()).isFalse();
        assertThat(report.unrecorded()).containsExactly("extra.bin");
        assertThat(report.changed()).isEmpty();
        assertThat(report.missing()).isEmpty();
        assertThat(report.describe()).contains("unrecorded: extra.bin");
    }

    @Test
    void corruptManifestGivesAnErrorNamingTheFile() throws Exception {
        saveModelFiles();
        Provenance.write(dir, manifest());
        Path file = dir.resolve(Provenance.FILE_NAME);
        String json = Files.readString(file, StandardCharsets.UTF_8);
        Files.writeString(file, json.substring(0, json.length() / 2));

        assertThatThrownBy(() -> Provenance.verify(dir))
                .isInstanceOf(ProvenanceException.class)
                .hasMessageContaining("malformed provenance manifest")
                .hasMessageContaining(file.toAbsolutePath().toString());
    }

    @Test
    void invalidManifestContentGivesAnErrorNamingTheFileAndTheProblem() throws Exception {
        Path file = dir.resolve(Provenance.FILE_NAME);
        Files.writeString(file, "{\"format\": \"something-else\", \"version\": 1}");

        assertThatThrownBy(() -> Provenance.read(dir))
                .isInstanceOf(ProvenanceException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("distill4j-provenance");

        Files.writeString(file, "{\"format\": \"distill4j-provenance\", \"version\": 2}");
        assertThatThrownBy(() -> Provenance.read(dir))
                .isInstanceOf(ProvenanceException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("unsupported version 2");
    }

    @Test
    void missingManifestGivesAnErrorNamingTheFile() {
        assertThatThrownBy(() -> Provenance.read(dir))
                .isInstanceOf(ProvenanceException.class)
                .hasMessageContaining("no provenance manifest")
                .hasMessageContaining(
                        dir.resolve(Provenance.FILE_NAME).toAbsolutePath().toString());
    }

    @Test
    void manifestIsImmutableAndKeepsRecordedNulls() throws Exception {
        ProvenanceManifest m = manifest();

        assertThat(m.terms()).containsEntry("suggested_student_name", null);
        assertThatThrownBy(() -> m.training().put("epochs", 6)).isInstanceOf(UnsupportedOperationException.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> kd = (Map<String, Object>) m.training().get("distillation");
        assertThatThrownBy(() -> kd.put("alpha", 1.0)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.withFiles(Map.of("a", "b")).files().put("c", "d"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void detectedSoftwareHasNoBlankField() {
        SoftwareInfo s = SoftwareInfo.detect();

        assertThat(List.of(s.distill4j(), s.gitCommit(), s.java(), s.djl(), s.pytorch(), s.os()))
                .noneMatch(String::isBlank);
        assertThat(s.gitCommit()).matches("unknown|[0-9a-f]{7,64}");
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
