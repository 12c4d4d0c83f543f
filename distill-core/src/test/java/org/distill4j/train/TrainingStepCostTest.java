package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.distill4j.train.ClassifierTrainerTest.MLP;
import static org.distill4j.train.ClassifierTrainerTest.TRAIN;
import static org.distill4j.train.ClassifierTrainerTest.approval;
import static org.distill4j.train.ClassifierTrainerTest.config;
import static org.distill4j.train.ClassifierTrainerTest.teacherId;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.TeacherOutputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What a training batch costs on the device, counted rather than timed: the NDArrays a batch holds
 * in its manager when its step is done (each one a native tensor: an upload or an operation's
 * result, each made by a native call). Distillation from cached teacher outputs may add at most
 * one to training on labels alone, the broadcast {@code s * [1/T, 1]} that makes both
 * log-softmaxes in one call (docs/engine.md, "Cached distillation at the cost of the student
 * alone"). Before, the teacher's side and the loss's scalars were rebuilt every batch: for this
 * MLP 29 arrays against 13 (T = 4), now 12 against 11.
 */
class TrainingStepCostTest {

    @ParameterizedTest(name = "T={0}, alpha={1}: at most {2} more arrays per batch than alone")
    @CsvSource({"4, 0.9, 1", "1, 0.5, 0", "2, 1.0, 1"})
    void cachedDistillationAddsAtMostOneDeviceArrayPerBatch(double t, double alpha, int extra) throws Exception {
        List<Integer> alone = arraysPerBatch(null);
        List<Integer> cached = arraysPerBatch(new KdParameters(t, alpha));
        int batches = (TRAIN.size() + 31) / 32;
        assertThat(alone).hasSize(batches);
        assertThat(cached).hasSize(batches);
        // Every batch alike (the last, smaller one included): nothing accumulates per batch.
        assertThat(alone).as("arrays per batch, alone").containsOnly(alone.get(0));
        assertThat(cached).as("arrays per batch, cached").containsOnly(cached.get(0));
        assertThat(cached.get(0) - alone.get(0))
                .as("arrays per batch: alone %s, cached %s", alone.get(0), cached.get(0))
                .isLessThanOrEqualTo(extra);
    }

    @Test
    void trainingOnLabelsAloneKeepsItsShortPath() throws Exception {
        // Features and the loss's weights uploaded, the model's forward pass (MLP [32]: linear,
        // relu, dropout, linear and their views), log-softmax, the weighted product, the backward
        // seed and the prediction read. Before: also the labels' upload, the weights built from
        // them and the loss's sum.
        assertThat(arraysPerBatch(null).get(0)).isLessThanOrEqualTo(11);
    }

    /** Arrays in each batch's manager after its step, for one epoch, alone (null) or cached. */
    private static List<Integer> arraysPerBatch(KdParameters kd) throws Exception {
        List<Integer> counts = new ArrayList<>();
        ClassifierTrainer.Builder b = ClassifierTrainer.builder(config(1))
                .optBatchProbe(batch -> counts.add(batch.getManagedArrays().size()));
        if (kd != null) {
            float[] logits = new float[TRAIN.size() * TRAIN.numClasses()];
            Random rng = new Random(3);
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (3 * rng.nextGaussian());
            }
            TeacherOutputs outputs = new TeacherOutputs(
                    teacherId("cccc").cacheKey(), TRAIN.contentHash(), TRAIN.size(), TRAIN.numClasses(), logits);
            b.optDistillation(kd, SoftTargets.cached(outputs), approval(teacherId("cccc")));
        }
        try (SavedModel model = SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames())) {
            b.build().fit(model, TRAIN, null);
        }
        return counts;
    }
}
