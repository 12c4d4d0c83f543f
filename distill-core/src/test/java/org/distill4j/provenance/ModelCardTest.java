package org.distill4j.provenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.teacher.TeacherIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCardTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path dir;

    private static ModelMetrics metrics(double accuracy, long params, double agreement) {
        int size = 10000;
        int errors = (int) Math.round((1 - accuracy) * size);
        return new ModelMetrics(accuracy, accuracy, errors, size, params, params * 4, agreement, 0.01, 0.123, 0.5, 9000, 256);
    }

    private static ModelCardData data(String name, TeacherIdentity teacher, Map<String, Object> terms) {
        Map<String, ModelMetrics> m = new LinkedHashMap<>();
        m.put("student_distilled", metrics(0.975, 50890, 0.981));
        m.put("teacher", metrics(0.984, 669706, 1.0));
        m.put("student_scratch", metrics(0.968, 50890, 0.970));
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("temperature", 4.0);
        training.put("alpha", 0.7);
        training.put("mode", "soft_targets");
        training.put("epochs", 10);
        return new ModelCardData(name, "student_distilled", "MLP 784-64-10, relu", null, teacher, terms, m,
                List.of("mnist"), training, 42L, "llama3.1");
    }

    private static TeacherIdentity teacher() {
        return new TeacherIdentity("distill4j", "/models/teacher", "ab".repeat(32), "MLP 784-512-512-10");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> frontMatter(String card) throws Exception {
        assertThat(card).startsWith("---\n");
        int end = card.indexOf("\n---\n", 4);
        assertThat(end).as("closing front-matter line").isPositive();
        return YAML.readValue(card.substring(4, end + 1), Map.class);
    }

    @Test
    void frontMatterParsesAsYamlWithTheHuggingFaceKeys() throws Exception {
        Path file = ModelCard.write(dir, data("Llama-tiny", teacher(), ProvenanceTest.approval().toMap()));

        assertThat(file).isEqualTo(dir.resolve("README.md"));
        Map<String, Object> fm = frontMatter(Files.readString(file));
        assertThat(fm.get("model_name")).isEqualTo("Llama-tiny");
        assertThat(fm).containsKeys("license", "base_model", "tags", "datasets", "metrics", "library_name");
        assertThat(fm.get("license")).isEqualTo("llama3.1");
        assertThat(fm.get("base_model")).isEqualTo("MLP 784-512-512-10");
        assertThat((List<Object>) fm.get("tags")).contains("distillation", "distill4j");
        assertThat((List<Object>) fm.get("datasets")).containsExactly("mnist");
        assertThat((List<Object>) fm.get("metrics")).contains("accuracy");
        assertThat(fm.get("library_name")).isEqualTo("djl");
    }

    @Test
    void requiredNoticeAppearsVerbatimAtTheTopAndInTheTermsSection() throws Exception {
        String card = Files.readString(ModelCard.write(dir, data("Llama-tiny", teacher(), ProvenanceTest.approval().toMap())));

        String body = card.substring(card.indexOf("\n---\n", 4) + 5);
        int title = body.indexOf("# Llama-tiny");
        int firstNotice = body.indexOf("Built with Llama");
        assertThat(title).isNotNegative();
        assertThat(firstNotice).as("notice right under the title, before the results")
                .isGreaterThan(title).isLessThan(body.indexOf("## Results"));
        int terms = body.indexOf("## Teacher and terms");
        assertThat(body.indexOf("Built with Llama", terms)).isGreaterThan(terms);
        assertThat(body)
                .contains("`llama-3.1`")
                .contains("**conditional**")
                .contains("https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE")
                .contains("> If you use the Llama Materials")
                .contains("OpenAI research agreement #42")
                .contains("alice@example.org")
                .contains("user_threshold");
    }

    @Test
    void bodyHasResultsTrainingLoadingAndProvenanceSections() throws Exception {
        String card = Files.readString(ModelCard.write(dir, data("Llama-tiny", teacher(), ProvenanceTest.approval().toMap())));

        assertThat(card).contains("## Results", "## Teacher and terms", "## Training", "## How to load from Java",
                "## Provenance");
        int teacherRow = card.indexOf("| teacher |");
        int scratchRow = card.indexOf("| student_scratch |");
        int distilledRow = card.indexOf("| **student_distilled** (this model) |");
        assertThat(teacherRow).isPositive().isLessThan(scratchRow);
        assertThat(scratchRow).isLessThan(distilledRow);
        assertThat(card).contains("97.50%", "250 / 10000", "50,890", "98.10%", "0.123");
        assertThat(card).contains("- temperature: 4.0", "- alpha: 0.7", "- Seed: 42", "- Data: mnist");
        assertThat(card).contains("SavedModel.load(Path.of(", "model.logits(inputs)");
        assertThat(card).contains("provenance.json", "distill provenance verify " + dir.getFileName());
    }

    @Test
    void namesWithColonsAndQuotesAreEscapedInTheFrontMatter() throws Exception {
        String tricky = "Llama: \"tiny\" 'student' # v1";
        TeacherIdentity teacher = new TeacherIdentity("torchscript", "/m/t.pt", "cd".repeat(32), "teacher: \"big\" - [x]");

        String card = Files.readString(ModelCard.write(dir, data(tricky, teacher, null)));

        Map<String, Object> fm = frontMatter(card);
        assertThat(fm.get("model_name")).isEqualTo(tricky);
        assertThat(fm.get("base_model")).isEqualTo("teacher: \"big\" - [x]");
        assertThat(card).contains("# " + tricky + "\n");
    }

    @Test
    void modelWithoutTeacherSaysSoAndHasNoBaseModel() throws Exception {
        ModelCardData d = new ModelCardData("tiny", "student_scratch", "MLP", "A small model.", null, null,
                Map.of("student_scratch", metrics(0.96, 100, Double.NaN)), List.of(), Map.of(), 1L, "apache-2.0");

        String card = ModelCard.render(d, "tiny");

        assertThat(frontMatter(card)).doesNotContainKey("base_model").containsEntry("license", "apache-2.0");
        assertThat(card).contains("A small model.", "trained without a teacher", "n/a").doesNotContain("Required notice");
    }

    @Test
    void multiLineNamesAreRejected() {
        assertThatThrownBy(() -> data("tiny\n## Injected", teacher(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("studentName");
    }
}
