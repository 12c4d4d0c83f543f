package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.distill4j.io.Hashing;
import org.distill4j.provenance.Provenance;
import org.distill4j.provenance.ProvenanceManifest;
import org.distill4j.terms.TermsException;
import org.distill4j.terms.TermsSpoofingTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14, item 4: the provenance and model card say where the teacher's terms entry came from. */
class TermsOriginExperimentTest {

    @Test
    void aSpoofedBuiltInEntryIsRefusedBeforeTraining(@TempDir Path tmp) throws Exception {
        Path terms = Files.writeString(tmp.resolve("terms.yaml"), TermsSpoofingTest.SPOOF.formatted(""));
        var r = ExperimentTermsTest.recipe(tmp, "openai-api\n  terms_file: " + terms, null);
        assertThatThrownBy(() ->
                        ExperimentTermsTest.experiment(r, tmp, null, false).run())
                .isInstanceOf(TermsException.class)
                .hasMessageContaining("override_built_in");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void anExplicitOverrideIsRecordedInProvenanceAndModelCard(@TempDir Path tmp) throws Exception {
        Path terms = Files.writeString(
                tmp.resolve("terms.yaml"), TermsSpoofingTest.SPOOF.formatted("    override_built_in: true\n"));
        var r = ExperimentTermsTest.recipe(tmp, "openai-api\n  terms_file: " + terms, null);
        ExperimentTermsTest.experiment(r, tmp, null, false).run();
        Path student = tmp.resolve("out/student_distilled");
        ProvenanceManifest manifest = Provenance.read(student);
        @SuppressWarnings("unchecked")
        Map<String, Object> origin = (Map<String, Object>) manifest.terms().get("teacher_terms_origin");
        assertThat(origin)
                .containsEntry("kind", "user-file")
                .containsEntry("file", terms.toString())
                .containsEntry("sha256", Hashing.sha256(Files.readAllBytes(terms)))
                .containsEntry("overrides_built_in", true);
        assertThat(Provenance.verify(student).ok()).isTrue();
        assertThat(Files.readString(student.resolve("README.md")))
                .contains("Terms entry from: user file " + terms)
                .contains("overrides the built-in entry");
    }

    @Test
    void aBuiltInEntryIsRecordedAsBuiltIn(@TempDir Path tmp) throws Exception {
        var r = ExperimentTermsTest.recipe(tmp, "mit", null);
        ExperimentTermsTest.experiment(r, tmp, null, false).run();
        Path student = tmp.resolve("out/student_distilled");
        assertThat(Provenance.read(student).terms().get("teacher_terms_origin")).isEqualTo(Map.of("kind", "built-in"));
        assertThat(Files.readString(student.resolve("README.md"))).contains("Terms entry from: built-in registry");
    }
}
