package org.distill4j.terms;

import java.util.Objects;
import java.util.Optional;

/**
 * What the {@link DistillationGate} is asked to decide. Immutable; build it with {@link
 * #forTeacher(TermsEntry, String)} or {@link #unknownTeacher(String)} and the {@code with...}
 * methods.
 *
 * @param teacherTerms the teacher's declared terms; empty means nobody declared them (unknown)
 * @param studentName the name the student will be published under, non-blank
 * @param permission a recorded permission from the rights holder, if any
 * @param unknownTermsAcknowledged the user explicitly accepts responsibility for unknown terms
 */
public record GateRequest(
        Optional<TermsEntry> teacherTerms,
        String studentName,
        Optional<Permission> permission,
        boolean unknownTermsAcknowledged) {

    public GateRequest {
        Objects.requireNonNull(teacherTerms, "teacherTerms must not be null (use Optional.empty())");
        studentName = Texts.requireNonBlank(studentName, "studentName");
        Objects.requireNonNull(permission, "permission must not be null (use Optional.empty())");
    }

    /** A request for a teacher with declared terms, no permission, nothing acknowledged. */
    public static GateRequest forTeacher(TermsEntry teacherTerms, String studentName) {
        return new GateRequest(Optional.of(teacherTerms), studentName, Optional.empty(), false);
    }

    /** A request for a teacher whose terms nobody declared. */
    public static GateRequest unknownTeacher(String studentName) {
        return new GateRequest(Optional.empty(), studentName, Optional.empty(), false);
    }

    /** This request with a recorded permission. */
    public GateRequest withPermission(Permission p) {
        return new GateRequest(teacherTerms, studentName, Optional.of(p), unknownTermsAcknowledged);
    }

    /** This request with unknown terms explicitly acknowledged. */
    public GateRequest acknowledgingUnknownTerms() {
        return new GateRequest(teacherTerms, studentName, permission, true);
    }

    /** This request for a student with another name (e.g. the gate's suggested one). */
    public GateRequest withStudentName(String name) {
        return new GateRequest(teacherTerms, name, permission, unknownTermsAcknowledged);
    }
}
