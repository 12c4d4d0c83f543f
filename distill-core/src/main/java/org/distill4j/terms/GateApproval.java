package org.distill4j.terms;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.distill4j.teacher.TeacherIdentity;

/**
 * Proof that the {@link DistillationGate} let a distillation proceed. Training code takes one as a
 * parameter so it cannot run without the gate: the constructor is package-private and only {@link
 * DistillationGate#approve(GateRequest)} calls it, always with a decision that proceeds.
 *
 * <p>An approval names the teacher it was granted for ({@link #teacher()}) and the terms ({@link
 * #terms()}); {@code ClassifierTrainer} refuses it for soft targets of any other teacher. Carry
 * {@link #attributionNotices()} to the student's model card and write {@link #toMap()} to the
 * provenance manifest.
 */
public final class GateApproval {

    private final GateDecision decision;
    private final TeacherIdentity teacher;

    GateApproval(GateDecision decision, TeacherIdentity teacher) {
        Objects.requireNonNull(decision, "decision");
        if (!decision.proceeds()) {
            throw new IllegalArgumentException("an approval needs a decision that proceeds, got: " + decision.reason());
        }
        this.decision = decision;
        this.teacher = Objects.requireNonNull(teacher, "teacher");
    }

    /** The teacher this approval was granted for; training from any other teacher is refused. */
    public TeacherIdentity teacher() {
        return teacher;
    }

    /** The terms it was granted under (empty for unknown terms or the user's own model). */
    public Optional<TermsEntry> terms() {
        return decision.teacherTerms();
    }

    /**
     * Returns whether this approval covers soft targets from the teacher with this output-cache
     * key ({@link TeacherIdentity#cacheKey()}: kind and content hash, not location).
     */
    public boolean covers(String teacherKey) {
        return teacher.cacheKey().equals(teacherKey);
    }

    /**
     * What identifies this approval in a checkpoint fingerprint: the teacher, the verdict, the
     * terms id, the permission and the student name, but not the time of the decision (a resumed
     * run asks the gate again).
     */
    public String fingerprint() {
        return String.join(
                "|",
                teacher.cacheKey(),
                decision.verdict().yamlValue(),
                decision.teacherTerms().map(TermsEntry::id).orElse("-"),
                decision.permission().map(Permission::reference).orElse("-"),
                Boolean.toString(decision.unknownTermsAcknowledged()),
                decision.studentName());
    }

    /** The decision this approval was issued for. */
    public GateDecision decision() {
        return decision;
    }

    /** The approved student name (it satisfies every required name prefix). */
    public String studentName() {
        return decision.studentName();
    }

    /** Notices that must appear on the student's model card, e.g. "Built with Llama". */
    public List<String> attributionNotices() {
        return decision.attributionNotices();
    }

    /** JSON-friendly decision and the teacher it binds, for the provenance manifest. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>(decision.toMap());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("kind", teacher.kind());
        t.put("location", teacher.location());
        t.put("content_hash", teacher.contentHash());
        map.put("approved_teacher", t);
        return map;
    }

    @Override
    public String toString() {
        return "GateApproval[" + teacher.cacheKey() + " -> " + decision.studentName() + ": " + decision.reason() + "]";
    }
}
