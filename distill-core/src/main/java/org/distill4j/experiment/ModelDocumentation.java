package org.distill4j.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.OneDnnIsa;
import org.distill4j.provenance.ModelCardData;
import org.distill4j.provenance.ModelWriter;
import org.distill4j.provenance.ProvenanceManifest.DatasetRole;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.terms.GateApproval;
import org.distill4j.train.TrainingConfig;

/**
 * What travels with every model an experiment trains, written through the library's {@link
 * ModelWriter}: its model card ({@code README.md}) and then its provenance manifest ({@code
 * provenance.json}), which hashes the card too.
 *
 * @param role the model's role
 * @param name the name the model is published under
 * @param architecture the architecture in words
 * @param teacher the teacher it learned from, or null
 * @param approval the gate's approval for that teacher, or null
 * @param training training (and distillation) configuration, JSON-compatible
 * @param labelCollection how the teacher's outputs were collected from an API (provenance), or null
 * @param termsId the teacher's declared terms id, or null
 * @param termsOrigin where that terms entry came from ({@code TermsRegistry.Origin#toMap()}), or null
 * @param labelledShare a student's {@code data.labelled_share} (1 for the teacher): its provenance
 *     names the rows it trained on, the labelled share or the partly labelled transfer set
 */
record ModelDocumentation(
        String role,
        String name,
        String architecture,
        TeacherIdentity teacher,
        GateApproval approval,
        Map<String, Object> training,
        Map<String, Object> labelCollection,
        String termsId,
        Map<String, Object> termsOrigin,
        double labelledShare) {

    private static final com.fasterxml.jackson.databind.ObjectMapper TREE =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /** Licences a student may state as its own when the teacher's outputs come under them. */
    private static final Set<String> OPEN_LICENCES = Set.of("mit", "apache-2.0", "cc-by-4.0", "cc-by-nc-4.0");

    /** What the model card and provenance of an experiment's role say about how it was made. */
    static ModelDocumentation forRole(
            Recipe recipe,
            String role,
            TeacherIdentity teacher,
            GateApproval approval,
            Map<String, Object> labelCollection,
            Map<String, Object> termsOrigin) {
        boolean isTeacher = role.equals(Experiment.TEACHER);
        ModelSpec spec = isTeacher ? recipe.teacher().model() : recipe.student().model();
        TrainingConfig config = isTeacher
                ? recipe.teacher().training()
                : role.equals(Experiment.STUDENT_SCRATCH)
                        ? recipe.student().scratchTraining()
                        : recipe.student().training();
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("model", TREE.convertValue(spec, Map.class));
        training.put("training", TREE.convertValue(config, Map.class));
        training.put("pytorch_threads", Environment.threads().toMap());
        training.put("onednn_max_cpu_isa", OneDnnIsa.cap());
        if (approval != null) {
            training.put("distillation", TREE.convertValue(recipe.distillation(), Map.class));
        }
        if (recipe.data().splitsTeacherRows()) {
            training.put("teacher_split", recipe.data().teacherSplit());
        }
        double share = isTeacher ? 1 : recipe.data().studentLabelShare();
        if (share < 1) {
            training.put("labelled_share", share);
        }
        String name = switch (role) {
            case Experiment.STUDENT_DISTILLED ->
                approval == null ? recipe.student().name() : approval.studentName();
            case Experiment.STUDENT_SCRATCH -> recipe.student().name() + "-scratch";
            default -> recipe.name() + "-teacher";
        };
        return new ModelDocumentation(
                role,
                name,
                spec.describe(),
                teacher,
                approval,
                training,
                labelCollection,
                recipe.teacher().terms(),
                approval == null ? null : termsOrigin,
                share);
    }

    void write(Path dir, ExperimentData data, long seed, Map<String, ModelMetrics> metrics) throws IOException {
        ModelWriter.Builder w = ModelWriter.builder()
                .setName(name)
                .optRole(role)
                .optTeacher(teacher)
                .optApproval(approval)
                .optTermsOrigin(termsOrigin)
                .optLabelCollection(labelCollection)
                .optSeed(seed)
                .optLicense(termsId != null && OPEN_LICENCES.contains(termsId) ? termsId : "other")
                .optDataset(DatasetRole.TRAIN, trainedOn(data, seed))
                .optPipelineTag(
                        data.textFeatures() != null
                                ? ModelCardData.TEXT_CLASSIFICATION
                                : ModelCardData.IMAGE_CLASSIFICATION);
        if (data.validation() != null) {
            w.optDataset(DatasetRole.VALIDATION, data.validation());
        }
        w.optDataset(DatasetRole.TEST, data.test());
        metrics.forEach(w::optMetrics);
        w.build().document(dir, architecture, training);
    }

    private org.distill4j.data.ExampleSet trainedOn(ExperimentData data, long seed) {
        if (role.startsWith(Experiment.TEACHER)) {
            return data.teacherTrain();
        }
        if (labelledShare == 1) {
            return data.train();
        }
        var share = org.distill4j.data.ExampleSets.labelledShare(data.train(), labelledShare, seed);
        return role.equals(Experiment.STUDENT_SCRATCH) ? share.labelled() : share.transfer();
    }
}
