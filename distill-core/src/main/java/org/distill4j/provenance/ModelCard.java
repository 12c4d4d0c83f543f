package org.distill4j.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.io.AtomicFiles;
import org.distill4j.teacher.TeacherIdentity;

/**
 * Writes a model directory's {@value #FILE_NAME} in the Hugging Face model-card convention: YAML
 * front matter between {@code ---} lines that is valid Hub metadata ({@code model_name}, {@code
 * license} or {@code license: other} with {@code license_name}/{@code license_link}, {@code
 * base_model} only when the teacher is a Hub id, {@code pipeline_tag}, {@code tags}, {@code datasets}
 * only with Hub ids, {@code metrics}, {@code library_name}, {@code model-index} with this model's
 * test results), then Markdown sections: summary, results, teacher and terms, training, how to load
 * it from Java, provenance. Data sets and teachers that are not Hub ids are named in the text.
 *
 * <p>Notices the teacher's terms require (e.g. "Built with Llama") are printed verbatim right
 * under the title and again in the terms section. Front-matter values are written by Jackson YAML,
 * so any name or description is quoted and escaped correctly. Write the card before {@link
 * Provenance#write} so the manifest covers it.
 */
public final class ModelCard {

    /** The card's file name inside a model directory. */
    public static final String FILE_NAME = "README.md";

    /** Results-table rows printed first, in this order; other roles follow in map order. */
    private static final List<String> ROLE_ORDER = List.of("teacher", "student_scratch", "student_distilled");

    private static final int CLAUSE_EXCERPT_CHARS = 400;

