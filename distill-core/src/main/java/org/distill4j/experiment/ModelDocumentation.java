package org.distill4j.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.ExampleSet;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.provenance.ModelCard;
import org.distill4j.provenance.ModelCardData;
import org.distill4j.provenance.Provenance;
import org.distill4j.provenance.ProvenanceManifest;
import org.distill4j.provenance.ProvenanceManifest.DatasetInfo;
import org.distill4j.provenance.ProvenanceManifest.DatasetRole;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.terms.GateApproval;

/**
 * Writes what travels with every model an experiment trains: its model card ({@code README.md})
 * and then its provenance manifest ({@code provenance.json}), which hashes the card too.
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
        Map<String, Object> termsOrigin) {

    /** Licences a student may state as its own when the teacher's outputs come under them. */
    private static final Set<String> OPEN_LICENCES = Set.of("mit", "apache-2.0", "cc-by-4.0", "cc-by-nc-4.0");

    void write(Path dir, ExperimentData data, long seed, Map<String, ModelMetrics> metrics) throws IOException {
        List<DatasetInfo> datasets = new ArrayList<>();
        datasets.add(info(DatasetRole.TRAIN, data.train()));
        if (data.validation() != null) {
            datasets.add(info(DatasetRole.VALIDATION, data.validation()));
        }
        datasets.add(info(DatasetRole.TEST, data.test()));
        Map<String, Object> terms = approval == null ? null : new java.util.LinkedHashMap<>(approval.toMap());
        if (terms != null && termsOrigin != null) {
            terms.put("teacher_terms_origin", termsOrigin);
        }
        String license = termsId != null && OPEN_LICENCES.contains(termsId) ? termsId : "other";
        ModelCard.write(dir, new ModelCardData(name, role, architecture, null, teacher, terms, metrics,
                datasets.stream().map(DatasetInfo::name).distinct().toList(), training, seed, license)
                .withHubMetadata(data.textFeatures() != null
                        ? ModelCardData.TEXT_CLASSIFICATION : ModelCardData.IMAGE_CLASSIFICATION, data.test().name()));
        Provenance.write(dir, ProvenanceManifest.of(new ProvenanceManifest.ModelInfo(role, name, architecture),
                teacher == null ? null : ProvenanceManifest.TeacherInfo.of(teacher), terms, datasets, labelCollection, training,
                seed, ProvenanceManifest.SoftwareInfo.detect(), Instant.now()));
    }

    private static DatasetInfo info(DatasetRole role, ExampleSet set) {
        return new DatasetInfo(role, set.name(), set.contentHash(), set.size());
    }
}
