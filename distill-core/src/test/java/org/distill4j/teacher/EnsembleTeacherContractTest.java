package org.distill4j.teacher;

import java.util.List;

/** {@link EnsembleTeacher} of two saved models against the {@link TeacherContract}. */
class EnsembleTeacherContractTest extends TeacherContract {

    @Override
    protected Teacher newTeacher() throws Exception {
        return EnsembleTeacher.of(List.of(
                SavedModelTeacher.load(SavedModelTeacherContractTest.saved(tmp.resolve("a"), 1)),
                SavedModelTeacher.load(SavedModelTeacherContractTest.saved(tmp.resolve("b"), 2))));
    }

    @Override
    protected Teacher newOtherTeacher() throws Exception {
        return EnsembleTeacher.of(List.of(
                SavedModelTeacher.load(SavedModelTeacherContractTest.saved(tmp.resolve("a"), 1)),
                SavedModelTeacher.load(SavedModelTeacherContractTest.saved(tmp.resolve("c"), 3))));
    }

    @Override
    protected long[] featureShape() {
        return SavedModelTeacherContractTest.DATA.featureShape();
    }

    @Override
    protected int classes() {
        return 3;
    }
}
