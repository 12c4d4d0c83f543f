package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.Teacher;
import org.distill4j.testutil.SyntheticData;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One call gives every metric metrics.json holds for a model, each checked against its source. */
class EvaluatorTest {

    static final InMemoryExampleSet TRAIN = SyntheticData.blobs("blobs/train", 300, 3, 6, 2.0, 1);
    static final InMemoryExampleSet TEST = SyntheticData.blobs("blobs/test", 120, 3, 6, 2.0, 2);

    static SavedModel trained(int hidden, long seed) throws Exception {
        SavedModel m =
                SavedModel.create(new MlpSpec(List.of(hidden), null, 0), TRAIN.featureShape(), TRAIN.classNames());
        ClassifierTrainer.builder(
                        TrainingConfig.builder().setEpochs(2).optBatchSize(32).build())
                .optSeed(seed)
                .build()
                .fit(m, TRAIN, null);
        return m;
    }

    @Test
    void everyMetricOfAModelAgainstATeacher(@TempDir Path tmp) throws Exception {
        try (SavedModel teacherModel = trained(32, 1);
                SavedModel student = trained(4, 2);
                NDManager manager = NDManager.newBaseManager()) {
            Teacher teacher = Teacher.of(teacherModel);
            ModelMetrics m = Evaluator.builder()
                    .optTeacher(teacher)
                    .optLatencyRuns(20)
                    .optThroughputBatch(16)
                    .build()
                    .evaluate(student, TEST);
            Predictions p = Predictions.of(student, TEST, manager, 64);
            Predictions t = Predictions.of(teacher, TEST, manager, 64);
            assertThat(m.testAccuracy()).isEqualTo(p.accuracy(TEST));
            assertThat(m.testMacroF1()).isEqualTo(p.macroF1(TEST));
            assertThat(m.testErrors()).isEqualTo(p.errors(TEST));
            assertThat(m.testSize()).isEqualTo(120);
            assertThat(m.params()).isEqualTo(6 * 4 + 4 + 4 * 3 + 3);
            student.save(tmp.resolve("s"));
            assertThat(m.sizeBytes()).isEqualTo(Files.size(tmp.resolve("s").resolve(SavedModel.PARAMS)));
            assertThat(m.agreementWithTeacher()).isEqualTo(p.agreement(t)).isLessThan(1.0);
            assertThat(m.klToTeacher()).isEqualTo(p.klFrom(t)).isPositive();
            assertThat(m.latencyMsP50()).isPositive().isLessThanOrEqualTo(m.latencyMsP99());
            assertThat(m.throughputPerS()).isPositive();
            assertThat(m.throughputBatch()).isEqualTo(16);

            // The teacher against itself: full agreement, no divergence.
            ModelMetrics self = Evaluator.evaluate(teacherModel, TEST, teacher);
            assertThat(self.agreementWithTeacher()).isEqualTo(1.0);
            assertThat(self.klToTeacher()).isCloseTo(0.0, within(1e-9));
            // Without a teacher those two are unknown.
            assertThat(Evaluator.builder()
                            .optLatencyRuns(10)
                            .optThroughputBatch(8)
                            .build()
                            .evaluate(student, TEST)
                            .agreementWithTeacher())
                    .isNaN();
        }
    }

    @Test
    void aTestSetOfAnotherShapeIsRefusedByName() throws Exception {
        InMemoryExampleSet other = SyntheticData.blobs("blobs/wide", 20, 3, 7, 1.0, 3);
        try (SavedModel student = trained(4, 2)) {
            assertThatThrownBy(() -> Evaluator.evaluate(student, other, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blobs/wide");
        }
    }
}
