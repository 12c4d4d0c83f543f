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
 * Trains the independent models of a classifier audit from a recipe, from scratch on the recipe's
 * training data and true labels (never from a teacher's outputs), each with its own seed. When the
 * recipe trains its teacher, these are the design the evaluation in docs/audit.md found valid and
 * powerful on both of its data sets: references of the teacher's architecture and training ({@code
 * dir/reference-<i>}, seeds {@code seed + 1000 + i}), which make the consensus, and null models of
 * the student's ({@code dir/null-<i>}, seeds {@code seed + 2000 + i}), which the suspect is compared
 * with. A recipe whose teacher is a file or an API gives no teacher architecture: then the
 * references are of the student's architecture and there are no null models.
 *
 * <p>A directory that already holds a saved model is reused, so an interrupted run resumes; one
 * that holds a model of another architecture is an error, never silently mixed in.
 *
 * <p>This is the one place where the audit calls the training library.
 */
public final class ReferenceTraining {

    private static final Logger LOG = LoggerFactory.getLogger(ReferenceTraining.class);

    private ReferenceTraining() {}

    /**
     * What {@link #train} trained or reused.
     *
     * @param references the models of the consensus (the teacher's architecture when the recipe has one)
     * @param nullModels the models of the student's architecture the suspect is compared with; empty
     *     when the recipe trains no teacher
     * @param referenceArchitecture the references' architecture, as {@link ModelSpec#describe()} says it
     * @param nullArchitecture the null models' architecture, or null when there are none
     */
    public record Models(
            List<Path> references, List<Path> nullModels, String referenceArchitecture, String nullArchitecture) {
        public Models {
            references = List.copyOf(references);
            nullModels = List.copyOf(nullModels);
        }
    }

    /**
     * Whether {@link #train} trains references of the recipe's teacher architecture and null models
     * of its student's (the recipe trains its teacher), rather than references of its student's
     * architecture alone.
     */
    public static boolean trainsNullModels(Recipe recipe) {
        return recipe.teacher().model() != null && recipe.teacher().training() != null;
    }

    /**
     * Trains (or reuses) {@code references} references and, when the recipe trains its teacher,
     * {@code nullModels} null models into {@code dir}.
     *
     * @param recipe the recipe whose data, architectures and training settings are used
     * @param references how many references, at least 2
     * @param nullModels how many null models, at least 2 (the test's sample: more make its p-value
     *     depend less on one draw of them, docs/audit.md)
     * @param epochs epochs per model, or 0 for the recipe's own (the teacher's for references, the
     *     student's for null models)
     * @param dir where the models are saved
     * @throws IOException if a model cannot be written, or a directory to reuse holds a model of
     *     another architecture (the message names it)
     */
    public static Models train(Recipe recipe, int references, int nullModels, int epochs, Path dir) throws IOException {
        if (references < 2) {
            throw new IllegalArgumentException("illegal references value: " + references + ", must be at least 2");
        }
        if (nullModels < 2) {
            throw new IllegalArgumentException("illegal null models value: " + nullModels + ", must be at least 2");
        }
        ExperimentData data = ExperimentData.load(recipe);
        ModelSpec student = recipe.student().model();
        TrainingConfig studentConfig = recipe.student().training();
        boolean teacherArchitecture = trainsNullModels(recipe);
        ModelSpec refSpec = teacherArchitecture ? recipe.teacher().model() : student;
        TrainingConfig refConfig = teacherArchitecture ? recipe.teacher().training() : studentConfig;
        List<Path> refs = new ArrayList<>();
        List<Path> nulls = new ArrayList<>();
        for (int i = 0; i < references; i++) {
            refs.add(trainOrReuse(
                    refSpec, refConfig, epochs, recipe.seed() + 1000 + i, data, dir.resolve("reference-" + i)));
        }
        if (teacherArchitecture) {
            for (int i = 0; i < nullModels; i++) {
                nulls.add(trainOrReuse(
                        student, studentConfig, epochs, recipe.seed() + 2000 + i, data, dir.resolve("null-" + i)));
            }
        }
        return new Models(refs, nulls, refSpec.describe(), teacherArchitecture ? student.describe() : null);
    }

    private static Path trainOrReuse(
            ModelSpec spec, TrainingConfig config, int epochs, long seed, ExperimentData data, Path target)
            throws IOException {
        if (Files.isRegularFile(target.resolve(SavedModel.DESCRIPTOR))
                && Files.isRegularFile(target.resolve(SavedModel.PARAMS))) {
            ModelSpec saved = SavedModel.descriptor(target).architecture();
            // An output directory from an older layout (references alternating between architectures)
            // or another recipe would otherwise join the wrong sample and bias the test.
            if (saved == null || !saved.describe().equals(spec.describe())) {
                throw new IOException(target + " holds a model of another architecture ("
                        + (saved == null ? "a custom block" : saved.describe()) + "), expected " + spec.describe()
                        + ": delete it, or give the audit another --out");
            }
            LOG.info("Reusing {}", target);
            return target;
        }
        TrainingConfig c = epochs > 0 ? config.withEpochs(epochs) : config;
        LOG.info(
                "Training {} from scratch: {} ({} epochs, seed {})",
                target.getFileName(),
                spec.describe(),
                c.epochs(),
                seed);
        fit(spec, c, seed, data, target);
        return target;
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
