package org.distill4j.audit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.data.TextExampleSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit: is a suspect closer to a teacher than independent reference models are?
 *
 * <p>How it works, for a budget of N probes per model:
 * <ol>
 *   <li>A candidate pool of up to 4N rows of the data is drawn at random; the teacher and every
 *       reference are run on it and on N/4 mixtures {@code λ·x_i + (1-λ)·x_j} (λ uniform in
 *       [0.3, 0.7]) of random pool pairs.
 *   <li>Each scored model's N probes are: N/4 random pool rows ({@code data}), the N/4 pool rows
 *       with the teacher's smallest top-1/top-2 margin ({@code boundary}), the mixtures, and the
 *       rest ({@code disagreement}) pool rows where the other models' majority vote differs from
 *       the teacher, most divergent first. "The other models" are every reference but the one
 *       scored (for the suspect: all references but one, drawn at random), so no model helps
 *       choose its own probes: the suspect stays exchangeable with the references under H0.
 *   <li>The suspect is asked about its N probes only; the references' scores come from the pool.
 *   <li>Score and test: see {@link AuditResult#TEST}.
 * </ol>
 *
 * <p>Only the suspect is treated as expensive: the teacher and the references are asked about the
 * whole pool, which {@link AuditResult#queries()} reports.
 */
public final class DistillationAudit {

    /**
     * The number of null models from which an audit's p-value depends little on which ones were
     * drawn: with 6 per architecture the evaluation put 2 of 23 honest models below 0.01, with 20
     * none, and over null sets 20 leave almost no unlucky ones (docs/audit.md, "Twenty null
     * models"). Fewer still give a valid test; the CLI and the report say so.
     */
    public static final int RECOMMENDED_NULL_MODELS = 20;

    private static final Logger LOG = LoggerFactory.getLogger(DistillationAudit.class);
    private static final String DATA = "data";
    private static final String BOUNDARY = "boundary";
    private static final String MIXTURE = "mixture";
    private static final String DISAGREEMENT = "disagreement";

    private final AuditedModel teacher;
    private final AuditedModel suspect;
    private final List<AuditedModel> references;
    private final List<AuditedModel> nullModels;
    private final ExampleSet data;
    private final int queries;
    private final double alpha;
    private final long seed;
    private final boolean referencesTrained;

    private DistillationAudit(Builder b) {
        this.teacher = Objects.requireNonNull(b.teacher, "teacher: call setTeacher");
        this.suspect = Objects.requireNonNull(b.suspect, "suspect: call setSuspect");
        this.references = List.copyOf(b.references);
        this.nullModels = List.copyOf(b.nullModels);
        this.data = Objects.requireNonNull(b.data, "data: call setData");
        this.queries = b.queries;
        this.alpha = b.alpha;
        this.seed = b.seed;
        this.referencesTrained = b.referencesTrained;
    }

    /** Returns a builder; teacher, suspect, data and at least two references are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the audit. The models are not closed.
     *
     * @throws AuditException if a model's label set or input shape differs from the teacher's or
     *     the data's, or there are too few references or rows
     * @throws IOException if a remote model cannot be queried
     */
    public AuditResult run() throws IOException {
        checkInputs();
        int n = queries;
        int nMix = n / 4;
        int nData = n / 4;
        int nBoundary = n / 4;
        int nDisagree = n - nMix - nData - nBoundary;
        int poolSize = Math.min(data.size(), 4 * n);
        Random rng = new Random(seed);
        int[] poolRows = new int[data.size()];
        Arrays.setAll(poolRows, i -> i);
        for (int i = poolRows.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = poolRows[i];
            poolRows[i] = poolRows[j];
            poolRows[j] = t;
        }
        poolRows = Arrays.copyOf(poolRows, poolSize);
        // The pool and the mixtures, as one set: rows [0, poolSize) are data, the rest mixtures.
        ExampleSet candidates = candidates(poolRows, nMix, rng);
        int total = candidates.size();
        LOG.info("Audit: asking the teacher and {} references about {} candidate probes", references.size(), total);
        float[][] t = teacher.logProbabilities(candidates);
        List<float[][]> refOut = new ArrayList<>();
        for (AuditedModel r : references) {
            refOut.add(r.logProbabilities(candidates));
        }
        int[] tTop = new int[total];
        for (int i = 0; i < total; i++) {
            tTop[i] = Divergences.argmax(t[i]);
        }
        double[][] refJs = new double[references.size()][total];
        int[][] refTop = new int[references.size()][total];
        for (int r = 0; r < references.size(); r++) {
            for (int i = 0; i < total; i++) {
                refJs[r][i] = Divergences.jensenShannon(t[i], refOut.get(r)[i]);
                refTop[r][i] = Divergences.argmax(refOut.get(r)[i]);
            }
        }

        // Common probes: chosen from the teacher's outputs alone.
        Set<Integer> common = new LinkedHashSet<>();
        for (int i = 0; i < nData; i++) {
            common.add(i);
        }
        Integer[] byMargin = new Integer[poolSize];
        Arrays.setAll(byMargin, i -> i);
        double[] margin = new double[poolSize];
        for (int i = 0; i < poolSize; i++) {
            margin[i] = Divergences.margin(t[i]);
        }
        Arrays.sort(byMargin, Comparator.comparingDouble(i -> margin[i]));
        int added = 0;
        for (int k = 0; k < poolSize && added < nBoundary; k++) {
            if (common.add(byMargin[k])) {
                added++;
            }
        }
        for (int i = poolSize; i < total; i++) {
            common.add(i);
        }

        // Each reference's probes are chosen by the others; the suspect's by all references but one.
        int dropped = rng.nextInt(references.size());
        List<Integer> suspectSelectors = new ArrayList<>();
        for (int r = 0; r < references.size(); r++) {
            if (r != dropped) {
                suspectSelectors.add(r);
            }
        }
        int[] suspectDisagree = disagreementProbes(suspectSelectors, common, poolSize, nDisagree, tTop, refTop, refJs);
        int[] suspectProbes = concat(common, suspectDisagree);
        ExampleSet suspectSet = subset(candidates, suspectProbes, "audit-probes");
        LOG.info("Audit: asking the suspect {} about {} probes", suspect.name(), suspectProbes.length);
        float[][] s = suspect.logProbabilities(suspectSet);
        double[] sJs = new double[suspectProbes.length];
        for (int k = 0; k < suspectProbes.length; k++) {
            sJs[k] = Divergences.jensenShannon(t[suspectProbes[k]], s[k]);
        }
        double suspectDivergence = mean(sJs);
        double suspectScore = idiosyncrasy(suspectProbes, k -> s[k], t, suspectSelectors, refOut);
        double suspectAgreement = agreement(suspectDisagree, k -> Divergences.argmax(s[common.size() + k]), tTop);
        // Null models are scored exactly like the suspect: its probes, its consensus.
        List<Double> nullScores = new ArrayList<>();
        for (AuditedModel m : nullModels) {
            LOG.info("Audit: asking null model {} about the suspect's {} probes", m.name(), suspectProbes.length);
            float[][] o = m.logProbabilities(suspectSet);
            nullScores.add(idiosyncrasy(suspectProbes, k -> o[k], t, suspectSelectors, refOut));
        }

        List<Double> refScores = new ArrayList<>();
        List<Double> refDivergences = new ArrayList<>();
        List<Double> refAgreements = new ArrayList<>();
        List<Double> pooled = new ArrayList<>();
        for (int r = 0; r < references.size(); r++) {
            List<Integer> selectors = new ArrayList<>();
            for (int o = 0; o < references.size(); o++) {
                if (o != r) {
                    selectors.add(o);
                }
            }
            int[] dis = disagreementProbes(selectors, common, poolSize, nDisagree, tTop, refTop, refJs);
            int[] probes = concat(common, dis);
            double sum = 0;
            for (int i : probes) {
                sum += refJs[r][i];
                pooled.add(refJs[r][i]);
            }
            refDivergences.add(sum / probes.length);
            float[][] mine = refOut.get(r);
            refScores.add(idiosyncrasy(probes, k -> mine[probes[k]], t, selectors, refOut));
            int rr = r;
            refAgreements.add(agreement(dis, k -> refTop[rr][dis[k]], tTop));
        }

        // The model-level test on Fisher-transformed correlations, against the null models' scores
        // when there are any, else the references'.
        List<Double> sample = nullModels.isEmpty() ? refScores : nullScores;
        ModelLevelTest.Outcome test = ModelLevelTest.of(suspectScore, sample);
        double refDivergence = AuditResult.typicalDivergence(refDivergences);

        Map<String, Integer> composition = new LinkedHashMap<>();
        composition.put(DATA, nData);
        composition.put(BOUNDARY, added);
        composition.put(MIXTURE, total - poolSize);
        composition.put(DISAGREEMENT, suspectDisagree.length);
        Map<String, Long> spent = AuditResult.queriesOf(
                suspect, teacher, references, nullModels, AuditedModel::name, AuditedModel::queries);
        return new AuditResult(
                teacher.name(),
                suspect.name(),
                references.stream().map(AuditedModel::name).toList(),
                referencesTrained,
                suspectProbes.length,
                composition,
                spent,
                suspectScore,
                refScores,
                suspectDivergence,
                refDivergences,
                suspectAgreement,
                refAgreements,
                test.statistic(),
                test.degreesOfFreedom(),
                test.pValue(),
                test.rankPValue(),
                test.effectSize(),
                refDivergence / Math.max(suspectDivergence, 1e-12),
                alpha,
                test.pValue() < alpha,
                sJs,
                pooled.stream().mapToDouble(Double::doubleValue).toArray(),
                nullModels.stream().map(AuditedModel::name).toList(),
                nullScores);
    }

    private void checkInputs() {
        if (references.size() < 2) {
            throw new AuditException(
                    "the audit needs at least 2 reference models (independent models trained on the "
                            + "same task) to know how close independent models are to the teacher, got "
                            + references.size()
                            + "; give more with --reference or train them with --train-references RECIPE (5 or more are better)");
        }
        int minRows = queries - queries / 4;
        if (data.size() < minRows) {
            throw new AuditException("data " + data.name() + " has " + data.size() + " rows; " + queries
                    + " queries need at least " + minRows + " (use fewer queries or more data)");
        }
        List<String> labels = teacher.classNames() != null ? teacher.classNames() : data.classNames();
        if (!labels.equals(data.classNames())) {
            throw new AuditException("data " + data.name() + " has classes " + data.classNames() + " but teacher "
                    + teacher.name() + " has " + labels);
        }
        if (nullModels.size() == 1) {
            throw new AuditException("the audit needs at least 2 null models (independent models like the suspect) to "
                    + "estimate how their scores spread, got 1; give more or none");
        }
        List<AuditedModel> all = new ArrayList<>();
        all.add(teacher);
        all.add(suspect);
        all.addAll(references);
        all.addAll(nullModels);
        for (AuditedModel m : all) {
            String role = m == teacher
                    ? "teacher"
                    : m == suspect ? "suspect" : references.contains(m) ? "reference" : "null model";
            if (m.classNames() != null && !m.classNames().equals(labels)) {
                throw new AuditException(role + " " + m.name() + " has classes " + m.classNames()
                        + ", expected the teacher's " + labels + ": a model with another label set cannot be compared");
            }
            if (m.textFeatures() != null && !(data instanceof TextExampleSet)) {
                throw new AuditException(role + " " + m.name() + " is a model of text (" + m.textFeatures()
                        + "), but data " + data.name() + " is not text: give the texts (JSON Lines) it was made for");
            }
            if (m.textFeatures() != null && !m.textFeatures().equals(((TextExampleSet) data).features())) {
                throw new AuditException(role + " " + m.name() + " reads text as " + m.textFeatures() + ", but data "
                        + data.name() + " was featurised as " + ((TextExampleSet) data).features()
                        + ": the same texts would reach it as other ids");
            }
            if (m.featureShape() != null && !Arrays.equals(m.featureShape(), data.featureShape())) {
                throw new AuditException(role + " " + m.name() + " takes inputs of shape "
                        + Arrays.toString(m.featureShape()) + ", but data " + data.name() + " has rows of shape "
                        + Arrays.toString(data.featureShape()));
            }
        }
    }

    private ExampleSet candidates(int[] poolRows, int nMix, Random rng) {
        int f = data.featureSize();
        int poolSize = poolRows.length;
        float[] x = new float[(poolSize + nMix) * f];
        data.copyFeatures(poolRows, x);
        float[] a = new float[f];
        float[] b = new float[f];
        for (int m = 0; m < nMix; m++) {
            int i = poolRows[rng.nextInt(poolSize)];
            int j = poolRows[rng.nextInt(poolSize)];
            float lambda = 0.3f + 0.4f * rng.nextFloat();
            int off = (poolSize + m) * f;
            if (data instanceof TextExampleSet text) {
                // Averaging n-gram ids would make ids of n-grams that occur in neither text; the mixture
                // of two texts is the first λ of one text's words followed by the first 1-λ of the other's (a
                // description's
                // head, its summary line, says most).
                text.features().featurize(mixText(text.text(i), text.text(j), lambda), x, off);
                continue;
            }
            data.copyFeatures(new int[] {i}, a);
            data.copyFeatures(new int[] {j}, b);
            for (int k = 0; k < f; k++) {
                x[off + k] = lambda * a[k] + (1 - lambda) * b[k];
            }
        }
        int[] labels = new int[poolSize + nMix];
        Arrays.fill(labels, ExampleSet.UNLABELED);
        return new InMemoryExampleSet(
                data.name() + "/audit-candidates", data.featureShape(), x, labels, data.classNames());
    }

    /** The first {@code lambda} of {@code a}'s words and the first {@code 1 - lambda} of {@code b}'s (at least one each). */
    static String mixText(String a, String b, float lambda) {
        String[] wa = a.strip().split("\\s+");
        String[] wb = b.strip().split("\\s+");
        int na = Math.max(1, Math.round(lambda * wa.length));
        int nb = Math.max(1, Math.round((1 - lambda) * wb.length));
        return String.join(" ", Arrays.copyOfRange(wa, 0, Math.min(na, wa.length))) + " "
                + String.join(" ", Arrays.copyOfRange(wb, 0, Math.min(nb, wb.length)));
    }

    private static ExampleSet subset(ExampleSet set, int[] rows, String name) {
        int f = set.featureSize();
        float[] x = new float[rows.length * f];
        set.copyFeatures(rows, x);
        int[] labels = new int[rows.length];
        Arrays.fill(labels, ExampleSet.UNLABELED);
        return new InMemoryExampleSet(set.name() + "/" + name, set.featureShape(), x, labels, set.classNames());
    }

    /**
     * Pool rows outside {@code common} where the selectors' majority top-1 differs from the
     * teacher's, most divergent (mean selector JS) first, topped up with the most divergent rest.
     */
    private static int[] disagreementProbes(
            List<Integer> selectors,
            Set<Integer> common,
            int poolSize,
            int count,
            int[] tTop,
            int[][] refTop,
            double[][] refJs) {
        List<Integer> rows = new ArrayList<>();
        boolean[] disagrees = new boolean[poolSize];
        double[] js = new double[poolSize];
        int classes = 0;
        for (int[] tops : refTop) {
            for (int v : tops) {
                classes = Math.max(classes, v + 1);
            }
        }
        for (int v : tTop) {
            classes = Math.max(classes, v + 1);
        }
        int[] votes = new int[classes];
        for (int i = 0; i < poolSize; i++) {
            if (common.contains(i)) {
                continue;
            }
            Arrays.fill(votes, 0);
            double sum = 0;
            for (int r : selectors) {
                votes[refTop[r][i]]++;
                sum += refJs[r][i];
            }
            int majority = 0;
            for (int c = 1; c < classes; c++) {
                if (votes[c] > votes[majority]) {
                    majority = c;
                }
            }
            disagrees[i] = majority != tTop[i];
            js[i] = sum / selectors.size();
            rows.add(i);
        }
        rows.sort(Comparator.<Integer, Boolean>comparing(i -> !disagrees[i]).thenComparing(i -> -js[i]));
        return rows.subList(0, Math.min(count, rows.size())).stream()
                .mapToInt(Integer::intValue)
                .toArray();
    }

    private static int[] concat(Set<Integer> common, int[] more) {
        int[] out = new int[common.size() + more.length];
        int k = 0;
        for (int i : common) {
            out[k++] = i;
        }
        System.arraycopy(more, 0, out, k, more.length);
        return out;
    }

    private static double agreement(int[] probes, java.util.function.IntUnaryOperator top, int[] tTop) {
        if (probes.length == 0) {
            return Double.NaN;
        }
        int same = 0;
        for (int k = 0; k < probes.length; k++) {
            if (top.applyAsInt(k) == tTop[probes[k]]) {
                same++;
            }
        }
        return (double) same / probes.length;
    }

    /**
     * Returns the idiosyncrasy correlation of a model: the cosine, over its probes and all classes,
     * between the teacher's and the model's deviations from the selectors' consensus, where each
     * output is a row-centred, clipped log-probability vector and the consensus is the selectors'
     * mean of the same. A model that learnt from the teacher shares its deviations; an independent
     * one deviates in its own way.
     *
     * @param probes candidate indices of the model's probes
     * @param model the model's output for the k-th probe
     */
    private static double idiosyncrasy(
            int[] probes,
            java.util.function.IntFunction<float[]> model,
            float[][] t,
            List<Integer> selectors,
            List<float[][]> refOut) {
        double dot = 0;
        double tt = 0;
        double mm = 0;
        for (int k = 0; k < probes.length; k++) {
            int i = probes[k];
            double[] ct = Divergences.centred(t[i]);
            double[] cm = Divergences.centred(model.apply(k));
            double[] cons = new double[ct.length];
            for (int r : selectors) {
                double[] cr = Divergences.centred(refOut.get(r)[i]);
                for (int c = 0; c < cons.length; c++) {
                    cons[c] += cr[c] / selectors.size();
                }
            }
            for (int c = 0; c < cons.length; c++) {
                double a = ct[c] - cons[c];
                double b = cm[c] - cons[c];
                dot += a * b;
                tt += a * a;
                mm += b * b;
            }
        }
        return tt > 0 && mm > 0 ? dot / Math.sqrt(tt * mm) : 0;
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    /** Builder: {@code setX} for required values, {@code optX} for optional ones. */
    public static final class Builder {
        private AuditedModel teacher;
        private AuditedModel suspect;
        private final List<AuditedModel> references = new ArrayList<>();
        private final List<AuditedModel> nullModels = new ArrayList<>();
        private ExampleSet data;
        private int queries = 1000;
        private double alpha = 0.01;
        private long seed = 42;
        private boolean referencesTrained;

        private Builder() {}

        /** Sets the teacher the suspect may have been distilled from. */
        public Builder setTeacher(AuditedModel value) {
            this.teacher = value;
            return this;
        }

        /** Sets the suspect. */
        public Builder setSuspect(AuditedModel value) {
            this.suspect = value;
            return this;
        }

        /** Adds independent reference models (trained on the same task, not from the teacher), at least 2. */
        public Builder addReferences(List<? extends AuditedModel> values) {
            this.references.addAll(values);
            return this;
        }

        /**
         * Adds null models (optional; none, or at least 2): independent models like the suspect (its
         * architecture and training recipe, as far as known), trained on the task without the
         * teacher's outputs. Each is asked about the suspect's probes and scored exactly like the
         * suspect, against the references' consensus, and the test then compares the suspect's score
         * with theirs instead of with the references' own. This separates the two jobs of the
         * references: references of the teacher's architecture and recipe make the teacher's
         * deviation from their consensus its own idiosyncrasy; null models of the suspect's
         * architecture tell how much of it an independent model of that kind shares by chance.
         * They must not also be references.
         */
        public Builder addNullModels(List<? extends AuditedModel> values) {
            this.nullModels.addAll(values);
            return this;
        }

        /** Sets the data the probes are drawn from (e.g. a test split); its class names are the label set. */
        public Builder setData(ExampleSet value) {
            this.data = value;
            return this;
        }

        /** Sets the number of probes the suspect is asked about, in [8, 1000000] (default 1000). */
        public Builder optQueries(int value) {
            if (value < 8 || value > 1_000_000) {
                throw new IllegalArgumentException("illegal queries value: " + value + ", must be in [8, 1000000]");
            }
            this.queries = value;
            return this;
        }

        /** Sets the significance level of the verdict, in (0, 1) (default 0.01). */
        public Builder optAlpha(double value) {
            if (!(value > 0 && value < 1)) {
                throw new IllegalArgumentException("illegal alpha value: " + value + ", must be in (0, 1)");
            }
            this.alpha = value;
            return this;
        }

        /** Sets the seed of probe selection (default 42). */
        public Builder optSeed(long value) {
            this.seed = value;
            return this;
        }

        /** Records that the references were trained by the audit itself (reported). */
        public Builder optReferencesTrained(boolean value) {
            this.referencesTrained = value;
            return this;
        }

        /** Returns the audit. */
        public DistillationAudit build() {
            return new DistillationAudit(this);
        }
    }
}
