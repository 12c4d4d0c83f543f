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
        return new ModelMetrics(
                accuracy, accuracy, errors, size, params, params * 4, agreement, 0.01, 0.123, 0.5, 9000, 256);
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
        return new ModelCardData(
                name,
                "student_distilled",
                "MLP 784-64-10, relu",
                null,
                teacher,
                terms,
                m,
                List.of("mnist"),
                training,
                42L,
                "llama3.1");
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
        Path file = ModelCard.write(
                dir,
                data("Llama-tiny", teacher(), ProvenanceTest.approval().toMap())
                        .withHubMetadata(ModelCardData.IMAGE_CLASSIFICATION, "mnist"));

        assertThat(file).isEqualTo(dir.resolve("README.md"));
        Map<String, Object> fm = frontMatter(Files.readString(file));
        assertThat(fm.get("model_name")).isEqualTo("Llama-tiny");
        assertThat(fm)
                .containsKeys(
                        "license",
                        "license_name",
                        "license_link",
                        "pipeline_tag",
                        "tags",
                        "metrics",
                        "library_name",
                        "model-index");
        // llama3.1 is not an id the Hub lists: "other", named, linked to the terms' source.
        assertThat(fm.get("license")).isEqualTo("other");
        assertThat(fm.get("license_name")).isEqualTo("llama3.1");
        assertThat(fm.get("license_link"))
                .isEqualTo("https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE");
        // A local teacher directory and a local data set are not Hub ids: no base_model, no datasets.
        assertThat(fm).doesNotContainKeys("base_model", "datasets");
        assertThat(fm.get("pipeline_tag")).isEqualTo("image-classification");
        assertThat((List<Object>) fm.get("tags")).contains("distillation", "distill4j");
        assertThat((List<Object>) fm.get("metrics")).contains("accuracy");
        assertThat(fm.get("library_name")).isEqualTo("djl");
        Map<String, Object> result = onlyResult(fm, "Llama-tiny");
        assertThat(result.get("task"))
                .isEqualTo(Map.of("type", "image-classification", "name", "Image Classification"));
        assertThat(result.get("dataset")).isEqualTo(Map.of("type", "custom", "name", "mnist", "split", "test"));
        List<Map<String, Object>> metrics = (List<Map<String, Object>>) result.get("metrics");
        assertThat(metrics.get(0)).containsEntry("type", "accuracy").containsEntry("name", "Test accuracy");
        assertThat(metrics.get(0).get("value")).isInstanceOf(Double.class).isEqualTo(0.975);
        assertThat(metrics.get(1)).containsEntry("type", "agreement").containsEntry("value", 0.981);
        // Local names stay in the text.
        assertThat(Files.readString(file)).contains("- Data: mnist", "test split of `mnist`");
    }

    @Test
    void hubIdsGoIntoBaseModelDatasetsAndTheModelIndex() throws Exception {
        TeacherIdentity remote = new TeacherIdentity(
                "http-openai",
                "http://127.0.0.1:8000/v1/chat/completions",
                "ef".repeat(32),
                "model meta-llama/Llama-3.1-8B-Instruct via chat completions, top_logprobs=5");
        ModelCardData d = new ModelCardData(
                        "sst2-tiny",
                        "student_distilled",
                        "bag 4096-64-2",
                        null,
                        remote,
                        null,
                        Map.of("student_distilled", metrics(0.91, 1000, 0.95)),
                        List.of("hf://datasets/stanfordnlp/sst2", "local-extra.jsonl"),
                        Map.of(),
                        7L,
                        "apache-2.0")
                .withHubMetadata(ModelCardData.TEXT_CLASSIFICATION, "hf://datasets/stanfordnlp/sst2");

        Map<String, Object> fm = frontMatter(ModelCard.render(d, "sst2-tiny"));

        assertThat(fm.get("base_model")).isEqualTo("meta-llama/Llama-3.1-8B-Instruct");
        assertThat(fm.get("datasets")).isEqualTo(List.of("stanfordnlp/sst2"));
        assertThat(fm.get("license")).isEqualTo("apache-2.0");
        assertThat(fm).doesNotContainKeys("license_name", "license_link");
        assertThat(fm.get("pipeline_tag")).isEqualTo("text-classification");
        Map<String, Object> result = onlyResult(fm, "sst2-tiny");
        assertThat((Map<String, Object>) result.get("dataset")).containsEntry("type", "stanfordnlp/sst2");
        assertThat((Map<String, Object>) result.get("task")).containsEntry("type", "text-classification");
    }

    @Test
    void anHttpTeacherWithoutAHubStyleNameAndAnUnlistedLicenceWithoutTermsGetNeither() throws Exception {
        TeacherIdentity remote = new TeacherIdentity(
                "http-openai",
                "https://api.openai.com/v1/chat/completions",
                "ef".repeat(32),
                "model gpt-4o-mini via chat completions, top_logprobs=5");
        ModelCardData d = new ModelCardData(
                "tiny", "student_distilled", "MLP", null, remote, null, Map.of(), List.of(), Map.of(), 7L, "other");

        Map<String, Object> fm = frontMatter(ModelCard.render(d, "tiny"));

        assertThat(fm).doesNotContainKeys("base_model", "datasets", "pipeline_tag", "model-index");
        assertThat(fm)
                .containsEntry("license", "other")
                .containsEntry("license_name", "unspecified")
                .containsEntry("license_link", "LICENSE");
    }

    @Test
    void hubIdsAreRecognisedOnlyWhenMarked() {
        assertThat(HubIds.dataset("mnist/train"))
                .as("looks like owner/name, is a local name")
                .isEmpty();
        assertThat(HubIds.dataset("hf://datasets/ylecun/mnist")).contains("ylecun/mnist");
        assertThat(HubIds.dataset("https://huggingface.co/datasets/ylecun/mnist/"))
                .contains("ylecun/mnist");
        assertThat(HubIds.dataset("https://huggingface.co/ylecun/mnist"))
                .as("a model URL")
                .isEmpty();
        assertThat(HubIds.model("hf:google/gemma-2b")).contains("google/gemma-2b");
        assertThat(HubIds.model("hf:bad--name/x")).isEmpty();
        assertThat(HubIds.model("hf:../etc")).isEmpty();
        assertThat(HubIds.teacher(teacher())).as("a local directory").isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> onlyResult(Map<String, Object> fm, String modelName) {
        List<Map<String, Object>> index = (List<Map<String, Object>>) fm.get("model-index");
        assertThat(index).hasSize(1);
        assertThat(index.get(0).get("name")).isEqualTo(modelName);
        List<Map<String, Object>> results =
                (List<Map<String, Object>>) index.get(0).get("results");
        assertThat(results).hasSize(1);
        return results.get(0);
    }

    @Test
    void requiredNoticeAppearsVerbatimAtTheTopAndInTheTermsSection() throws Exception {
        String card = Files.readString(ModelCard.write(
                dir, data("Llama-tiny", teacher(), ProvenanceTest.approval().toMap())));

        String body = card.substring(card.indexOf("\n---\n", 4) + 5);
        int title = body.indexOf("# Llama-tiny");
        int firstNotice = body.indexOf("Built with Llama");
        assertThat(title).isNotNegative();
        assertThat(firstNotice)
                .as("notice right under the title, before the results")
                .isGreaterThan(title)
                .isLessThan(body.indexOf("## Results"));
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
        String card = Files.readString(ModelCard.write(
                dir, data("Llama-tiny", teacher(), ProvenanceTest.approval().toMap())));

        assertThat(card)
                .contains(
                        "## Results",
                        "## Teacher and terms",
                        "## Training",
                        "## How to load from Java",
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
        TeacherIdentity teacher =
                new TeacherIdentity("torchscript", "/m/t.pt", "cd".repeat(32), "teacher: \"big\" - [x]");

        String card = Files.readString(ModelCard.write(dir, data(tricky, teacher, null)));

        Map<String, Object> fm = frontMatter(card);
        assertThat(fm.get("model_name")).isEqualTo(tricky);
        assertThat(fm).as("a TorchScript file is not a Hub id").doesNotContainKey("base_model");
        assertThat(card).contains("# " + tricky + "\n", "teacher: \"big\" - [x]");
        ModelCardData withIndex =
                data(tricky, teacher, null).withHubMetadata(ModelCardData.IMAGE_CLASSIFICATION, "a: b");
        assertThat(onlyResult(frontMatter(ModelCard.render(withIndex, "x")), tricky)
                        .get("dataset"))
                .isEqualTo(Map.of("type", "custom", "name", "a: b", "split", "test"));
    }

    @Test
    void modelWithoutTeacherSaysSoAndHasNoBaseModel() throws Exception {
        ModelCardData d = new ModelCardData(
                "tiny",
                "student_scratch",
                "MLP",
                "A small model.",
                null,
                null,
                Map.of("student_scratch", metrics(0.96, 100, Double.NaN)),
                List.of(),
                Map.of(),
                1L,
                "apache-2.0");

        String card = ModelCard.render(d, "tiny");

        assertThat(frontMatter(card)).doesNotContainKey("base_model").containsEntry("license", "apache-2.0");
        assertThat(card)
                .contains("A small model.", "trained without a teacher", "n/a")
                .doesNotContain("Required notice");
    }

    @Test
    void multiLineNamesAreRejected() {
        assertThatThrownBy(() -> data("tiny\n## Injected", teacher(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("studentName");
    }
}
