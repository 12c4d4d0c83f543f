package org.distill4j.data;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Locale;
import java.util.Objects;

/**
 * Views of an {@link ExampleSet}: row selections and label masking that share the parent's
 * features instead of copying them (only the row indices are held, 4 bytes a row).
 *
 * <p>A view's {@link ExampleSet#contentHash()} is derived from its base set's hash, its row
 * indices in order and whether labels are hidden, so it is cheap and differs whenever the
 * selected content does. Views of views are flattened onto the base: selecting the same base
 * rows in the same order gives the same hash however the views were composed.
 */
public final class ExampleSets {

    /**
     * Runs a forward function over every row of a data set, in row order, in batches of {@code
     * batchSize}, each in its own sub-manager of {@code manager}, and returns the outputs.
     *
     * @param forward inputs (B, featureShape...) to outputs (B, classes)
     * @param classes outputs per row the function must return
     * @param progress told the number of rows done after each batch
     * @return row-major float32 outputs, {@code data.size() * classes}
     * @throws IllegalStateException if the function returns another shape
     */
    public static float[] forward(
            ExampleSet data,
            ai.djl.ndarray.NDManager manager,
            int batchSize,
            java.util.function.Function<ai.djl.ndarray.NDArray, ai.djl.ndarray.NDArray> forward,
            int classes,
            java.util.function.IntConsumer progress) {
        int n = data.size();
        int fs = data.featureSize();
        float[] out = new float[Math.multiplyExact(n, classes)];
        float[] buf = new float[Math.min(batchSize, Math.max(n, 1)) * fs];
        // One pinned buffer for every batch: no direct buffer per batch left to the collector.
        InputBuffer pinned = new InputBuffer(Math.max(1, buf.length * Float.BYTES));
        for (int from = 0; from < n; from += batchSize) {
            int count = Math.min(batchSize, n - from);
            int[] rows = new int[count];
            for (int i = 0; i < count; i++) {
                rows[i] = from + i;
            }
            data.copyFeatures(rows, buf);
            try (ai.djl.ndarray.NDManager batch = manager.newSubManager()) {
                ai.djl.ndarray.NDArray x = pinned.upload(batch, buf, batchShape(data, count));
                ai.djl.ndarray.NDArray y = forward.apply(x);
                if (y.getShape().dimension() != 2
                        || y.getShape().get(0) != count
                        || y.getShape().get(1) != classes) {
                    throw new IllegalStateException("model returned shape " + y.getShape() + " for a batch of " + count
                            + " rows of " + data.name() + "; expected (" + count + ", " + classes + ")");
                }
                float[] logits =
                        y.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                System.arraycopy(logits, 0, out, from * classes, logits.length);
            }
            progress.accept(from + count);
        }
        return out;
    }

    private ExampleSets() {}

    /**
     * The two disjoint parts of a {@link #split}, each in the original row order.
     *
     * @param train the rows not held out, {@code size - validation.size()} of them
     * @param validation the held-out rows, {@code round(fraction * size)} of them
     */
    public record Split(ExampleSet train, ExampleSet validation) {

        /** Checks both parts are present. */
        public Split {
            Objects.requireNonNull(train, "train");
            Objects.requireNonNull(validation, "validation");
        }
    }

