package org.distill4j.teacher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.testutil.SyntheticData;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.TrainingConfig;

/** {@link SavedModelTeacher} against the {@link TeacherContract}. */
class SavedModelTeacherContractTest extends TeacherContract {

    static final InMemoryExampleSet DATA = SyntheticData.blobs("blobs", 120, 3, 6, 1.0, 1);

    /** Trains a small model with {@code seed} and saves it into {@code dir} (once). */
    static Path saved(Path dir, long seed) throws Exception {
        if (!Files.isRegularFile(dir.resolve(SavedModel.PARAMS))) {
            try (SavedModel m = trained(seed)) {
                m.save(dir);
            }
        }
        return dir;
    }

    /** A small model of {@link #DATA}, trained one epoch with {@code seed}; dropout on, so inference mode shows. */
    static SavedModel trained(long seed) throws Exception {
        SavedModel m = SavedModel.create(new MlpSpec(List.of(8), null, 0.5), DATA.featureShape(), DATA.classNames());
        ClassifierTrainer.builder(
                        TrainingConfig.builder().setEpochs(1).optBatchSize(32).build())
                .optSeed(seed)
                .build()
                .fit(m, DATA, null);
        return m;
    }

    @Override
    protected Teacher newTeacher() throws Exception {
        return SavedModelTeacher.load(saved(tmp.resolve("a"), 1));
    }

    @Override
    protected Teacher newOtherTeacher() throws Exception {
        return SavedModelTeacher.load(saved(tmp.resolve("b"), 2));
    }

    @Override
    protected long[] featureShape() {
        return DATA.featureShape();
    }

    @Override
    protected int classes() {
        return 3;
    }
}
