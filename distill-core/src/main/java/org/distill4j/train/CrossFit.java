package org.distill4j.train;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.eval.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.TeacherOutputs;

/**
 * Cross-fitted teacher outputs (k-fold): the training rows are split into k folds at random
 * (seeded), a teacher of the given architecture and training is trained on the other k - 1 folds,
 * and each fold's soft targets are that teacher's logits on it. No row's target comes from a
 * teacher that fitted its label, which is what a teacher that memorises its training set (soft
 * targets that are nearly the labels) otherwise hands the student (issue 13.4).
 *
 * <p>The k teachers are trained from the same recipe and data as the teacher they stand in for,
 * so the outputs carry that teacher's cache key, and the gate's approval for it covers them. Costs
 * k teacher trainings on (k - 1) / k of the rows.
 */
public final class CrossFit {

    private CrossFit() {}

    /**
     * Computes cross-fitted outputs on every row of {@code train}.
     *
     * @param teacherKey cache key of the teacher these outputs stand in for
     * @param spec the teachers' architecture
     * @param config the teachers' training
     * @param train the training rows (labelled)
     * @param folds k, in [2, 20], at most the number of rows
     * @param seed seed of the fold assignment and of the teachers' training (teacher f gets seed + f)
     * @param manager manager for the prediction batches
     * @return logits for all rows, row-major (rows, classes)
     * @throws IOException if training fails to write (it writes nothing here)
     */
    public static TeacherOutputs outputs(
            String teacherKey,
            ModelSpec spec,
            TrainingConfig config,
            ExampleSet train,
            int folds,
            long seed,
            NDManager manager)
            throws IOException {
        int n = train.size();
        if (folds < 2 || folds > 20 || folds > n) {
            throw new IllegalArgumentException("illegal cross_fit value: " + folds + ", must be in [2, 20] and at most "
                    + "the " + n + " training rows");
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random rng = new Random(seed * 0x9E3779B97F4A7C15L + 13);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int classes = train.numClasses();
        float[] logits = new float[Math.multiplyExact(n, classes)];
        for (int f = 0; f < folds; f++) {
            int[] held = foldRows(order, folds, f, true);
            int[] rest = foldRows(order, folds, f, false);
            ExampleSet fitOn = ExampleSets.subset(train, rest, train.name() + "/cross-fit-" + f + "-train");
            ExampleSet scoreOn = ExampleSets.subset(train, held, train.name() + "/cross-fit-" + f + "-held");
            try (SavedModel teacher = SavedModel.create(spec, train.featureShape(), train.classNames())) {
                ClassifierTrainer.builder(config).optSeed(seed + f).build().fit(teacher, fitOn, null);
                float[] out = Predictions.of(teacher, scoreOn, manager, 512).logits();
                for (int i = 0; i < held.length; i++) {
                    System.arraycopy(out, i * classes, logits, held[i] * classes, classes);
                }
            }
        }
        return new TeacherOutputs(teacherKey, train.contentHash(), n, classes, logits);
    }

    /** The rows of fold {@code f} (or all other rows), in ascending row order. */
    private static int[] foldRows(int[] order, int folds, int f, boolean inFold) {
        int[] rows = new int[order.length];
        int count = 0;
        for (int p = 0; p < order.length; p++) {
            if ((p % folds == f) == inFold) {
                rows[count++] = order[p];
            }
        }
        int[] out = Arrays.copyOf(rows, count);
        Arrays.sort(out);
        return out;
    }
}
