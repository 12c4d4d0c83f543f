package org.distill4j.provenance;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.distill4j.data.ExampleSet;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.SavedModel;
import org.distill4j.provenance.ProvenanceManifest.DatasetInfo;
import org.distill4j.provenance.ProvenanceManifest.DatasetRole;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.terms.GateApproval;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.TrainingConfig;

/**
 * Saves a model with what travels with it, as the CLI does: the model files ({@link
 * SavedModel#save}), its model card ({@value ModelCard#FILE_NAME}) and then its provenance
 * manifest ({@value Provenance#FILE_NAME}), which hashes every other file, the card included.
 * Immutable; build it with {@link #builder()}: {@code setName} is required.
 *
 * <p>The manifest's {@code training} section holds {@code model} (the architecture), {@code
 * training} (the {@link TrainingConfig}, rebuildable with {@link TrainingConfig#fromMap}) and,
 * for a distilled model, {@code distillation}; its {@code terms} are the gate's approval,
 * teacher binding included.
 */
public final class ModelWriter {

    private static final ObjectMapper TREE = new ObjectMapper();

    private final String name;
    private final String role;
    private final TeacherIdentity teacher;
    private final GateApproval approval;
    private final Map<String, Object> training;
    private final List<DatasetInfo> datasets;
    private final Map<String, ModelMetrics> metrics;
    private final Map<String, Object> labelCollection;
    private final Map<String, Object> termsOrigin;
    private final long seed;
    private final String license;
    private final String pipelineTag;
    private final Clock clock;

