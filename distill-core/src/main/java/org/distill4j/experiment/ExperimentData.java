package org.distill4j.experiment;

import java.io.IOException;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.recipe.Recipe;

/**
 * The three splits of an experiment, as the recipe declares them: the training rows (after the
 * optional limit and minus the validation hold-out), the validation rows (null when the fraction
 * is 0) and the test rows.
 *
 * @param train rows the models learn from
 * @param validation rows held out of training for model selection, or null
 * @param test rows reported on, never used for any decision
 */
public record ExperimentData(ExampleSet train, ExampleSet validation, ExampleSet test) {

    /** Loads and splits the data a recipe names. */
    public static ExperimentData load(Recipe recipe) throws IOException {
        Recipe.DataSection d = recipe.data();
        IdxDataset idx = IdxDataset.load(d.dir());
        ExampleSet train = limit(idx.train(), d.trainLimit());
        ExampleSet test = limit(idx.test(), d.testLimit());
        if (d.validationFraction() == 0) {
            return new ExperimentData(train, null, test);
        }
        ExampleSets.Split split = ExampleSets.split(train, d.validationFraction(), recipe.seed());
        return new ExperimentData(split.train(), split.validation(), test);
    }

    private static ExampleSet limit(ExampleSet set, int limit) {
        return limit == 0 || limit >= set.size() ? set : ExampleSets.slice(set, 0, limit);
    }
}
