package org.distill4j.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.distill4j.data.DataException;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.data.JsonlTextDataset;
import org.distill4j.data.TextFeatures;
import org.distill4j.lm.corpus.SplitOverlap;
import org.distill4j.recipe.Recipe;

/**
 * The three splits of an experiment, as the recipe declares them: the training rows (after the
 * optional limit and minus the validation hold-out), the validation rows (a jsonl validation file,
 * else the hold-out; null when the fraction is 0) and the test rows.
 *
 * @param train rows the models learn from
 * @param validation rows held out of training for model selection, or null
 * @param test rows reported on, never used for any decision
 * @param textFeatures how texts became the features (jsonl data), or null for dense data (idx);
 *     saved in every model's {@code model.json}
 * @param teacherTrain rows a teacher trained here learns from: {@code train} itself, or with {@code
 *     data.teacher_split} rows disjoint from it (then {@code train} holds the students' rows only)
 * @param unlabelled rows without labels that only the distilled student learns from, through the
 *     teacher's outputs ({@code data.unlabelled}), or null
 */
public record ExperimentData(
        ExampleSet train,
        ExampleSet validation,
        ExampleSet test,
        TextFeatures textFeatures,
        ExampleSet teacherTrain,
        ExampleSet unlabelled) {

    /** Data without unlabelled rows. */
    public ExperimentData(
            ExampleSet train,
            ExampleSet validation,
            ExampleSet test,
            TextFeatures textFeatures,
            ExampleSet teacherTrain) {
        this(train, validation, test, textFeatures, teacherTrain, null);
    }

    /** Data whose teacher learns from the students' training rows. */
    public ExperimentData(ExampleSet train, ExampleSet validation, ExampleSet test, TextFeatures textFeatures) {
        this(train, validation, test, textFeatures, train);
    }

    /** Data of dense features (no text). */
    public ExperimentData(ExampleSet train, ExampleSet validation, ExampleSet test) {
        this(train, validation, test, null);
    }

    /** Loads and splits the data a recipe names. */
    public static ExperimentData load(Recipe recipe) throws IOException {
        Recipe.DataSection d = recipe.data();
        if (d.format().equals("jsonl")) {
            return loadJsonl(recipe);
        }
        IdxDataset idx = IdxDataset.load(d.dir());
        return split(recipe, limit(idx.train(), d.trainLimit()), null, limit(idx.test(), d.testLimit()), null);
    }

    private static ExperimentData loadJsonl(Recipe recipe) throws IOException {
        Recipe.DataSection d = recipe.data();
        JsonlTextDataset text = d.dir() != null
                ? JsonlTextDataset.load(d.dir(), d.fields(), d.features())
                : JsonlTextDataset.load(d.train(), d.validation(), d.test(), d.fields(), d.features());
        if (text.validation() != null && d.validationFraction() != null) {
            Path file = d.dir() == null ? d.validation() : JsonlTextDataset.find(d.dir(), "validation");
            throw new DataException(
                    file,
                    "data.validation_fraction is " + d.validationFraction() + " but " + file
                            + " exists and is the validation split; remove validation_fraction from the recipe (or the file)");
        }
        ExperimentData data = split(
                recipe,
                limit(text.train(), d.trainLimit()),
                text.validation(),
                limit(text.test(), d.testLimit()),
                d.features());
        if (d.unlabelled() == null) {
            return data;
        }
        // A label present must still name a class (a typo is worth an error); none is used.
        ExampleSet extra = ExampleSets.withoutLabels(JsonlTextDataset.loadUnlabelled(
                d.unlabelled(), d.fields(), data.train().classNames(), d.features()));
        return new ExperimentData(
                data.train(), data.validation(), data.test(), data.textFeatures(), data.teacherTrain(), extra);
    }

    /**
     * The rows the models learn from, each once: the students' training rows, the teacher's when
     * they differ, and the unlabelled rows when there are some.
     */
    List<ExampleSet> learntRows() {
        List<ExampleSet> sets = new java.util.ArrayList<>(List.of(train));
        if (teacherTrain != train) {
            sets.add(teacherTrain);
        }
        if (unlabelled != null) {
            sets.add(unlabelled);
        }
        return sets;
    }

    private static ExperimentData split(
            Recipe recipe, ExampleSet train, ExampleSet validation, ExampleSet test, TextFeatures features) {
        if (validation != null) {
            return teacherSplit(recipe, new ExperimentData(train, validation, test, features));
        }
        Double fraction = recipe.data().validationFraction();
        double f = fraction == null ? Recipe.DataSection.DEFAULT_VALIDATION_FRACTION : fraction;
        if (f == 0) {
            return teacherSplit(recipe, new ExperimentData(train, null, test, features));
        }
        ExampleSets.Split split = ExampleSets.split(train, f, recipe.seed());
        return teacherSplit(recipe, new ExperimentData(split.train(), split.validation(), test, features));
    }

    /** Under {@code data.teacher_split}, gives the teacher its share of the training rows and the students the rest. */
    private static ExperimentData teacherSplit(Recipe recipe, ExperimentData data) {
        if (!recipe.data().splitsTeacherRows()) {
            return data;
        }
        // A seed of its own, so that the teacher's rows do not line up with the validation hold-out's.
        ExampleSets.Split parts = ExampleSets.split(data.train(), recipe.data().teacherSplit(), ~recipe.seed());
        return new ExperimentData(
                parts.train(), data.validation(), data.test(), data.textFeatures(), parts.validation());
    }

    /**
     * How many validation and test rows have a near duplicate among the rows the models train on
     * (the students', with {@code data.teacher_split} the teacher's, and {@code data.unlabelled}'s
     * rows): {@link SplitOverlap}'s
     * rule over the rows' texts, every held-out row checked.
     *
     * @return empty for rows without text (images)
     */
    public Optional<HeldOutOverlap> heldOutOverlap() {
        if (test.size() == 0 || test.text(0) == null) {
            return Optional.empty();
        }
        Map<String, ExampleSet> heldOut = new LinkedHashMap<>();
        if (validation != null) {
            heldOut.put("validation", validation);
        }
        heldOut.put("test", test);
        Map<String, SplitOverlap> checks = new LinkedHashMap<>();
        heldOut.forEach((name, set) -> {
            SplitOverlap.Builder b = SplitOverlap.builder(Integer.MAX_VALUE);
            for (int i = 0; i < set.size(); i++) {
                b.add(set.text(i));
            }
            checks.put(name, b.build());
        });
        for (ExampleSet rows : learntRows()) {
            for (int i = 0; i < rows.size(); i++) {
                String text = rows.text(i);
                checks.values().forEach(c -> c.accept(text));
            }
        }
        Map<String, SplitOverlap.Result> sides = new LinkedHashMap<>();
        checks.forEach((name, c) -> sides.put(name, c.result()));
        return Optional.of(new HeldOutOverlap(sides, checks.get("test").withoutNearDuplicate()));
    }

    /**
     * What {@link #heldOutOverlap()} found.
     *
     * @param sides each held-out split's result, {@code validation} (when there is one) then {@code test}
     * @param novelTestRows the test rows (ascending indices) that have a shingle and no near duplicate
     *     in training: where a score owes nothing to remembering a training row
     */
    public record HeldOutOverlap(Map<String, SplitOverlap.Result> sides, int[] novelTestRows) {

        /** Defensive copies: the result is immutable. */
        public HeldOutOverlap {
            sides = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sides));
            novelTestRows = novelTestRows.clone();
        }

        /** A copy of the rows. */
        @Override
        public int[] novelTestRows() {
            return novelTestRows.clone();
        }

        /** As {@code metrics.json} records it ({@link SplitOverlap#report}). */
        public Map<String, Object> report() {
            return SplitOverlap.report(sides);
        }
    }

    private static ExampleSet limit(ExampleSet set, int limit) {
        return limit == 0 || limit >= set.size() ? set : ExampleSets.slice(set, 0, limit);
    }
}
