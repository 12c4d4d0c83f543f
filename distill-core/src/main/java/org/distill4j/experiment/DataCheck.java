package org.distill4j.experiment;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.distill4j.data.ExampleSet;
import org.distill4j.io.Hashing;
import org.distill4j.lm.corpus.SplitOverlap;

/**
 * What a recipe's data look like before anything trains ({@code distill check}): rows per split,
 * rows per class, test and validation rows identical to a training row, and for text the rows with a
 * near duplicate in training ({@link ExperimentData#heldOutOverlap()}), with warnings where a run's
 * numbers would mislead.
 *
 * <p>"Identical" means the same text for rows built from text, else the same features (the floats a
 * model sees, e.g. pixels), compared by SHA-256; such a pair with different labels is counted too (a
 * contradiction no model can score on). The rows the models train on are the students', with
 * {@code data.teacher_split} the teacher's, and {@code data.unlabelled}'s (a held-out row repeated
 * there is remembered through the teacher's outputs).
 *
 * <p>Language-model recipes get their own check ({@code LmExperiment.checkData()}) in the same shape.
 *
 * @param facts every count, as a JSON-compatible tree (what {@code --json} writes)
 * @param summary a few lines for a terminal, saying the main counts
 * @param warnings sentences for the user, empty when nothing looks wrong
 */
public record DataCheck(Map<String, Object> facts, List<String> summary, List<String> warnings) {

    /** Above this share of held-out rows identical to a training row, a warning. */
    public static final double IDENTICAL_WARNING_SHARE = 0.01;

    /** Above this share of test rows with a near duplicate in training, a warning. */
    public static final double NEAR_DUPLICATE_WARNING_SHARE = 0.05;

    /** Above this ratio between the largest and the smallest training class, a warning. */
    public static final double IMBALANCE_WARNING_RATIO = 100;

    /**
     * Where the check warns: above {@code identicalShare} of a held-out split identical to training
     * rows, above {@code nearDuplicateShare} of the test split (or, for a language model, its test
     * documents) with a near duplicate in training, and training classes more than {@code
     * imbalanceRatio} times apart. {@code distill check} takes them as options, so that {@code
     * --strict} can gate a pipeline on the data's own tolerances.
     *
     * @param identicalShare in [0, 1]
     * @param nearDuplicateShare in [0, 1]
     * @param imbalanceRatio at least 1
     */
    public record Thresholds(double identicalShare, double nearDuplicateShare, double imbalanceRatio) {

        /** The thresholds every run warns at. */
        public static final Thresholds DEFAULT =
                new Thresholds(IDENTICAL_WARNING_SHARE, NEAR_DUPLICATE_WARNING_SHARE, IMBALANCE_WARNING_RATIO);

        /** Validates; the messages name the threshold and what is allowed. */
        public Thresholds {
            if (!(identicalShare >= 0 && identicalShare <= 1)) {
                throw new IllegalArgumentException(
                        "the identical-rows share to warn above is " + identicalShare + ", must be in [0, 1]");
            }
            if (!(nearDuplicateShare >= 0 && nearDuplicateShare <= 1)) {
                throw new IllegalArgumentException(
                        "the near-duplicate share to warn above is " + nearDuplicateShare + ", must be in [0, 1]");
            }
            if (!(imbalanceRatio >= 1) || Double.isInfinite(imbalanceRatio)) {
                throw new IllegalArgumentException(
                        "the class-size ratio to warn above is " + imbalanceRatio + ", must be a finite number >= 1");
            }
        }

        /** As {@code --json} records them. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("identical_share", identicalShare);
            m.put("near_duplicate_share", nearDuplicateShare);
            m.put("class_ratio", imbalanceRatio);
            return m;
        }
    }

    /** Defensive copies. */
    public DataCheck {
        facts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(facts));
        summary = List.copyOf(summary);
        warnings = List.copyOf(warnings);
    }

    /** Checks the splits of an experiment's data. */
    public static DataCheck of(ExperimentData data) {
        return of(data, data.heldOutOverlap());
    }

    /**
     * Checks the splits of an experiment's data, with the near-duplicate check already made ({@link
     * ExperimentData#heldOutOverlap()}; empty for data without text).
     */
    public static DataCheck of(ExperimentData data, Optional<ExperimentData.HeldOutOverlap> overlap) {
        return of(data, overlap, Thresholds.DEFAULT);
    }