    /**
     * Returns rows [from, to) of {@code set}, named {@code name[from:to]}.
     *
     * @throws IndexOutOfBoundsException unless 0 &le; from &le; to &le; set.size()
     */
    public static ExampleSet slice(ExampleSet set, int from, int to) {
        Objects.checkFromToIndex(from, to, set.size());
        int[] rows = new int[to - from];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = from + i;
        }
        return RowView.of(set, rows, false, set.name() + "[" + from + ":" + to + "]");
    }

    /**
     * Returns the given rows of {@code set} in the given order; a row may repeat.
     *
     * @param rows indices in [0, set.size()) (copied)
     * @param name the view's name
     * @throws IndexOutOfBoundsException if a row is out of range
     */
    public static ExampleSet subset(ExampleSet set, int[] rows, String name) {
        return RowView.of(set, rows.clone(), false, name);
    }

    /**
     * What a student owner holds when only part of the training rows is labelled: {@link #labelled}
     * for a student that learns from labels alone, {@link #transfer} for one that also learns from a
     * teacher's outputs on the rest.
     *
     * @param labelled the labelled rows, in the original order
     * @param transfer every row in the original order, labels hidden outside {@code labelled}
     */
    public record LabelledShare(ExampleSet labelled, ExampleSet transfer) {

        /** Checks both parts are present. */
        public LabelledShare {
            Objects.requireNonNull(labelled, "labelled");
            Objects.requireNonNull(transfer, "transfer");
        }
    }

    /**
     * Keeps the labels of a seeded, class-stratified share of {@code set}'s rows: of the rows of each
     * class, {@code Math.round(share * count)} keep their label, at least one where the class has
     * rows, so that no class is left without a labelled example (the rare classes of a skewed set
     * would otherwise lose theirs). Reproducible on every JVM (the same shuffle as {@link #split}).
     * Rows that are already unlabelled stay so and are never counted as labelled.
     *
     * @param share the share of each class's rows that keep a label, in (0, 1]
     * @param seed any value; different seeds choose different rows
     * @return the labelled rows ({@code <name>/labelled-<share>}) and all rows with the other labels
     *     hidden ({@code <name>/partly-labelled-<share>}); at share 1 both are {@code set} itself
     */
    public static LabelledShare labelledShare(ExampleSet set, double share, long seed) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("illegal labelled share value: " + share + ", must be in (0, 1]");
        }
        if (share == 1) {
            return new LabelledShare(set, set);
        }
        int n = set.size();
        int[][] byClass = new int[set.numClasses()][];
        int[] counts = classCounts(set);
        for (int c = 0; c < byClass.length; c++) {
            byClass[c] = new int[counts[c]];
        }
        int[] filled = new int[byClass.length];
        for (int i = 0; i < n; i++) {
            int label = set.label(i);
            if (label != ExampleSet.UNLABELED) {
                byClass[label][filled[label]++] = i;
            }
        }
        BitSet hidden = new BitSet(n);
        hidden.set(0, n);
        for (int c = 0; c < byClass.length; c++) {
            int[] rows = byClass[c];
            // Each class its own stream, so one class's rows do not depend on another's count.
            int[] order = shuffled(rows.length, seed * 0x9E3779B97F4A7C15L + c);
            int keep = rows.length == 0 ? 0 : (int) Math.max(1, Math.round(share * rows.length));
            for (int k = 0; k < keep; k++) {
                hidden.clear(rows[order[k]]);
            }
        }
        int[] labelled = new int[n - hidden.cardinality()];
        for (int i = hidden.nextClearBit(0), k = 0; i < n; i = hidden.nextClearBit(i + 1)) {
            labelled[k++] = i;
        }
        String suffix = String.format(Locale.ROOT, "-%s(seed %d)", share, seed);
        return new LabelledShare(
                RowView.of(set, labelled, false, set.name() + "/labelled" + suffix),
                new LabelMask(set, hidden, set.name() + "/partly-labelled" + suffix));
    }

    /** A seeded permutation of [0, n): Fisher-Yates driven by SplitMix64. */
    private static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        long state = seed;
        for (int i = n - 1; i > 0; i--) {
            state += 0x9E3779B97F4A7C15L;
            int j = (int) Long.remainderUnsigned(mix(state), i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /**
     * Splits {@code set} at random into training and validation parts, reproducibly: the same
     * set size, fraction and seed give the same rows on every JVM (the shuffle is a Fisher-Yates
     * driven by SplitMix64, both fixed here, not by {@code java.util} generators). The parts are
     * disjoint, cover every row, and keep the original order within each part.
     *
     * @param validationFraction share of rows held out for validation, in [0, 1]; the count is
     *     {@code Math.round(validationFraction * set.size())}
     * @param seed any value; different seeds give different splits
     * @return the parts, named {@code <name>/split-train} and {@code <name>/split-val}
     */
    public static Split split(ExampleSet set, double validationFraction, long seed) {
        if (!(validationFraction >= 0 && validationFraction <= 1)) {
            throw new IllegalArgumentException(
                    "illegal validationFraction value: " + validationFraction + ", must be in [0, 1]");
        }
        int n = set.size();
        int[] order = shuffled(n, seed);
        int validationSize = (int) Math.round(validationFraction * n);
        int[] validation = Arrays.copyOfRange(order, 0, validationSize);
        int[] train = Arrays.copyOfRange(order, validationSize, n);
        // Sorted so each part reads the base in order: better locality, order-independent name.
        Arrays.sort(validation);
        Arrays.sort(train);
        String suffix = String.format(Locale.ROOT, "(%s, seed %d)", validationFraction, seed);
        return new Split(
                RowView.of(set, train, false, set.name() + "/split-train" + suffix),
                RowView.of(set, validation, false, set.name() + "/split-val" + suffix));
    }

    /** SplitMix64's output function. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Returns the rows of {@code first} then those of {@code second} as one set named {@code name}
     * (a view: nothing is copied), e.g. training rows plus unlabelled transfer rows. Its content
     * hash is derived from both parts' hashes, so it changes with either.
     *
     * @throws IllegalArgumentException if the two have different feature shapes or classes
     */
    public static ExampleSet concat(ExampleSet first, ExampleSet second, String name) {
        return new ConcatView(first, second, name);
    }

    /**
     * Returns all rows of {@code set} with every label {@link ExampleSet#UNLABELED}, named
     * {@code <name>/unlabeled}: a transfer set, whose targets come from the teacher alone.
     */
    public static ExampleSet withoutLabels(ExampleSet set) {
        int[] rows = new int[set.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i;
        }
        return RowView.of(set, rows, true, set.name() + "/unlabeled");
    }

    /**
     * Returns {@code set} without the rows labelled {@code classId}, in the original order, named
     * {@code <name>/without-<classId>}; unlabeled rows are kept.
     *
     * @param classId a class id in [0, set.numClasses())
     */
    public static ExampleSet withoutClass(ExampleSet set, int classId) {
        Objects.checkIndex(classId, set.numClasses());
        int n = set.size();
        int[] rows = new int[n];
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (set.label(i) != classId) {
                rows[kept++] = i;
            }
        }
        return RowView.of(set, Arrays.copyOf(rows, kept), false, set.name() + "/without-" + classId);
    }

    /**
     * Returns how many rows carry each label: element c counts the rows of class c, for c in
     * [0, numClasses()); unlabeled rows are not counted.
     */
    public static int[] classCounts(ExampleSet set) {
        int[] counts = new int[set.numClasses()];
        for (int i = 0; i < set.size(); i++) {
            int label = set.label(i);
            if (label != ExampleSet.UNLABELED) {
                counts[label]++;
            }
        }
        return counts;
    }

    /**
     * Returns the DJL shape of a batch of {@code rows} rows of {@code set}: (rows,
     * featureShape...).
     */
    public static ai.djl.ndarray.types.Shape batchShape(ExampleSet set, int rows) {
        long[] featureShape = set.featureShape();
        long[] dims = new long[featureShape.length + 1];
        dims[0] = rows;
        System.arraycopy(featureShape, 0, dims, 1, featureShape.length);
        return new ai.djl.ndarray.types.Shape(dims);
    }
}
