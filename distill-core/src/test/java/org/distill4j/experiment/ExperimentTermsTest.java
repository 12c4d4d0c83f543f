package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.IdxTestFiles;
import org.distill4j.provenance.Provenance;
import org.distill4j.provenance.ProvenanceManifest;
import org.distill4j.recipe.Recipe;
import org.distill4j.recipe.RecipeLoader;
import org.distill4j.report.ExperimentResults;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.terms.GateDecision;
import org.distill4j.terms.OutputsForTraining;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The terms gate as the experiment applies it: before any training, for every teacher. */
class ExperimentTermsTest {

    static Recipe recipe(Path tmp, String terms, String studentName) throws Exception {
        Path data = IdxTestFiles.writeDataset(
                tmp.resolve("data"),
                IdxTestFiles.Part.random(120, 6, 6, 10, 1),
                IdxTestFiles.Part.random(40, 6, 6, 10, 2),
                true);
        String yaml = """
                name: terms-test
                data: {format: idx, dir: %s, validation_fraction: 0}
                teacher:
                  %s
                  model: {type: mlp, hidden: [16]}
                  training: {epochs: 1, batch_size: 32}
                student:
                  %s
                  model: {type: mlp, hidden: [4]}
                  training: {epochs: 1, batch_size: 32}
                evaluation: {latency_runs: 10, throughput_batch: 8}
                """.formatted(
                data, terms == null ? "" : "terms: " + terms, studentName == null ? "" : "name: " + studentName);
        return RecipeLoader.parse(yaml, "test", tmp, List.of());
    }

    static Experiment experiment(Recipe r, Path tmp, String permission, boolean acknowledge) {
        return new Experiment(
                r,
                tmp.resolve("out"),
                new Experiment.Options(tmp.resolve("cache"), false, permission, acknowledge),
                ExperimentListener.NONE);
    }

    @Test
    void prohibitedTeacherIsRefusedBeforeAnythingIsTrained(@TempDir Path tmp) throws Exception {
        Experiment e = experiment(recipe(tmp, "openai-api", null), tmp, null, false);
        assertThatThrownBy(e::run)
                .isInstanceOf(DistillationRefusedException.class)
                .hasMessageContaining("openai-api")
                .hasMessageContaining("https://openai.com")
                .hasMessageContaining("--permission");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void prohibitedTeacherWithRecordedPermissionRunsToTheEnd(@TempDir Path tmp) throws Exception {
        Experiment e = experiment(recipe(tmp, "openai-api", null), tmp, "enterprise agreement 2026-17", false);
        assertThat(e.evaluateTerms().proceeds()).isTrue();
        ExperimentResults results = e.run();
        assertThat(results.models()).hasSize(3);
        Path student = tmp.resolve("out/student_distilled");
        assertThat(student.resolve("model-0000.params")).exists();

        // The permission travels with the student: in its provenance and its model card.
        ProvenanceManifest manifest = Provenance.read(student);
        assertThat(manifest.teacher().kind()).isEqualTo("distill4j");
        assertThat(manifest.teacher().contentHash()).hasSize(64);
        assertThat(manifest.terms().toString()).contains("openai-api", "enterprise agreement 2026-17");
        // The approval names the teacher it was granted for: the one the student learned from.
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> approved =
                (java.util.Map<String, Object>) manifest.terms().get("approved_teacher");
        assertThat(approved)
                .containsEntry("content_hash", manifest.teacher().contentHash())
                .containsEntry("kind", "distill4j");
        assertThat(manifest.datasets()).extracting(d -> d.role().name()).containsExactly("TRAIN", "TEST");
        assertThat(manifest.files()).containsKeys("model.json", "model-0000.params", "training.json", "README.md");
        assertThat(manifest.training()).containsKeys("model", "training", "distillation", "pytorch_threads");
        // Results depend on the thread count, so the provenance records it (Surefire runs one thread).
        assertThat(manifest.training().get("pytorch_threads").toString()).contains("intra_op=1");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(tmp.resolve("out/metrics.json").toFile())
                        .at("/environment/pytorch_threads")
                        .asText())
                .isEqualTo("1");
        assertThat(Provenance.verify(student).ok()).isTrue();
        assertThat(Files.readString(student.resolve("README.md")))
                .contains("enterprise agreement 2026-17", "openai-api", "distillation");
        // The scratch student never saw the teacher: no teacher, no terms.
        ProvenanceManifest scratch = Provenance.read(tmp.resolve("out/student_scratch"));
        assertThat(scratch.teacher()).isNull();
        assertThat(scratch.terms()).isNull();
    }

    @Test
    void undeclaredTermsOfALoadedTeacherNeedAnAcknowledgement(@TempDir Path tmp) throws Exception {
        Recipe r = recipe(tmp, "null\n  source: distill4j\n  path: " + tmp.resolve("someone-elses-model"), null);
        GateDecision refused = experiment(r, tmp, null, false).evaluateTerms();
        assertThat(refused.proceeds()).isFalse();
        assertThat(refused.reason()).contains("--acknowledge-unknown-terms");
        GateDecision acknowledged = experiment(r, tmp, null, true).evaluateTerms();
        assertThat(acknowledged.proceeds()).isTrue();
        assertThat(acknowledged.verdict()).isEqualTo(OutputsForTraining.UNKNOWN);
    }

    @Test
    void aTeacherTrainedByTheRecipeIsTheUsersOwnModel(@TempDir Path tmp) throws Exception {
        Recipe r = recipe(tmp, null, null);
        GateDecision own = experiment(r, tmp, null, false).evaluateTerms();
        assertThat(own.proceeds()).isTrue();
        assertThat(own.verdict()).isEqualTo(OutputsForTraining.OWN_MODEL);
        assertThat(own.unknownTermsAcknowledged()).isFalse();
    }

    @Test
    void conditionalTeacherEnforcesTheStudentNamePrefix(@TempDir Path tmp) throws Exception {
        GateDecision wrongName =
                experiment(recipe(tmp, "llama-3.1", "tiny"), tmp, null, false).evaluateTerms();
        assertThat(wrongName.proceeds()).isFalse();
        assertThat(wrongName.reason()).contains("Llama-tiny");
        GateDecision rightName = experiment(recipe(tmp, "llama-3.1", "Llama-tiny"), tmp, null, false)
                .evaluateTerms();
        assertThat(rightName.proceeds()).isTrue();
        assertThat(rightName.toMap().toString()).contains("Built with Llama");
    }

    @Test
    void unknownTermsIdIsARecipeErrorListingCloseIds(@TempDir Path tmp) throws Exception {
        assertThatThrownBy(() -> experiment(recipe(tmp, "llama3", null), tmp, null, false)
                        .evaluateTerms())
                .hasMessageContaining("llama-3");
    }
}
