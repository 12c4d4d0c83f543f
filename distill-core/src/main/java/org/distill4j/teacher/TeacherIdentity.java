package org.distill4j.teacher;

import java.util.Objects;

/**
 * Who a teacher is, in the spirit of Tribuo's external-trainer provenance: what kind of source it
 * is, where it was loaded from and a hash of its content.
 *
 * @param kind {@code distill4j} (a saved distill4j model), {@code torchscript}, {@code onnx}; later {@code http}
 * @param location the file or directory (or endpoint) it was loaded from
 * @param contentHash hex SHA-256 of the model's bytes; identical models have identical hashes
 * @param description human-readable summary, e.g. the architecture
 */
public record TeacherIdentity(String kind, String location, String contentHash, String description) {

    /** Requires kind, location and hash. */
    public TeacherIdentity {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(contentHash, "contentHash");
        description = description == null ? "" : description;
    }

    /** Returns the key teacher-output caches use: kind and content hash, not location. */
    public String cacheKey() {
        return kind + ":" + contentHash;
    }
}
