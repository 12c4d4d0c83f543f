package org.distill4j.terms;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link DistillationGate}'s answer, refusal or not, with everything a provenance manifest
 * needs ({@link #toMap()}). Immutable.
 *
 * @param outcome proceed or refuse
 * @param verdict the teacher's verdict ({@link OutputsForTraining#UNKNOWN} when no terms declared)
 * @param teacherTerms the terms decided on, if declared
 * @param studentName the student name checked
 * @param suggestedStudentName when a name prefix is required and missing: a name that satisfies it
 * @param attributionNotices notices that must be carried to the student's model card
 * @param enforcedConditions conditions the gate checked or applied
 * @param outstandingConditions conditions the gate cannot check; the user must honour them
 * @param permission the recorded permission the decision relied on or recorded, if any
 * @param unknownTermsAcknowledged whether the user acknowledged unknown terms
 * @param reason human-readable explanation; for a refusal it says what to do
 * @param decidedAt when the decision was made
 */
public record GateDecision(
        Outcome outcome,
        OutputsForTraining verdict,
        Optional<TermsEntry> teacherTerms,
        String studentName,
        Optional<String> suggestedStudentName,
        List<String> attributionNotices,
        List<Condition> enforcedConditions,
        List<Condition> outstandingConditions,
        Optional<Permission> permission,
        boolean unknownTermsAcknowledged,
        String reason,
        Instant decidedAt) {

    /** Whether training may go ahead. */
    public enum Outcome {
        PROCEED,
        REFUSE
    }

    public GateDecision {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(teacherTerms, "teacherTerms");
        studentName = Texts.requireNonBlank(studentName, "studentName");
        Objects.requireNonNull(suggestedStudentName, "suggestedStudentName");
        attributionNotices = List.copyOf(attributionNotices);
        enforcedConditions = List.copyOf(enforcedConditions);
        outstandingConditions = List.copyOf(outstandingConditions);
        Objects.requireNonNull(permission, "permission");
        reason = Texts.requireNonBlank(reason, "reason");
        Objects.requireNonNull(decidedAt, "decidedAt");
    }

    /** True when the outcome is {@link Outcome#PROCEED}. */
    public boolean proceeds() {
        return outcome == Outcome.PROCEED;
    }

    /**
     * JSON-friendly form for a provenance manifest: only maps, lists, strings, booleans and
     * numbers; absent values are {@code null}.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT));
        map.put("verdict", verdict.yamlValue());
        map.put("teacher_terms", teacherTerms.map(GateDecision::termsSummary).orElse(null));
        map.put("student_name", studentName);
        map.put("suggested_student_name", suggestedStudentName.orElse(null));
        map.put("attribution_notices", List.copyOf(attributionNotices));
        map.put("enforced_conditions", conditionMaps(enforcedConditions));
        map.put("outstanding_conditions", conditionMaps(outstandingConditions));
        map.put("permission", permission.map(Permission::toMap).orElse(null));
        map.put("unknown_terms_acknowledged", unknownTermsAcknowledged);
        map.put("reason", reason);
        map.put("decided_at", decidedAt.toString());
        return map;
    }

    private static Map<String, Object> termsSummary(TermsEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("name", e.name());
        m.put("clause", e.clause());
        m.put("source", e.source().toString());
        m.put("read_on", e.readOn().toString());
        return m;
    }

    private static List<Map<String, Object>> conditionMaps(List<Condition> conditions) {
        List<Map<String, Object>> out = new ArrayList<>();
        conditions.forEach(c -> out.add(c.toMap()));
        return out;
    }
}
