package org.distill4j.report;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The headline number of a distillation experiment: how much of the gap between the student
 * trained from scratch and the teacher the distilled student closed,
 * {@code (err_scratch - err_distilled) / (err_scratch - err_teacher)}.
 *
 * <p>1 means the distilled student matches the teacher, 0 means distillation did not help, a
 * negative value means it hurt and a value above 1 means the student beat the teacher. When the
 * teacher is not better than the scratch student the gap is not defined and {@link
 * #closedFraction()} is empty.
 *
 * <p>Errors are test error counts when all three models were tested on the same number of rows
 * (exact), otherwise test error rates.
 *
 * @param teacherError the teacher's test errors (count or rate)
 * @param scratchError the scratch student's test errors
 * @param distilledError the distilled student's test errors
 * @param counts whether the three values are counts (true) or rates in [0, 1] (false)
 */
public record ErrorGap(double teacherError, double scratchError, double distilledError, boolean counts) {

    /** Role of the teacher model. */
    public static final String TEACHER = "teacher";
    /** Role of the student trained on hard labels only. */
    public static final String STUDENT_SCRATCH = "student_scratch";
    /** Role of the student trained by distillation. */
    public static final String STUDENT_DISTILLED = "student_distilled";

    /**
     * The gap of an experiment, or empty when one of the three roles is missing, was tested on
     * no rows or was not evaluated.
     */
    public static Optional<ErrorGap> of(List<ModelResult> models) {
        Optional<ModelResult> teacher = find(models, TEACHER);
        Optional<ModelResult> scratch = find(models, STUDENT_SCRATCH);
        Optional<ModelResult> distilled = find(models, STUDENT_DISTILLED);
        if (teacher.isEmpty() || scratch.isEmpty() || distilled.isEmpty()) {
            return Optional.empty();
        }
        var t = teacher.get().metrics();
        var s = scratch.get().metrics();
        var d = distilled.get().metrics();
        if (t.testSize() <= 0 || s.testSize() <= 0 || d.testSize() <= 0) {
            return Optional.empty();
        }
        // A model not evaluated (an API teacher with evaluate_test: false) reports -1 errors.
        if (t.testErrors() < 0 || s.testErrors() < 0 || d.testErrors() < 0) {
            return Optional.empty();
        }
        if (t.testSize() == s.testSize() && s.testSize() == d.testSize()) {
            return Optional.of(new ErrorGap(t.testErrors(), s.testErrors(), d.testErrors(), true));
        }
        return Optional.of(new ErrorGap(
                (double) t.testErrors() / t.testSize(),
                (double) s.testErrors() / s.testSize(),
                (double) d.testErrors() / d.testSize(),
                false));
    }

    /** The fraction of the gap closed, or empty when the teacher is not better than scratch. */
    public OptionalDouble closedFraction() {
        double gap = scratchError - teacherError;
        if (!(gap > 0)) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of((scratchError - distilledError) / gap);
    }

    /** One plain-text sentence stating the result, for the Markdown and HTML reports. */
    public String describe() {
        String errors = String.format(
                Locale.ROOT,
                "teacher %s, scratch %s, distilled %s",
                value(teacherError),
                value(scratchError),
                value(distilledError));
        OptionalDouble closed = closedFraction();
        if (closed.isEmpty()) {
            return "Distillation gap: not defined: the teacher is not more accurate than the "
                    + "student trained from scratch, so there is no gap to close (test "
                    + (counts ? "errors" : "error rates") + ": " + errors + ").";
        }
        return "Distillation closed " + Formats.percent1(closed.getAsDouble())
                + " of the teacher-vs-scratch error gap (test "
                + (counts ? "errors" : "error rates") + ": " + errors + ").";
    }

    private String value(double v) {
        return counts ? String.valueOf((long) v) : Formats.percent(v);
    }

    private static Optional<ModelResult> find(List<ModelResult> models, String role) {
        return models.stream().filter(m -> role.equals(m.role())).findFirst();
    }
}
