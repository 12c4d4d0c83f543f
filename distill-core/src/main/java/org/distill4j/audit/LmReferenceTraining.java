package org.distill4j.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.TeacherSignal;
import org.distill4j.recipe.RecipeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the independent models of a language-model audit from an LM recipe: references of the
 * teacher's architecture and training, and null models of the student's (the choice the
 * evaluation in docs/audit.md measured), from scratch with cross-entropy on the recipe's training
 * split, never from a teacher, each with its own seed ({@code seed + 1000 + i} and {@code seed +
 * 2000 + i}). A directory that already holds a saved model is reused, so an interrupted run resumes.
 */
public final class LmReferenceTraining {

    private static final Logger LOG = LoggerFactory.getLogger(LmReferenceTraining.class);

    private LmReferenceTraining() {}

    /**
     * @param references the teacher-architecture models, {@code dir/reference-<i>}
     * @param nullModels the student-architecture models, {@code dir/null-<i>}
     */
    public record Models(List<Path> references, List<Path> nullModels) {}

    /**
     * Trains (or reuses) {@code count} references and {@code count} null models into {@code dir}.
     *
     * @param recipe a language-model recipe whose teacher is trained here (its architecture keys)
     * @param count how many of each, at least 2
     * @throws RecipeException if the recipe's teacher has no architecture to train references of
     */
    public static Models train(LmRecipe recipe, int count, Path dir) throws IOException, RecipeException {
        return train(recipe, count, count, dir);
    }

    /**
     * Trains (or reuses) {@code references} references and {@code nullModels} null models into
     * {@code dir}.
     *
     * @param recipe a language-model recipe whose teacher is trained here (its architecture keys)
     * @param references how many references, at least 2
     * @param nullModels how many null models, at least 2
     * @throws RecipeException if the recipe's teacher has no architecture to train references of
     */
    public static Models train(LmRecipe recipe, int references, int nullModels, Path dir)
            throws IOException, RecipeException {
        if (references < 2) {
            throw new IllegalArgumentException("illegal references value: " + references + ", must be at least 2");
        }
        if (nullModels < 2) {
            throw new IllegalArgumentException("illegal null models value: " + nullModels + ", must be at least 2");
        }
        if (recipe.teacher().layers() == null) {
            throw new RecipeException(
                    "teacher",
                    "--train-references needs a recipe that trains its teacher (layers, width, heads): the "
                            + "references are of its architecture; give --reference LM_DIR otherwise");
        }
        LmTrainingCorpus corpus = LmTrainingCorpus.read(recipe);
        long seed = recipe.seedOrDefault();
        List<Path> refs = new ArrayList<>();
        List<Path> nulls = new ArrayList<>();
        for (int i = 0; i < references; i++) {
            refs.add(fit(recipe, recipe.teacher(), "teacher", corpus, seed + 1000 + i, dir.resolve("reference-" + i)));
        }
        for (int i = 0; i < nullModels; i++) {
            nulls.add(fit(recipe, recipe.student(), "student", corpus, seed + 2000 + i, dir.resolve("null-" + i)));
        }
        return new Models(refs, nulls);
    }

    private static Path fit(
            LmRecipe recipe, LmRecipe.Model spec, String section, LmTrainingCorpus corpus, long seed, Path target)
            throws IOException, RecipeException {
        DecoderConfig config = recipe.decoder(spec, section, corpus.tokenizer().vocabSize());
        if (Files.isRegularFile(target.resolve(LanguageModel.DESCRIPTOR))
                && Files.isRegularFile(target.resolve(LanguageModel.PARAMS))) {
            LanguageModel.Descriptor saved = LanguageModel.descriptor(target);
            // A model of another recipe (another architecture or tokenizer) would join the wrong
            // sample and bias the test: refused, as the classifier audit refuses one.
            if (!saved.decoder().equals(config)
                    || !saved.tokenizer().equals(corpus.tokenizer().identity())) {
                throw new IOException(target + " holds a language model of another architecture or tokenizer ("
                        + saved.decoder() + ", " + saved.tokenizer().kind() + "), expected the recipe's " + section
                        + " (" + config + ", " + corpus.tokenizer().identity().kind()
                        + "): delete it, or give the audit another --out");
            }
            LOG.info("Reusing {}", target);
            return target;
        }
        LOG.info("Training {} from scratch ({} architecture, seed {})", target.getFileName(), section, seed);
        try (LanguageModel lm = LanguageModel.create(config, corpus.tokenizer(), seed)) {
            LmTrainer.train(
                    lm,
                    corpus.teacherTrain(),
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    spec.training().toConfig(seed));
            lm.save(target);
        }
        return target;
    }
}
