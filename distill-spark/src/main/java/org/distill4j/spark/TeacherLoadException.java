package org.distill4j.spark;

/**
 * An executor could not load the job's teacher, or loaded another model than the driver checked.
 * The driver reports it as a {@link LabelJobException} naming the teacher.
 */
public final class TeacherLoadException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the message names the teacher and the cause. */
    public TeacherLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
