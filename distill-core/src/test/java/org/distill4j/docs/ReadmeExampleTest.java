package org.distill4j.docs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.model.Activation;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.loss.KdParameters;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateApproval;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.testutil.SyntheticData;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.OptimizerKind;
import org.distill4j.train.Schedule;
import org.distill4j.train.TrainingConfig;
import org.distill4j.train.SoftTargets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Using the library" example, on synthetic data, so the README cannot rot. */
class ReadmeExampleTest {

    @Test
    void readmeLibraryExampleRuns(@TempDir Path tmp) throws Exception {
        ExampleSet train = SyntheticData.blobs("blobs", 400, 4, 16, 1.0, 1);
        try (SavedModel t = SavedModel.create(new MlpSpec(List.of(32), Activation.RELU, 0), train.featureShape(),
                train.classNames())) {
            ClassifierTrainer.builder(TrainingConfig.builder().setEpochs(2).optBatchSize(64).build()).build()
                    .fit(t, train, null);
            t.save(tmp.resolve("teacher"));
        }
        // From here on, as in the README (paths adapted).
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                Teacher teacher = SavedModelTeacher.load(tmp.resolve("teacher"));
                SavedModel student = SavedModel.create(new MlpSpec(List.of(32), Activation.RELU, 0),
                        train.featureShape(), train.classNames())) {
            GateApproval approval = new DistillationGate().approve(
                    GateRequest.forTeacher(TermsRegistry.builtIn().get("mit"), "my-student")
                            .withTeacher(teacher.identity()));
            TeacherOutputs soft = new TeacherOutputCache(tmp.resolve("cache"))
                    .getOrCompute(teacher, train, manager, 512, done -> { });
            ClassifierTrainer.builder(TrainingConfig.builder().setEpochs(10).optLearningRate(0.002)
                            .optSchedule(Schedule.COSINE).build())
                    .optDistillation(new KdParameters(4, 0.9), SoftTargets.cached(soft), approval)
                    .build()
                    .fit(student, train, null);
            student.save(tmp.resolve("my-student"));
        }
        assertThat(Files.isRegularFile(tmp.resolve("my-student").resolve(SavedModel.PARAMS))).isTrue();
        try (SavedModel reloaded = SavedModel.load(tmp.resolve("my-student"))) {
            assertThat(reloaded.parameterCount()).isEqualTo(16 * 32 + 32 + 32 * 4 + 4);
        }
    }
}