    private ModelWriter(Builder b) {
        this.name = b.name;
        this.role = b.role;
        this.approval = b.approval;
        this.teacher = b.teacher != null ? b.teacher : b.approval == null ? null : b.approval.teacher();
        this.training = new LinkedHashMap<>(b.training);
        this.datasets = List.copyOf(b.datasets);
        this.metrics = new LinkedHashMap<>(b.metrics);
        this.labelCollection = b.labelCollection;
        this.termsOrigin = b.termsOrigin;
        this.seed = b.seed;
        this.license = b.license;
        this.pipelineTag = b.pipelineTag;
        this.clock = b.clock;
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Saves {@code model} into {@code dir} (created if needed) with its model card and provenance
     * manifest; every file is written atomically, the manifest last.
     *
     * @return the manifest as written
     */
    public ProvenanceManifest save(SavedModel model, Path dir) throws IOException {
        model.save(dir);
        Map<String, Object> t = new LinkedHashMap<>();
        if (model.spec() != null) {
            t.put("model", TREE.convertValue(model.spec(), Map.class));
        } else {
            t.put("model", Map.of("custom_block", model.descriptor().customBlock()));
        }
        t.putAll(training);
        return document(dir, model.describe(), t);
    }

    /**
     * Writes the card and manifest for a model already saved in {@code dir} (e.g. with a {@code
     * training.json} next to it, which the manifest then hashes too).
     *
     * @param architecture the architecture in words
     * @param training the manifest's training section (JSON-compatible)
     * @return the manifest as written
     */
    public ProvenanceManifest document(Path dir, String architecture, Map<String, Object> training) throws IOException {
        Map<String, Object> terms = approval == null ? null : new LinkedHashMap<>(approval.toMap());
        if (terms != null && termsOrigin != null) {
            terms.put("teacher_terms_origin", termsOrigin);
        }
        ModelCardData card = new ModelCardData(
                name,
                role,
                architecture,
                null,
                teacher,
                terms,
                metrics,
                datasets.stream().map(DatasetInfo::name).distinct().toList(),
                training,
                seed,
                license);
        if (pipelineTag != null) {
            String testSet = datasets.stream()
                    .filter(d -> d.role() == DatasetRole.TEST)
                    .map(DatasetInfo::name)
                    .findFirst()
                    .orElse(null);
            card = card.withHubMetadata(pipelineTag, testSet);
        }
        ModelCard.write(dir, card);
        return Provenance.write(
                dir,
                ProvenanceManifest.of(
                        new ProvenanceManifest.ModelInfo(role, name, architecture),
                        teacher == null ? null : ProvenanceManifest.TeacherInfo.of(teacher),
                        terms,
                        datasets,
                        labelCollection,
                        training,
                        seed,
                        ProvenanceManifest.SoftwareInfo.detect(),
                        clock.instant()));
    }

    /** Builder: {@code setName} is required; everything else is optional. */
    public static final class Builder {
        private String name;
        private String role = "model";
        private TeacherIdentity teacher;
        private GateApproval approval;
        private final Map<String, Object> training = new LinkedHashMap<>();
        private final List<DatasetInfo> datasets = new ArrayList<>();
        private final Map<String, ModelMetrics> metrics = new LinkedHashMap<>();
        private Map<String, Object> labelCollection;
        private Map<String, Object> termsOrigin;
        private long seed;
        private String license = "other";
        private String pipelineTag;
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /** Sets the name the model is published under (for a gated student, the approved name). */
        public Builder setName(String value) {
            this.name = value;
            return this;
        }

        /**
         * Sets the Hugging Face task of the card's metadata ({@link ModelCardData#IMAGE_CLASSIFICATION}
         * or {@link ModelCardData#TEXT_CLASSIFICATION}); with it the card gets {@code pipeline_tag}
         * and a {@code model-index} of the test metrics (default: none).
         */
        public Builder optPipelineTag(String value) {
            this.pipelineTag = value;
            return this;
        }

        /** Sets the model's role, e.g. {@code student_distilled} (default {@code model}). */
        public Builder optRole(String value) {
            this.role = Objects.requireNonNull(value, "role");
            return this;
        }

        /** Sets the teacher the model learned from (default: the approval's teacher). */
        public Builder optTeacher(TeacherIdentity value) {
            this.teacher = value;
            return this;
        }

        /** Records the gate's approval the model was distilled under (and its teacher). */
        public Builder optApproval(GateApproval value) {
            this.approval = value;
            return this;
        }

        /** Records the training configuration. */
        public Builder optTrainingConfig(TrainingConfig value) {
            training.put("training", TREE.convertValue(value, Map.class));
            return this;
        }

        /** Records the distillation parameters (and how the soft targets were obtained, e.g. {@code cached}). */
        public Builder optDistillation(KdParameters parameters, String mode) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("temperature", parameters.temperature());
            d.put("alpha", parameters.alpha());
            if (parameters.teacherCalibration() != 1.0) {
                d.put("teacher_calibration", parameters.teacherCalibration());
            }
            d.put("mode", mode);
            training.put("distillation", d);
            return this;
        }

        /** Records what a training run produced: its approval (if distilled) and its epoch count. */
        public Builder optTrainingResult(ClassifierTrainer.Result value) {
            if (value.approval() != null) {
                this.approval = value.approval();
            }
            training.put("epochs_run", value.history().size());
            training.put("resumed_after_epoch", value.resumedAfterEpoch());
            return this;
        }

        /** Adds one entry to the manifest's training section (JSON-compatible values). */
        public Builder optTrainingEntry(String key, Object value) {
            training.put(key, value);
            return this;
        }

        /** Records a data set the model was trained, validated or tested with. */
        public Builder optDataset(DatasetRole datasetRole, ExampleSet set) {
            datasets.add(new DatasetInfo(datasetRole, set.name(), set.contentHash(), set.size()));
            return this;
        }

        /** Records test metrics under a role (this model's role marks its own row on the card). */
        public Builder optMetrics(String metricsRole, ModelMetrics value) {
            metrics.put(metricsRole, value);
            return this;
        }

        /**
         * Records where the approval's terms entry came from (built in, or a user file and its
         * SHA-256; {@code TermsRegistry.Origin#toMap()}), as {@code teacher_terms_origin}.
         */
        public Builder optTermsOrigin(Map<String, Object> value) {
            this.termsOrigin = value;
            return this;
        }

        /** Records how the teacher's outputs were collected from an API. */
        public Builder optLabelCollection(Map<String, Object> value) {
            this.labelCollection = value;
            return this;
        }

        /** Records the random seed (default 0). */
        public Builder optSeed(long value) {
            this.seed = value;
            return this;
        }

        /** Sets the licence id for the card's front matter (default {@code other}). */
        public Builder optLicense(String value) {
            this.license = Objects.requireNonNull(value, "license");
            return this;
        }

        /** Sets the clock that stamps the manifest (default the UTC system clock). */
        public Builder optClock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Builds the writer.
         *
         * @throws IllegalArgumentException if the name is missing
         */
        public ModelWriter build() {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name is required: the name the model is published under");
            }
            return new ModelWriter(this);
        }
    }
}
