package org.distill4j.provenance;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.distill4j.teacher.TeacherIdentity;

/**
 * What {@value Provenance#FILE_NAME} records about a saved model: how it was built and the SHA-256
 * of every file it was saved with. Serialised by Jackson with snake_case keys (see {@link
 * Provenance}). Immutable: maps and lists are deep-copied on construction; {@code null} values
 * inside the free-form maps are kept, because a recorded absence is information.
 *
 * <p>Free-form maps ({@code terms}, {@code label_collection}, {@code training}) hold JSON-shaped
 * values only (maps, lists, strings, booleans, numbers). Whole numbers are held as {@code Long}
 * and floats as {@code Double}, so a manifest equals itself after a JSON round trip.
 *
 * @param format always {@value #FORMAT}
 * @param version format version, {@value #VERSION}
 * @param model the model this directory holds
 * @param teacher the teacher it was distilled from; {@code null} for a model trained without one
 * @param terms the distillation gate's decision ({@code GateDecision.toMap()}), including any
 *     recorded permission; {@code null} when no teacher was gated
 * @param datasets the data sets used, in the order given
 * @param labelCollection how teacher labels were collected from a remote endpoint (items, time
 *     span, tokens, errors); {@code null} when they were not
 * @param training the full training configuration, including distillation temperature, alpha and
 *     mode
 * @param seed the random seed
 * @param software the software that built the model
 * @param createdAt when the manifest was created, ISO-8601 instant
 * @param files relative file name to lower-case hex SHA-256, sorted by name; empty until {@link
 *     Provenance#write} fills it
 */
