package org.distill4j.teacher;

import java.util.ArrayList;
import java.util.List;
import org.distill4j.model.SavedModel;
import org.junit.jupiter.api.AfterEach;

/**
 * {@link Teacher#of} (a model in memory) against the {@link TeacherContract}: two models of the
 * same seed are the same content, so the same identity.
 */
class InMemoryTeacherContractTest extends TeacherContract {

    private final List<SavedModel> models = new ArrayList<>();

    @AfterEach
    void closeModels() {
        models.forEach(SavedModel::close);
    }

    private Teacher teacher(long seed) throws Exception {
        SavedModel m = SavedModelTeacherContractTest.trained(seed);
        models.add(m);
        return Teacher.of(m);
    }

    @Override
    protected Teacher newTeacher() throws Exception {
        return teacher(1);
    }

    @Override
    protected Teacher newOtherTeacher() throws Exception {
        return teacher(2);
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