    /**
     * Licence ids the Hub lists (huggingface/hub-docs {@code docs/hub/repositories-licenses.md}, read
     * 2026-12-02); any other id is written as {@code license: other} with {@code license_name}.
     */
    private static final java.util.Set<String> HUB_LICENSES = java.util.Set.of(
            "apache-2.0",
            "mit",
            "openrail",
            "bigscience-openrail-m",
            "creativeml-openrail-m",
            "bigscience-bloom-rail-1.0",
            "bigcode-openrail-m",
            "afl-3.0",
            "artistic-2.0",
            "bsl-1.0",
            "bsd",
            "bsd-2-clause",
            "bsd-3-clause",
            "bsd-3-clause-clear",
            "c-uda",
            "cc",
            "cc0-1.0",
            "cc-by-2.0",
            "cc-by-2.5",
            "cc-by-3.0",
            "cc-by-4.0",
            "cc-by-sa-3.0",
            "cc-by-sa-4.0",
            "cc-by-nc-2.0",
            "cc-by-nc-3.0",
            "cc-by-nc-4.0",
            "cc-by-nd-4.0",
            "cc-by-nc-nd-3.0",
            "cc-by-nc-nd-4.0",
            "cc-by-nc-sa-2.0",
            "cc-by-nc-sa-3.0",
            "cc-by-nc-sa-4.0",
            "cdla-sharing-1.0",
            "cdla-permissive-1.0",
            "cdla-permissive-2.0",
            "wtfpl",
            "ecl-2.0",
            "epl-1.0",
            "epl-2.0",
            "etalab-2.0",
            "eupl-1.1",
            "agpl-3.0",
            "gfdl",
            "gpl",
            "gpl-2.0",
            "gpl-3.0",
            "lgpl",
            "lgpl-2.1",
            "lgpl-3.0",
            "isc",
            "lppl-1.3c",
            "ms-pl",
            "mpl-2.0",
            "odc-by",
            "odbl",
            "openrail++",
            "osl-3.0",
            "postgresql",
            "ofl-1.1",
            "ncsa",
            "unlicense",
            "zlib",
            "pddl",
            "lgpl-lr",
            "deepfloyd-if-license",
            "llama2",
            "gemma",
            "unknown",
            "other");

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            // Long values stay on one line: easier to read and to grep than YAML line folding.
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .build());

    private ModelCard() {}

    /**
     * Writes {@value #FILE_NAME} into {@code modelDir} atomically.
     *
     * @return the written file
     */
    public static Path write(Path modelDir, ModelCardData data) throws IOException {
        Path file = modelDir.resolve(FILE_NAME);
        String name = modelDir.toAbsolutePath().getFileName() == null
                ? "model"
                : modelDir.toAbsolutePath().getFileName().toString();
        AtomicFiles.writeString(file, render(data, name));
        return file;
    }

    /**
     * Renders the card.
     *
     * @param data what to describe
     * @param directoryName the model directory's name, used in the loading and verifying examples
     */
    public static String render(ModelCardData data, String directoryName) {
        StringBuilder md = new StringBuilder();
        md.append("---\n").append(frontMatter(data)).append("---\n\n");
        md.append("# ").append(data.studentName()).append("\n\n");
        List<String> notices = data.attributionNotices();
        if (!notices.isEmpty()) {
            md.append("> **Required notice")
                    .append(notices.size() == 1 ? "" : "s")
                    .append(" (from the teacher's terms):**\n");
            notices.forEach(n -> md.append("> **").append(n).append("**\n"));
            md.append('\n');
        }
        md.append(summary(data)).append("\n\n");
        results(md, data);
        teacherAndTerms(md, data, notices);
        training(md, data);
        howToLoad(md, directoryName);
        provenance(md, directoryName);
        return md.toString();
    }

    static String frontMatter(ModelCardData data) {
        Map<String, Object> fm = new LinkedHashMap<>();
        // Not a Hub-defined key; the Hub keeps unknown keys, and it lets tools find the name without parsing Markdown.
        fm.put("model_name", data.studentName());
        license(fm, data);
        // base_model links the card to another Hub repository: only a real Hub id may go there.
        HubIds.teacher(data.teacher()).ifPresent(id -> fm.put("base_model", id));
        if (data.pipelineTag() != null) {
            fm.put("pipeline_tag", data.pipelineTag());
        }
        fm.put("tags", List.of("distillation", "distill4j", "knowledge-distillation"));
        // The Hub checks `datasets` against its own ids; local data sets are named in the card's text instead.
        List<String> hubDatasets = data.datasets().stream()
                .map(HubIds::dataset)
                .flatMap(java.util.Optional::stream)
                .distinct()
                .toList();
        if (!hubDatasets.isEmpty()) {
            fm.put("datasets", hubDatasets);
        }
        fm.put("metrics", List.of("accuracy"));
        fm.put("library_name", "djl");
        List<Map<String, Object>> index = modelIndex(data);
        if (!index.isEmpty()) {
            fm.put("model-index", index);
        }
        try {
            return YAML.writeValueAsString(fm);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write model-card front matter", e);
        }
    }

    /**
     * {@code license}; for an id the Hub does not list, {@code license: other} with {@code
     * license_name} (the id, else the teacher's terms id) and {@code license_link} (the terms'
     * source URL, else {@code LICENSE}, the file the Hub expects next to the card).
     */
    private static void license(Map<String, Object> fm, ModelCardData data) {
        String id = data.license().toLowerCase(Locale.ROOT);
        if (HUB_LICENSES.contains(id) && !id.equals("other")) {
            fm.put("license", id);
            return;
        }
        Map<String, Object> entry =
                data.terms() == null ? null : asMap(data.terms().get("teacher_terms"));
        String name = !id.equals("other")
                ? id
                : entry != null && entry.get("id") != null ? String.valueOf(entry.get("id")) : "unspecified";
        Object source = entry == null ? null : entry.get("source");
        String link = source instanceof String url && url.matches("https?://\\S+") ? url : "LICENSE";
        fm.put("license", "other");
        fm.put(
                "license_name",
                name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]+", "-").replaceAll("^-|-$", ""));
        fm.put("license_link", link);
    }

    /** {@code model-index}: this model's test results in the Hub's evaluation-results schema. */
    private static List<Map<String, Object>> modelIndex(ModelCardData data) {
        ModelMetrics m = data.metrics().get(data.role());
        if (data.pipelineTag() == null
                || m == null
                || data.evalDataset() == null
                || !Double.isFinite(m.testAccuracy())) {
            return List.of();
        }
        Map<String, Object> task = new LinkedHashMap<>();
        task.put("type", data.pipelineTag());
        task.put("name", taskName(data.pipelineTag()));
        Map<String, Object> dataset = new LinkedHashMap<>();
        // `type` must be a Hub data-set id; a local data set gets the placeholder "custom" and its name in `name`.
        dataset.put("type", HubIds.dataset(data.evalDataset()).orElse("custom"));
        dataset.put("name", data.evalDataset());
        dataset.put("split", "test");
        List<Map<String, Object>> metrics = new ArrayList<>();
        metrics.add(metric("accuracy", m.testAccuracy(), "Test accuracy"));
        if (Double.isFinite(m.agreementWithTeacher())) {
            metrics.add(metric("agreement", m.agreementWithTeacher(), "Agreement with the teacher (top-1)"));
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("task", task);
        result.put("dataset", dataset);
        result.put("metrics", metrics);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("name", data.studentName());
        model.put("results", List.of(result));
        return List.of(model);
    }

    private static Map<String, Object> metric(String type, double value, String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("value", Math.round(value * 1e6) / 1e6); // a fraction in [0, 1]
        m.put("name", name);
        return m;
    }

    private static String taskName(String pipelineTag) {
        StringBuilder sb = new StringBuilder();
        for (String w : pipelineTag.split("-")) {
            sb.append(sb.length() == 0 ? "" : " ")
                    .append(Character.toUpperCase(w.charAt(0)))
                    .append(w.substring(1));
        }
        return sb.toString();
    }

    private static String summary(ModelCardData data) {
        if (data.summary() != null && !data.summary().isBlank()) {
            return data.summary().strip();
        }
        String from = data.teacher() == null
                ? "trained from scratch, without a teacher"
                : "distilled from the teacher " + teacherName(data.teacher());
        return data.studentName() + " is a classifier (" + data.architecture() + "; " + data.role() + ") " + from
                + ", with distill4j.";
    }

    private static void results(StringBuilder md, ModelCardData data) {
        md.append("## Results\n\n");
        if (data.metrics().isEmpty()) {
            md.append("No evaluation results were recorded.\n\n");
            return;
        }
        if (data.evalDataset() != null) {
            md.append("Measured on the test split of `")
                    .append(data.evalDataset())
                    .append("`.\n\n");
        }
        md.append("| Model | Test accuracy | Errors | Params | Size | Agreement with teacher | p50 latency (ms) |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (String role : orderedRoles(data.metrics())) {
            ModelMetrics m = data.metrics().get(role);
            String label = role.equals(data.role()) ? "**" + cell(role) + "** (this model)" : cell(role);
            md.append("| ")
                    .append(label)
                    .append(" | ")
                    .append(percent(m.testAccuracy()))
                    .append(" | ")
                    .append(m.testErrors())
                    .append(" / ")
                    .append(m.testSize())
                    .append(" | ")
                    .append(String.format(Locale.ROOT, "%,d", m.params()))
                    .append(" | ")
                    .append(bytes(m.sizeBytes()))
                    .append(" | ")
                    .append(percent(m.agreementWithTeacher()))
                    .append(" | ")
                    .append(
                            Double.isFinite(m.latencyMsP50())
                                    ? String.format(Locale.ROOT, "%.3f", m.latencyMsP50())
                                    : "n/a")
                    .append(" |\n");
        }
        md.append('\n');
    }

    private static List<String> orderedRoles(Map<String, ModelMetrics> metrics) {
        List<String> roles = new ArrayList<>();
        ROLE_ORDER.stream().filter(metrics::containsKey).forEach(roles::add);
        metrics.keySet().stream().filter(r -> !ROLE_ORDER.contains(r)).forEach(roles::add);
        return roles;
    }

    private static void teacherAndTerms(StringBuilder md, ModelCardData data, List<String> notices) {
        md.append("## Teacher and terms\n\n");
        TeacherIdentity t = data.teacher();
        if (t == null) {
            md.append("This model was trained without a teacher.\n\n");
        } else {
            md.append("- Teacher: ")
                    .append(teacherName(t))
                    .append('\n')
                    .append("- Kind: `")
                    .append(t.kind())
                    .append("`\n")
                    .append("- Location: `")
                    .append(t.location())
                    .append("`\n")
                    .append("- Content SHA-256: `")
                    .append(t.contentHash())
                    .append("`\n\n");
        }
        Map<String, Object> terms = data.terms();
        if (terms == null) {
            md.append(t == null ? "" : "No terms decision was recorded for this teacher.\n\n");
        } else {
            Map<String, Object> entry = asMap(terms.get("teacher_terms"));
            if (entry == null) {
                md.append("- Terms: none declared for this teacher\n");
            } else {
                md.append("- Terms: ")
                        .append(entry.get("name"))
                        .append(" (`")
                        .append(entry.get("id"))
                        .append("`)\n");
            }
            md.append("- Verdict on training from its outputs: **")
                    .append(terms.get("verdict"))
                    .append("**\n");
            if (entry != null) {
                md.append("- Source: ")
                        .append(entry.get("source"))
                        .append(entry.get("read_on") == null ? "" : " (read on " + entry.get("read_on") + ")")
                        .append('\n');
            }
            Map<String, Object> origin = asMap(terms.get("teacher_terms_origin"));
            if (origin != null) {
                // Where the entry itself came from: a user file can declare anything under any
                // source URL, so the card says so next to the quoted clause.
                md.append("- Terms entry from: ")
                        .append(
                                "user-file".equals(origin.get("kind"))
                                        ? "user file " + origin.get("file") + " (sha256 " + origin.get("sha256") + ")"
                                                + (Boolean.TRUE.equals(origin.get("overrides_built_in"))
                                                        ? ", which overrides the built-in entry of the same id"
                                                        : "")
                                        : "built-in registry")
                        .append('\n');
            }
            Map<String, Object> permission = asMap(terms.get("permission"));
            if (permission != null) {
                md.append("- Permission relied on: ")
                        .append(permission.get("reference"))
                        .append(" (recorded by ")
                        .append(permission.get("recorded_by"))
                        .append(" at ")
                        .append(permission.get("recorded_at"))
                        .append(")\n");
            }
            if (Boolean.TRUE.equals(terms.get("unknown_terms_acknowledged"))) {
                md.append("- The user acknowledged that the teacher's terms are unknown.\n");
            }
            md.append('\n');
            if (entry != null && entry.get("clause") != null) {
                md.append("Clause, as read:\n\n");
                for (String line : excerpt(String.valueOf(entry.get("clause"))).split("\n")) {
                    md.append("> ").append(line).append('\n');
                }
                md.append('\n');
            }
            outstandingConditions(md, terms.get("outstanding_conditions"));
        }
        if (!notices.isEmpty()) {
            md.append("### Required notices\n\n");
            md.append("The teacher's terms require these notices wherever this model is distributed:\n\n");
            notices.forEach(n -> md.append("- **").append(n).append("**\n"));
            md.append('\n');
        }
        if (terms != null) {
            md.append("*The terms above record what a licence or terms page declared; they are not legal advice.*\n\n");
        }
    }

    private static void outstandingConditions(StringBuilder md, Object conditions) {
        if (!(conditions instanceof List<?> list) || list.isEmpty()) {
            return;
        }
        md.append("Conditions distill4j cannot check, which users of this model must honour:\n\n");
        for (Object c : list) {
            Map<String, Object> m = asMap(c);
            if (m == null) {
                continue;
            }
            Object text = m.containsKey("text") ? m.get("text") : m.get("value");
            md.append("- `")
                    .append(m.get("type"))
                    .append('`')
                    .append(text == null ? "" : ": " + text)
                    .append('\n');
        }
        md.append('\n');
    }

    private static void training(StringBuilder md, ModelCardData data) {
        md.append("## Training\n\n");
        data.training()
                .forEach((k, v) ->
                        md.append("- ").append(k).append(": ").append(v).append('\n'));
        md.append("- Seed: ").append(data.seed()).append('\n');
        if (!data.datasets().isEmpty()) {
            md.append("- Data: ").append(String.join(", ", data.datasets())).append('\n');
        }
        md.append('\n');
    }

    private static void howToLoad(StringBuilder md, String directoryName) {
        md.append("## How to load from Java\n\n")
                .append("Add `org.distill4j:distill-core` to your build, then:\n\n")
                .append("```java\n")
                .append("import ai.djl.ndarray.NDArray;\n")
                .append("import ai.djl.ndarray.NDManager;\n")
                .append("import java.nio.file.Path;\n")
                .append("import org.distill4j.model.SavedModel;\n\n")
                .append("try (SavedModel model = SavedModel.load(Path.of(")
                .append(javaString(directoryName))
                .append("));\n")
                .append("        NDManager manager = NDManager.newBaseManager()) {\n")
                .append("    float[] row = new float[(int) model.inputShape(1).size()]; // one input row\n")
                .append("    NDArray inputs = manager.create(row, model.inputShape(1));\n")
                .append("    NDArray logits = model.logits(inputs);       // shape (1, numClasses)\n")
                .append("    long predictedClass = logits.argMax(1).getLong(0);\n")
                .append("    String label = model.descriptor().classNames().get((int) predictedClass);\n")
                .append("}\n")
                .append("```\n\n");
    }

    private static void provenance(StringBuilder md, String directoryName) {
        md.append("## Provenance\n\n")
                .append("`")
                .append(Provenance.FILE_NAME)
                .append("` in this directory records the teacher, the terms ")
                .append("decision, the data sets, the full training configuration, the seed, the software versions ")
                .append("and the SHA-256 of every file. Check that the files are unchanged with:\n\n")
                .append("```\ndistill provenance verify ")
                .append(directoryName)
                .append("\n```\n");
    }

    private static String teacherName(TeacherIdentity t) {
        return t.description().isBlank() ? "`" + t.location() + "`" : t.description() + " (`" + t.kind() + "`)";
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return o instanceof Map<?, ?> ? (Map<String, Object>) o : null;
    }

    private static String excerpt(String clause) {
        String c = clause.strip();
        return c.length() <= CLAUSE_EXCERPT_CHARS
                ? c
                : c.substring(0, CLAUSE_EXCERPT_CHARS).stripTrailing() + " …";
    }

    // A '|' inside a cell would split the table row.
    private static String cell(String s) {
        return s.replace("|", "\\|");
    }

    private static String percent(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.2f%%", fraction * 100.0) : "n/a";
    }

    private static String bytes(long n) {
        if (n < 0) {
            return "n/a";
        }
        if (n < 1024) {
            return n + " B";
        }
        return n < 1024 * 1024
                ? String.format(Locale.ROOT, "%.1f KiB", n / 1024.0)
                : String.format(Locale.ROOT, "%.2f MiB", n / (1024.0 * 1024.0));
    }

    private static String javaString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
