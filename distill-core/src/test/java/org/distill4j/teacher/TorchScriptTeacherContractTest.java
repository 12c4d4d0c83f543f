package org.distill4j.teacher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** {@link TorchScriptTeacher} (a file traced by real PyTorch) against the {@link TeacherContract}. */
class TorchScriptTeacherContractTest extends TeacherContract {

    private static JsonNode expected() throws Exception {
        return new ObjectMapper()
                .readTree(TorchScriptTeacherTest.fixture("tiny_teacher_expected.json")
                        .toFile());
    }

    @Override
    protected Teacher newTeacher() throws Exception {
        return TorchScriptTeacher.load(TorchScriptTeacherTest.fixture("tiny_teacher.pt"));
    }

    @Override
    protected Teacher newOtherTeacher() {
        return null;
    }

    @Override
    protected long[] featureShape() {
        try {
            return new long[] {expected().get("inputs").get(0).size()};
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected int classes() {
        try {
            return expected().get("classes").asInt();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
