package org.distill4j.terms;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A recorded permission from a teacher's rights holder to distil despite terms that prohibit it
 * (e.g. a signed agreement). The toolkit cannot verify it; it records who asserted it and when, so
 * the provenance manifest shows on what basis a prohibited teacher was used.
 *
 * @param reference free-text reference to the permission, e.g. "OpenAI agreement #1234, 2026-10-02"
 * @param recordedBy who recorded it (a person or account), non-blank
 * @param recordedAt when it was recorded
 */
public record Permission(String reference, String recordedBy, Instant recordedAt) {

    public Permission {
        reference = Texts.requireNonBlank(reference, "reference");
        recordedBy = Texts.requireNonBlank(recordedBy, "recordedBy");
        Objects.requireNonNull(recordedAt, "recordedAt must not be null");
    }

    /** A permission recorded now by {@code recordedBy}. */
    public static Permission recordedNow(String reference, String recordedBy, Clock clock) {
        return new Permission(reference, recordedBy, clock.instant());
    }

    /** JSON-friendly form. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("reference", reference);
        map.put("recorded_by", recordedBy);
        map.put("recorded_at", recordedAt.toString());
        return map;
    }
}
