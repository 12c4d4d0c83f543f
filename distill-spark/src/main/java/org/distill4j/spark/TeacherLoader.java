package org.distill4j.spark;

import java.io.IOException;
import java.io.Serializable;
import org.distill4j.teacher.Teacher;

/**
 * Loads a teacher on an executor. The default is {@link TeacherSpec#load()}; a job may supply
 * another (wrapping the real teacher) to observe or inject faults. Must be serialisable and
 * stateless: it travels in the task closure, so it must never hold a secret.
 */
@FunctionalInterface
public interface TeacherLoader extends Serializable {

    /** The loader that loads the spec's model as {@code distill label} would. */
    TeacherLoader DEFAULT = TeacherSpec::load;

    /** Loads a fresh instance of the teacher {@code spec} describes. */
    Teacher load(TeacherSpec spec) throws IOException;
}
