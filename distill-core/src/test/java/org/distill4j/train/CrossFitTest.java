package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Random;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.eval.Predictions;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.TeacherOutputs;
import org.junit.jupiter.api.Test;

/**
 * Cross-fitted outputs come from teachers that did not see the row: on random labels, which a
 * teacher can only memorise, a teacher's outputs on its own training rows agree with the labels far
 * above chance, and the cross-fitted outputs only at chance.
 */
class CrossFitTest {

    /** 240 rows of 16 random features with random labels among 4 classes: nothing to learn, only to memorise. */
    static InMemoryExampleSet noise() {
        Random rng = new Random(3);
        float[] x = new float[240 * 16];
        int[] y = new int[240];
        for (int i = 0; i < 240; i++) {
            y[i] = rng.nextInt(4);
            for (int d = 0; d < 16; d++) {
                x[i * 16 + d] = (float) rng.nextGaussian();
            }
        }
        return new InMemoryExampleSet("noise", new long[] {16}, x, y, List.of("a", "b", "c", "d"));
    }

    static double agreement(float[] logits, InMemoryExampleSet set) {
        int hits = 0;
        for (int i = 0; i < set.size(); i++) {
            int best = 0;
            for (int c = 1; c < 4; c++) {
                if (logits[i * 4 + c] > logits[i * 4 + best]) {
                    best = c;
                }
            }
            hits += best == set.label(i) ? 1 : 0;
        }
        return (double) hits / set.size();
    }

    @Test
    void eachRowIsScoredByATeacherThatDidNotTrainOnIt() throws Exception {
        InMemoryExampleSet train = noise();
        MlpSpec spec = new MlpSpec(List.of(128), null, 0);
        TrainingConfig config = TrainingConfig.builder()
                .setEpochs(60)
                .optBatchSize(32)
                .optLearningRate(0.01)
                .build();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            float[] own;
            try (SavedModel teacher = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                ClassifierTrainer.builder(config).optSeed(1).build().fit(teacher, train, null);
                own = Predictions.of(teacher, train, manager, 512).logits();
            }
            TeacherOutputs crossFitted = CrossFit.outputs("distill4j:k", spec, config, train, 4, 1, manager);
            assertThat(crossFitted.rows()).isEqualTo(240);
            assertThat(crossFitted.teacherKey()).isEqualTo("distill4j:k");
            assertThat(crossFitted.dataHash()).isEqualTo(train.contentHash());
            // Memorised: the teacher's outputs on its own training rows give back their labels.
            assertThat(agreement(own, train)).isGreaterThan(0.9);
            // Cross-fitted: no row's teacher saw its label, so agreement is at chance (1/4).
            assertThat(agreement(crossFitted.logits(), train)).isBetween(0.1, 0.4);
            for (float v : crossFitted.logits()) {
                assertThat(v).isFinite();
            }
            assertThatThrownBy(() -> CrossFit.outputs("k", spec, config, train, 1, 1, manager))
                    .hasMessageContaining("illegal cross_fit value: 1");
        }
    }
}