public record ProvenanceManifest(
        String format,
        int version,
        ModelInfo model,
        TeacherInfo teacher,
        Map<String, Object> terms,
        List<DatasetInfo> datasets,
        Map<String, Object> labelCollection,
        Map<String, Object> training,
        long seed,
        SoftwareInfo software,
        String createdAt,
        Map<String, String> files) {

    /** The value of {@code format}. */
    public static final String FORMAT = "distill4j-provenance";

    /** The only format version this code reads and writes. */
    public static final int VERSION = 1;

    /** Validates the format, version and required parts and makes defensive copies. */
    public ProvenanceManifest {
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException("format must be \"" + FORMAT + "\", got " + quoted(format));
        }
        if (version != VERSION) {
            throw new IllegalArgumentException(
                    "unsupported version " + version + ", this distill4j reads version " + VERSION);
        }
        Objects.requireNonNull(model, "model must not be null");
        terms = JsonValues.immutableMap(terms);
        datasets = List.copyOf(Objects.requireNonNull(datasets, "datasets must not be null"));
        labelCollection = JsonValues.immutableMap(labelCollection);
        training = JsonValues.immutableMap(Objects.requireNonNull(training, "training must not be null"));
        Objects.requireNonNull(software, "software must not be null");
        Objects.requireNonNull(createdAt, "created_at must not be null");
        try {
            Instant.parse(createdAt);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("created_at " + quoted(createdAt) + " is not an ISO-8601 instant", e);
        }
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files == null ? Map.of() : files));
    }

    /**
     * A manifest without file hashes, ready for {@link Provenance#write}.
     *
     * @param model the model
     * @param teacher the teacher, or {@code null} when trained without one
     * @param terms {@code GateApproval.toMap()}, or {@code null}
     * @param datasets the data sets used
     * @param labelCollection remote label-collection statistics, or {@code null}
     * @param training the full training configuration
     * @param seed the random seed
     * @param software e.g. {@link SoftwareInfo#detect()}
     * @param createdAt when the model was created
     */
    public static ProvenanceManifest of(
            ModelInfo model,
            TeacherInfo teacher,
            Map<String, ?> terms,
            List<DatasetInfo> datasets,
            Map<String, ?> labelCollection,
            Map<String, ?> training,
            long seed,
            SoftwareInfo software,
            Instant createdAt) {
        Objects.requireNonNull(training, "training must not be null");
        return new ProvenanceManifest(
                FORMAT,
                VERSION,
                model,
                teacher,
                JsonValues.immutableMap(terms),
                datasets,
                JsonValues.immutableMap(labelCollection),
                JsonValues.immutableMap(training),
                seed,
                software,
                Objects.requireNonNull(createdAt, "createdAt must not be null").toString(),
                Map.of());
    }

    /** Returns a copy whose {@code files} are {@code fileHashes}. */
    public ProvenanceManifest withFiles(Map<String, String> fileHashes) {
        return new ProvenanceManifest(
                format,
                version,
                model,
                teacher,
                terms,
                datasets,
                labelCollection,
                training,
                seed,
                software,
                createdAt,
                Objects.requireNonNull(fileHashes, "fileHashes"));
    }

    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    /**
     * The model a directory holds.
     *
     * @param role e.g. {@code teacher}, {@code student_scratch}, {@code student_distilled}
     * @param name the model's name (for a gated student, the approved name)
     * @param architecture human-readable architecture, e.g. {@code MLP 784-256-10, relu}
     */
    public record ModelInfo(String role, String name, String architecture) {

        /** Requires all three. */
        public ModelInfo {
            Objects.requireNonNull(role, "model.role must not be null");
            Objects.requireNonNull(name, "model.name must not be null");
            Objects.requireNonNull(architecture, "model.architecture must not be null");
        }
    }

    /**
     * The teacher a model was distilled from.
     *
     * @param kind {@code distill4j}, {@code torchscript}, later {@code http}
     * @param location file, directory or endpoint it was loaded from
     * @param contentHash hex SHA-256 of its content
     * @param description human-readable summary
     * @param modelVersion the version a remote teacher reported; {@code null} for local teachers
     * @param endpoint the URL a remote teacher was called at; {@code null} for local teachers
     */
    public record TeacherInfo(
            String kind,
            String location,
            String contentHash,
            String description,
            String modelVersion,
            String endpoint) {

        /** Requires kind, location and hash. */
        public TeacherInfo {
            Objects.requireNonNull(kind, "teacher.kind must not be null");
            Objects.requireNonNull(location, "teacher.location must not be null");
            Objects.requireNonNull(contentHash, "teacher.content_hash must not be null");
            description = description == null ? "" : description;
        }

        /** A local teacher, from its identity. */
        public static TeacherInfo of(TeacherIdentity identity) {
            return new TeacherInfo(
                    identity.kind(), identity.location(), identity.contentHash(), identity.description(), null, null);
        }
    }

    /** What a data set was used for. */
    public enum DatasetRole {
        /** Hard-label training data. */
        @JsonProperty("train")
        TRAIN,
        /** Model selection and early stopping. */
        @JsonProperty("validation")
        VALIDATION,
        /** Final evaluation only. */
        @JsonProperty("test")
        TEST,
        /** Unlabelled or extra inputs the teacher labelled for distillation. */
        @JsonProperty("transfer")
        TRANSFER
    }

    /**
     * One data set a model was built or evaluated with.
     *
     * @param role what it was used for
     * @param name its name, e.g. {@code mnist/train}
     * @param contentHash hex SHA-256 of its content
     * @param rows number of rows, &ge; 0
     */
    public record DatasetInfo(DatasetRole role, String name, String contentHash, long rows) {

        /** Requires role, name and hash, and a non-negative row count. */
        public DatasetInfo {
            Objects.requireNonNull(role, "dataset.role must not be null");
            Objects.requireNonNull(name, "dataset.name must not be null");
            Objects.requireNonNull(contentHash, "dataset.content_hash must not be null");
            if (rows < 0) {
                throw new IllegalArgumentException("dataset.rows must be >= 0, got " + rows);
            }
        }
    }

    /**
     * The software that built a model.
     *
     * @param distill4j distill4j's version ({@code dev} when run from unpackaged classes)
     * @param gitCommit the commit distill4j was built from, or {@code unknown}
     * @param java Java VM and version
     * @param djl DJL version
     * @param pytorch PyTorch version, or {@code unknown} when the engine cannot be loaded
     * @param os operating system name, version and architecture
     */
    public record SoftwareInfo(String distill4j, String gitCommit, String java, String djl, String pytorch, String os) {

        /** Requires every field; use {@code unknown} for what cannot be found out. */
        public SoftwareInfo {
            Objects.requireNonNull(distill4j, "software.distill4j must not be null");
            Objects.requireNonNull(gitCommit, "software.git_commit must not be null");
            Objects.requireNonNull(java, "software.java must not be null");
            Objects.requireNonNull(djl, "software.djl must not be null");
            Objects.requireNonNull(pytorch, "software.pytorch must not be null");
            Objects.requireNonNull(os, "software.os must not be null");
        }

        /**
         * Describes the running software. Loads the PyTorch engine if it is not loaded yet; never
         * fails, writing {@code unknown} for what it cannot find out.
         */
        public static SoftwareInfo detect() {
            return Detected.VALUE;
        }

        /** Detected once per process: finding the commit may start a {@code git} process. */
        private static final class Detected {
            static final SoftwareInfo VALUE = new SoftwareInfo(
                    SoftwareInfo.class.getPackage().getImplementationVersion() == null
                            ? "dev"
                            : SoftwareInfo.class.getPackage().getImplementationVersion(),
                    GitCommit.detect(),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                    orUnknown(Engine::getDjlVersion),
                    orUnknown(() -> Engine.getEngine("PyTorch").getVersion()),
                    System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch"));
        }

        private static String orUnknown(java.util.function.Supplier<String> probe) {
            try {
                String v = probe.get();
                return v == null ? GitCommit.UNKNOWN : v;
            } catch (RuntimeException | LinkageError e) {
                // Provenance must still be written when a native engine cannot load here.
                return GitCommit.UNKNOWN;
            }
        }
    }
}
