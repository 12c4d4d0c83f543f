package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.SavedModelTeacher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training run must not leave NDArrays behind from epoch to epoch: the number of arrays alive in
 * the whole PyTorch engine (DJL's system manager, which every base manager hangs from) is the same
 * after epoch 2 and after epoch 5, for the student alone and distilled online (a teacher forward
 * per batch). A batch sub-manager left open, or an array attached to the run's manager per batch,
 * adds hundreds per epoch.
 */
class NDArrayLeakTest {

    @Test
    void liveArrayCountIsFlatAcrossEpochs(@TempDir Path tmp) throws Exception {
        NDManager system;
        try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
            system = probe.getParentManager();
        }
        List<Integer> alone = new ArrayList<>();
        try (SavedModel model = SavedModel.create(
                ClassifierTrainerTest.MLP,
                ClassifierTrainerTest.TRAIN.featureShape(),
                ClassifierTrainerTest.TRAIN.classNames())) {
            ClassifierTrainer.builder(ClassifierTrainerTest.config(5))
                    .optListener(counting(system, alone))
                    .build()
                    .fit(model, ClassifierTrainerTest.TRAIN, ClassifierTrainerTest.VAL);
            model.save(tmp.resolve("teacher"));
        }
        assertThat(alone).hasSize(5);
        assertThat(alone.get(4)).as("live arrays after epochs 1-5: %s", alone).isEqualTo(alone.get(1));

        List<Integer> online = new ArrayList<>();
        try (SavedModelTeacher teacher = SavedModelTeacher.load(tmp.resolve("teacher"));
                SavedModel model = SavedModel.create(
                        ClassifierTrainerTest.MLP,
                        ClassifierTrainerTest.TRAIN.featureShape(),
                        ClassifierTrainerTest.TRAIN.classNames())) {
            ClassifierTrainer.builder(ClassifierTrainerTest.config(5))
                    .optListener(counting(system, online))
                    .optDistillation(
                            new KdParameters(2, 0.5),
                            SoftTargets.online(teacher),
                            ClassifierTrainerTest.approval(teacher.identity()))
                    .build()
                    .fit(model, ClassifierTrainerTest.TRAIN, ClassifierTrainerTest.VAL);
        }
        assertThat(online.get(4)).as("live arrays after epochs 1-5: %s", online).isEqualTo(online.get(1));
    }

    private static TrainingListener counting(NDManager system, List<Integer> counts) {
        return new TrainingListener() {
            @Override
            public void onEpochEnd(EpochRecord record) {
                counts.add(system.getManagedArrays().size());
            }
        };
    }
}