    /** The same, warning at the given thresholds. */
    public static DataCheck of(
            ExperimentData data, Optional<ExperimentData.HeldOutOverlap> overlap, Thresholds thresholds) {
        Map<String, Object> facts = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        Map<String, ExampleSet> splits = new LinkedHashMap<>();
        splits.put("train", data.train());
        if (data.teacherTrain() != data.train()) {
            splits.put("teacher_train", data.teacherTrain());
        }
        if (data.validation() != null) {
            splits.put("validation", data.validation());
        }
        splits.put("test", data.test());
        if (data.unlabelled() != null) {
            splits.put("unlabelled", data.unlabelled());
        }

        Map<String, Object> rows = new LinkedHashMap<>();
        splits.forEach((name, set) -> rows.put(name, set.size()));
        facts.put("rows", rows);
        facts.put("classes", data.train().classNames());
        facts.put(
                "rows_per_class",
                classCounts(splits, data.train().classNames(), warnings, thresholds.imbalanceRatio()));

        Map<String, Integer> trained = new HashMap<>(); // row hash (text or features) -> a training row's label
        for (ExampleSet set : data.learntRows()) {
            forEachRowHash(set, (i, hash) -> trained.putIfAbsent(hash, set.label(i)));
        }
        Map<String, Object> identical = new LinkedHashMap<>();
        for (String held : List.of("validation", "test")) {
            ExampleSet set = splits.get(held);
            if (set == null) {
                continue;
            }
            int[] counts = new int[2];
            forEachRowHash(set, (i, hash) -> {
                Integer label = trained.get(hash);
                if (label != null) {
                    counts[0]++;
                    if (label != set.label(i)
                            && label != ExampleSet.UNLABELED
                            && set.label(i) != ExampleSet.UNLABELED) {
                        counts[1]++;
                    }
                }
            });
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rows", counts[0]);
            m.put("share", share(counts[0], set.size()));
            m.put("with_another_label", counts[1]);
            identical.put(held, m);
            if (counts[0] > thresholds.identicalShare() * set.size()) {
                warnings.add(String.format(
                        Locale.ROOT,
                        "%,d of the %,d %s rows (%.1f%%) are identical to a training row%s: the %s score partly "
                                + "measures remembering them",
                        counts[0],
                        set.size(),
                        held,
                        100.0 * counts[0] / set.size(),
                        counts[1] == 0
                                ? ""
                                : String.format(Locale.ROOT, " (%,d of them with another label)", counts[1]),
                        held));
            }
        }
        facts.put("identical_to_training", identical);

        List<String> summary = new ArrayList<>();
        List<String> sizes = new ArrayList<>();
        splits.forEach((name, set) -> sizes.add(String.format(Locale.ROOT, "%s %,d", name, set.size())));
        summary.add("rows: " + String.join(", ", sizes) + "; " + data.train().numClasses() + " classes");
        Map<?, ?> trainClasses = (Map<?, ?>) ((Map<?, ?>) facts.get("rows_per_class")).get("train");
        summary.add(String.format(
                Locale.ROOT,
                "training rows per class: %,d to %,d",
                ((Number) trainClasses.get("smallest")).longValue(),
                ((Number) trainClasses.get("largest")).longValue()));
        identical.forEach((held, m) -> summary.add(String.format(
                Locale.ROOT,
                "%s rows identical to a training row: %,d",
                held,
                ((Number) ((Map<?, ?>) m).get("rows")).longValue())));
        overlap.ifPresent(o -> {
            summary.add(SplitOverlap.describe(o.report(), "rows"));
            facts.put("split_overlap", o.report());
            SplitOverlap.Result test = o.sides().get("test");
            if (test.share() > thresholds.nearDuplicateShare()) {
                warnings.add(SplitOverlap.describe(o.report(), "rows")
                        + ": the test score partly measures remembering them (`distill run` also scores every"
                        + " model on the others)");
            }
        });
        return new DataCheck(facts, summary, warnings);
    }

    private static Map<String, Object> classCounts(
            Map<String, ExampleSet> splits, List<String> classes, List<String> warnings, double imbalanceRatio) {
        Map<String, Object> out = new LinkedHashMap<>();
        splits.forEach((name, set) -> {
            if (name.equals("unlabelled")) {
                return; // no labels to count
            }
            int[] counts = new int[classes.size()];
            int unlabelled = 0;
            for (int i = 0; i < set.size(); i++) {
                int y = set.label(i);
                if (y == ExampleSet.UNLABELED) {
                    unlabelled++;
                } else {
                    counts[y]++;
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            List<String> absent = new ArrayList<>();
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (int c = 0; c < counts.length; c++) {
                if (counts[c] == 0) {
                    absent.add(classes.get(c));
                }
                min = Math.min(min, counts[c]);
                max = Math.max(max, counts[c]);
            }
            m.put("smallest", min);
            m.put("largest", max);
            m.put("absent", absent);
            if (unlabelled > 0) {
                m.put("unlabelled", unlabelled);
            }
            out.put(name, m);
            if (name.equals("train") && !absent.isEmpty()) {
                warnings.add("classes without a training row (no model can learn them): " + String.join(", ", absent));
            } else if (name.equals("train") && max > imbalanceRatio * min) {
                warnings.add(String.format(
                        Locale.ROOT,
                        "the largest training class has %,d rows, the smallest %,d: accuracy hides the small ones "
                                + "(macro-F1, in every report, does not)",
                        max,
                        min));
            }
        });
        return out;
    }

    @FunctionalInterface
    private interface RowHashConsumer {
        void accept(int row, String hash);
    }

    /**
     * SHA-256 of each row's text (rows built from text) or of its features as little-endian float32
     * bytes, in row order, a batch at a time.
     */
    private static void forEachRowHash(ExampleSet set, RowHashConsumer consumer) {
        if (set.size() > 0 && set.text(0) != null) {
            for (int i = 0; i < set.size(); i++) {
                consumer.accept(i, Hashing.sha256(set.text(i)));
            }
            return;
        }
        int width = set.featureSize();
        int batch = Math.max(1, Math.min(set.size(), (1 << 20) / Math.max(1, width)));
        float[] buffer = new float[batch * width];
        ByteBuffer bytes = ByteBuffer.allocate(width * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int start = 0; start < set.size(); start += batch) {
            int n = Math.min(batch, set.size() - start);
            int[] rows = new int[n];
            for (int k = 0; k < n; k++) {
                rows[k] = start + k;
            }
            set.copyFeatures(rows, buffer);
            for (int k = 0; k < n; k++) {
                bytes.clear();
                bytes.asFloatBuffer().put(buffer, k * width, width);
                consumer.accept(
                        start + k,
                        java.util.HexFormat.of().formatHex(Hashing.sha256().digest(bytes.array())));
            }
        }
    }

    private static double share(int part, int whole) {
        return whole == 0 ? 0 : Math.round(10_000.0 * part / whole) / 10_000.0;
    }
}
