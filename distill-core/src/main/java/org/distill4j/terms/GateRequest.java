package org.distill4j.terms;

import java.util.Objects;
import java.util.Optional;
import org.distill4j.teacher.TeacherIdentity;

/**
 * What the {@link DistillationGate} is asked to decide. Immutable; build it with {@link
 * #forTeacher(TermsEntry, String)}, {@link #unknownTeacher(String)} or {@link
 * #ownModel(TeacherIdentity, String)} and the {@code with...} methods.
 *
 * <p>An approval is bound to one teacher: {@link DistillationGate#approve(GateRequest)} needs the
 * teacher's identity ({@link #withTeacher(TeacherIdentity)}), and the trainer refuses the approval
 * for any other teacher. {@link DistillationGate#evaluate(GateRequest)} (a preview) does not.
 *
 * @param teacherTerms the teacher's declared terms; empty means nobody declared them (unknown)
 * @param studentName the name the student will be published under, non-blank
 * @param permission a recorded permission from the rights holder, if any
 * @param unknownTermsAcknowledged the user explicitly accepts responsibility for unknown terms
 * @param teacher the identity of the teacher the approval is for, if known yet
 * @param ownModel the teacher is the user's own model, trained by them on their own data (its own
 *     verdict, {@link OutputsForTraining#OWN_MODEL}); only without declared terms
 */
public record GateRequest(
        Optional<TermsEntry> teacherTerms,
        String studentName,
        Optional<Permission> permission,
        boolean unknownTermsAcknowledged,
        Optional<TeacherIdentity> teacher,
        boolean ownModel) {

    public GateRequest {
        Objects.requireNonNull(teacherTerms, "teacherTerms must not be null (use Optional.empty())");
        studentName = Texts.requireNonBlank(studentName, "studentName");
        Objects.requireNonNull(permission, "permission must not be null (use Optional.empty())");
        Objects.requireNonNull(teacher, "teacher must not be null (use Optional.empty())");
        if (ownModel && teacherTerms.isPresent()) {
            throw new IllegalArgumentException("a teacher with declared terms ("
                    + teacherTerms.get().id() + ") is decided on those terms, not as the user's own model");
        }
    }

    /** A request for a teacher with declared terms, no permission, nothing acknowledged. */
    public static GateRequest forTeacher(TermsEntry teacherTerms, String studentName) {
        return new GateRequest(
                Optional.of(teacherTerms), studentName, Optional.empty(), false, Optional.empty(), false);
    }

    /** A request for a teacher whose terms nobody declared. */
    public static GateRequest unknownTeacher(String studentName) {
        return new GateRequest(Optional.empty(), studentName, Optional.empty(), false, Optional.empty(), false);
    }

    /**
     * A request for a teacher the user trained themselves on their own data: no third party's
     * terms apply to its outputs, so it proceeds under its own verdict ({@link
     * OutputsForTraining#OWN_MODEL}), recorded as such.
     *
     * @param teacher the teacher's identity (null when it is not trained yet; then set it with
     *     {@link #withTeacher} before asking for an approval)
     */
    public static GateRequest ownModel(TeacherIdentity teacher, String studentName) {
        return new GateRequest(
                Optional.empty(), studentName, Optional.empty(), false, Optional.ofNullable(teacher), true);
    }

    /** This request with a recorded permission. */
    public GateRequest withPermission(Permission p) {
        return new GateRequest(teacherTerms, studentName, Optional.of(p), unknownTermsAcknowledged, teacher, ownModel);
    }

    /** This request with unknown terms explicitly acknowledged. */
    public GateRequest acknowledgingUnknownTerms() {
        return new GateRequest(teacherTerms, studentName, permission, true, teacher, ownModel);
    }

    /** This request for a student with another name (e.g. the gate's suggested one). */
    public GateRequest withStudentName(String name) {
        return new GateRequest(teacherTerms, name, permission, unknownTermsAcknowledged, teacher, ownModel);
    }

    /** This request for the teacher with this identity: the approval will be bound to it. */
    public GateRequest withTeacher(TeacherIdentity identity) {
        return new GateRequest(
                teacherTerms, studentName, permission, unknownTermsAcknowledged, Optional.of(identity), ownModel);
    }
}
