package org.distill4j.spark;

import java.io.IOException;
import java.io.Serializable;
import org.distill4j.lm.teacher.LmTeacher;

/**
 * Loads a language-model teacher on an executor. The default is {@link TeacherSpec#loadLm()}; a
 * job may supply another (wrapping the real teacher) to observe or inject faults. Must be
 * serialisable and stateless: it travels in the task closure, so it must never hold a secret.
 */
@FunctionalInterface
public interface LmTeacherLoader extends Serializable {

    /** The loader that loads the spec's saved language model as {@code distill run} does. */
    LmTeacherLoader DEFAULT = TeacherSpec::loadLm;

    /** Loads a fresh instance of the language-model teacher {@code spec} describes. */
    LmTeacher load(TeacherSpec spec) throws IOException;
}
