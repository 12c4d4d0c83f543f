package org.distill4j.provenance;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.terms.GateApproval;

/**
 * Everything {@link ModelCard} needs to describe one saved model. Immutable.
 *
 * @param studentName the model's name (for a gated student, {@link GateApproval#studentName()});
 *     one line
 * @param role this model's role, e.g. {@code student_distilled}; its row in the results table is
 *     marked
 * @param architecture human-readable architecture
 * @param summary one paragraph for the card's top; {@code null} or blank for a generated one
 * @param teacher the teacher, or {@code null} for a model trained without one
 * @param terms the gate's decision as {@link GateApproval#toMap()}, or {@code null} when no
 *     teacher was gated; its {@code attribution_notices} are printed verbatim
 * @param metrics test metrics by role ({@code teacher}, {@code student_scratch}, {@code
 *     student_distilled}, others after those), possibly empty
 * @param datasets data set names, for the front matter and the training section
 * @param training training and distillation parameters (temperature, alpha, mode, epochs...),
 *     printed in order
 * @param seed the random seed
 * @param license the student's licence id for the front matter, e.g. {@code apache-2.0}, the
 *     teacher's licence id when it passes on, or {@code other}; an id the Hub does not list is
 *     written as {@code license: other} with {@code license_name}
 * @param pipelineTag the Hugging Face task, {@value #IMAGE_CLASSIFICATION} or {@value
 *     #TEXT_CLASSIFICATION} (others the Hub defines are accepted); {@code null} for none, which also
 *     leaves {@code model-index} out
 * @param evalDataset the name of the data set {@code metrics} were measured on (a Hub id when
 *     marked, see {@link HubIds}); {@code null} for the last of {@code datasets}
 */
public record ModelCardData(
        String studentName,
        String role,
        String architecture,
        String summary,
        TeacherIdentity teacher,
        Map<String, Object> terms,
        Map<String, ModelMetrics> metrics,
        List<String> datasets,
        Map<String, Object> training,
        long seed,
        String license,
        String pipelineTag,
        String evalDataset) {

    /** The Hub pipeline tag of an image classifier. */
    public static final String IMAGE_CLASSIFICATION = "image-classification";

    /** The Hub pipeline tag of a text classifier. */
    public static final String TEXT_CLASSIFICATION = "text-classification";

    /**
     * Card data without a pipeline tag or evaluation data set name (no {@code pipeline_tag} and no
     * {@code model-index} in the front matter); kept for callers written before those existed.
     */
    public ModelCardData(
            String studentName,
            String role,
            String architecture,
            String summary,
            TeacherIdentity teacher,
            Map<String, Object> terms,
            Map<String, ModelMetrics> metrics,
            List<String> datasets,
            Map<String, Object> training,
            long seed,
            String license) {
        this(
                studentName,
                role,
                architecture,
                summary,
                teacher,
                terms,
                metrics,
                datasets,
                training,
                seed,
                license,
                null,
                null);
    }

    /** Requires name, role, architecture and licence; makes defensive copies. */
    public ModelCardData {
        studentName = requireLine(studentName, "studentName");
        role = requireLine(role, "role");
        architecture = requireLine(architecture, "architecture");
        license = requireLine(license, "license");
        terms = JsonValues.immutableMap(terms);
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(metrics, "metrics")));
        datasets = List.copyOf(Objects.requireNonNull(datasets, "datasets"));
        training = JsonValues.immutableMap(Objects.requireNonNull(training, "training"));
        if (pipelineTag != null && !pipelineTag.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("pipelineTag must be a Hub task id such as " + IMAGE_CLASSIFICATION
                    + " or " + TEXT_CLASSIFICATION + ", got \"" + pipelineTag + "\"");
        }
        if (evalDataset == null && !datasets.isEmpty()) {
            evalDataset = datasets.get(datasets.size() - 1);
        }
    }

    /** A copy with the Hub pipeline tag and the evaluation data set's name set. */
    public ModelCardData withHubMetadata(String pipelineTag, String evalDataset) {
        return new ModelCardData(
                studentName,
                role,
                architecture,
                summary,
                teacher,
                terms,
                metrics,
                datasets,
                training,
                seed,
                license,
                pipelineTag,
                evalDataset);
    }

    /** The notices the teacher's terms require on this card, verbatim; empty when none. */
    public List<String> attributionNotices() {
        if (terms == null || !(terms.get("attribution_notices") instanceof List<?> notices)) {
            return List.of();
        }
        return notices.stream().map(String::valueOf).toList();
    }

    // A line break in a name would let it end the Markdown heading and inject card content.
    private static String requireLine(String value, String what) {
        Objects.requireNonNull(value, what + " must not be null");
        if (value.isBlank() || value.contains("\n") || value.contains("\r")) {
            throw new IllegalArgumentException(what + " must be a single non-blank line, got \"" + value + "\"");
        }
        return value.strip();
    }
}
