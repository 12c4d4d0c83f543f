package org.distill4j.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.TrainingConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains independent reference models for an audit from a recipe: from scratch on the recipe's
 * training data and true labels (never from a teacher's outputs), alternating between the
 * recipe's student and (when it trains one) teacher architectures, each with its own seed.
 *
 * <p>This is the one place where the audit calls the training library.
 */
public final class ReferenceTraining {

    private static final Logger LOG = LoggerFactory.getLogger(ReferenceTraining.class);

    private ReferenceTraining() {}

    /**
     * Trains {@code count} references into {@code dir/reference-<i>}; a directory that already
     * holds a saved model is reused, so an interrupted run resumes.
     *
     * @param recipe the recipe whose data, architectures and training settings are used
     * @param count how many, at least 2
     * @param epochs epochs per reference, or 0 for the recipe's own
     * @param dir where the models are saved
     * @return the model directories, in order
     */
    public static List<Path> train(Recipe recipe, int count, int epochs, Path dir) throws IOException {
        if (count < 2) {
            throw new IllegalArgumentException("illegal references value: " + count + ", must be at least 2");
        }
        ExperimentData data = ExperimentData.load(recipe);
        List<ModelSpec> specs = new ArrayList<>();
        List<TrainingConfig> configs = new ArrayList<>();
        specs.add(recipe.student().model());
        configs.add(recipe.student().training());
        if (recipe.teacher().model() != null && recipe.teacher().training() != null) {
            specs.add(recipe.teacher().model());
            configs.add(recipe.teacher().training());
        }
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path target = dir.resolve("reference-" + i);
            out.add(target);
            if (Files.isRegularFile(target.resolve(SavedModel.DESCRIPTOR))
                    && Files.isRegularFile(target.resolve(SavedModel.PARAMS))) {
                continue;
            }
            ModelSpec spec = specs.get(i % specs.size());
            TrainingConfig config = configs.get(i % specs.size());
            if (epochs > 0) {
                config = config.withEpochs(epochs);
            }
            LOG.info(
                    "Training reference {} of {}: {} ({} epochs, seed {})",
                    i + 1,
                    count,
                    spec.describe(),
                    config.epochs(),
                    recipe.seed() + 1000 + i);
            fit(spec, config, recipe.seed() + 1000 + i, data, target);
        }
        return out;
    }

    /** Trains one model from scratch on true labels and saves it. */
    static void fit(ModelSpec spec, TrainingConfig config, long seed, ExperimentData data, Path target)
            throws IOException {
        ExampleSet train = data.train();
        try (SavedModel model =
                SavedModel.create(spec, train.featureShape(), train.classNames(), data.textFeatures())) {
            ClassifierTrainer.builder(config).optSeed(seed).build().fit(model, train, data.validation());
            model.save(target);
        }
    }
}
